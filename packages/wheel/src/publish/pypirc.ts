import { readFileSync } from 'node:fs'
import { WheelError } from '../errors.ts'

/** One section of an INI file: lower-cased keys to values (continuation lines joined by `\n`). */
export type IniSection = ReadonlyMap<string, string>

/** An INI file read with the semantics of Python's `configparser.RawConfigParser`. */
export interface IniFile {
  readonly sections: ReadonlyMap<string, IniSection>
}

/** A repository of a .pypirc, as twine reads it. */
export interface PypircRepository {
  readonly name: string
  /** The upload URL; twine's defaults for `pypi` and `testpypi` when the section gives none. */
  readonly repository?: string
  readonly username?: string
  readonly password?: string
  /** twine's `ca_cert`: a PEM bundle of the CAs the index's certificate is checked against (instead of node's). */
  readonly caCert?: string
  /** twine's `client_cert`: a PEM file with the client certificate and its private key. */
  readonly clientCert?: string
}

export const PYPI_UPLOAD_URL = 'https://upload.pypi.org/legacy/'
export const TESTPYPI_UPLOAD_URL = 'https://test.pypi.org/legacy/'

function invalid(file: string, line: number, problem: string): never {
  // never the line itself: it may hold a password
  throw new WheelError('WHEEL_PYPIRC_INVALID', `${file}:${line}: ${problem}`, {
    hint: 'fix the file (format: https://packaging.python.org/specifications/pypirc/): [section] headers, then `key = value` lines; indented lines continue the value above',
    source: { file, line },
  })
}

/**
 * Parses INI text as `configparser.RawConfigParser` does with its defaults: `[section]`
 * headers, `key = value` or `key: value` (the first `=` or `:` splits; keys are trimmed and
 * lower-cased), lines indented deeper than their key continue its value, whole-line `#` and
 * `;` comments (no inline comments, so a `#` inside a password is kept), no interpolation,
 * `[DEFAULT]` inherited by every section. A duplicate section or key, a key before any
 * section or a line without a delimiter is WHEEL_PYPIRC_INVALID naming the file and line,
 * never the line's text.
 */
export function parseIni(text: string, file: string): IniFile {
  const sections = new Map<string, Map<string, string[]>>()
  let section: Map<string, string[]> | undefined
  let sectionName = ''
  let key: string | undefined
  let keyIndent = 0
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/)
  for (const [i, raw] of lines.entries()) {
    const line = i + 1
    const stripped = raw.trim()
    const indent = raw.length - raw.trimStart().length
    if (stripped.startsWith('#') || stripped.startsWith(';')) continue
    if (stripped === '') {
      // kept inside a multi-line value, trimmed from its end below
      if (key !== undefined) section!.get(key)!.push('')
      continue
    }
    if (key !== undefined && indent > keyIndent) {
      section!.get(key)!.push(stripped)
      continue
    }
    const header = /^\[(.+)\]$/.exec(stripped)
    if (header !== null) {
      sectionName = header[1]!
      if (sections.has(sectionName)) invalid(file, line, `section [${sectionName}] appears twice`)
      section = new Map()
      sections.set(sectionName, section)
      key = undefined
      continue
    }
    const option = /^(.*?)\s*([=:])\s*(.*)$/.exec(stripped)
    if (option === null || option[1] === '') {
      invalid(
        file,
        line,
        section === undefined
          ? 'text before the first [section] header'
          : `a line in [${sectionName}] that is neither \`key = value\` nor a continuation`,
      )
    }
    if (section === undefined) invalid(file, line, 'a key before the first [section] header')
    const name = option[1]!.toLowerCase()
    if (section.has(name)) invalid(file, line, `key ${name} appears twice in [${sectionName}]`)
    section.set(name, [option[3]!])
    key = name
    keyIndent = indent
  }
  const defaults = sections.get('DEFAULT')
  const out = new Map<string, IniSection>()
  for (const [name, values] of sections) {
    if (name === 'DEFAULT') continue
    const joined = new Map<string, string>()
    for (const [k, v] of [...(defaults ?? []), ...values]) joined.set(k, trimEnd(v).join('\n'))
    out.set(name, joined)
  }
  return { sections: out }
}

function trimEnd(values: readonly string[]): string[] {
  const out = [...values]
  while (out.length > 1 && out.at(-1) === '') out.pop()
  return out
}

/**
 * Reads a .pypirc. Undefined when it does not exist and `required` is false (twine's
 * default `~/.pypirc` may be absent; a file named in the configuration may not).
 */
export function readPypirc(path: string, required: boolean): IniFile | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !required) return undefined
    throw new WheelError(
      'WHEEL_PYPIRC_INVALID',
      `cannot read ${path} (${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')})`,
      {
        hint: 'fix destinations.wheels.configFile in polyship.json, or create the file (https://packaging.python.org/specifications/pypirc/)',
        source: { file: path },
        cause,
      },
    )
  }
  return parseIni(text, path)
}

/**
 * The repository `name` of a .pypirc the way twine's `get_config` finds it: only the
 * sections listed in `[distutils] index-servers` (default `pypi testpypi`) are
 * repositories; `pypi` always exists with upload.pypi.org, `testpypi` with test.pypi.org
 * when listed; `[server-login]` username and password are every repository's defaults.
 * A missing file counts as empty. Undefined when the name is not a repository.
 */
export function pypircRepository(file: IniFile | undefined, name: string): PypircRepository | undefined {
  const sections = file?.sections ?? new Map<string, IniSection>()
  const servers = (sections.get('distutils')?.get('index-servers') ?? 'pypi testpypi')
    .split(/\s+/)
    .filter((s) => s !== '')
  const login = sections.get('server-login')
  const section = servers.includes(name) ? sections.get(name) : undefined
  const fallbackUrl =
    name === 'pypi'
      ? PYPI_UPLOAD_URL
      : name === 'testpypi' && servers.includes(name)
        ? TESTPYPI_UPLOAD_URL
        : undefined
  if (fallbackUrl === undefined && (section === undefined || section.size === 0)) return undefined
  const pick = (key: string) => section?.get(key) ?? login?.get(key)
  const repository = section?.get('repository') ?? fallbackUrl
  const username = pick('username')
  const password = pick('password')
  // like twine, only the repository's own section sets them ([server-login] holds logins)
  const caCert = section?.get('ca_cert')
  const clientCert = section?.get('client_cert')
  return {
    name,
    ...(caCert === undefined || caCert === '' ? {} : { caCert }),
    ...(clientCert === undefined || clientCert === '' ? {} : { clientCert }),
    ...(repository === undefined ? {} : { repository }),
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  }
}

/** The repositories a .pypirc lists, for messages. */
export function pypircRepositoryNames(file: IniFile | undefined): string[] {
  const servers = file?.sections.get('distutils')?.get('index-servers') ?? 'pypi testpypi'
  return [...new Set(['pypi', ...servers.split(/\s+/).filter((s) => s !== '')])]
}
