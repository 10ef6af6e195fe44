/**
 * Where a pyproject.toml keeps its version, for every PEP 517 backend polyship builds.
 * Pure: it reads the parsed document only; the caller opens the files it names. Both the
 * build-time check (wheel) and `polyship version` (versioning) resolve through here, so
 * the file one writes is the file the other reads.
 */
import { escapePythonName } from './wheel-filename.ts'

/** The build backends polyship knows by name; anything else is `other` and built like any PEP 517 backend. */
export type PythonBackend =
  | 'maturin'
  | 'hatchling'
  | 'setuptools'
  | 'pdm-backend'
  | 'poetry-core'
  | 'flit-core'
  | 'scikit-build-core'
  | 'uv-build'
  | 'other'

/** The VCS plugins whose version is pretended through the environment at build time. */
export type VcsVersionTool = 'setuptools-scm' | 'hatch-vcs' | 'pdm-scm' | 'poetry-dynamic-versioning'

/** How a Python file spells its version: an assignment (`__version__ = "1.2.0"`) or the whole file (`VERSION`). */
export type VersionFileSyntax =
  | { readonly type: 'assignment'; readonly variables: readonly string[] }
  /** A backend's own regular expression with a `version` group (hatch `pattern`, scikit-build `regex`). */
  | { readonly type: 'pattern'; readonly pattern: string }
  | { readonly type: 'plain' }

export type PythonVersionSource =
  /** A string in pyproject.toml itself: `project.version`, or poetry's `tool.poetry.version`. */
  | { readonly kind: 'pyproject'; readonly field: readonly string[]; readonly value: string }
  /** maturin with a dynamic version: Cargo's `package.version`; path relative to pyproject.toml. */
  | { readonly kind: 'cargo'; readonly manifestPath: string }
  /**
   * A file the backend reads the version from. `candidates` are relative to pyproject.toml,
   * most likely first; the first that exists is the one (a module may sit in `src/` or not).
   */
  | {
      readonly kind: 'file'
      readonly field: string
      readonly candidates: readonly string[]
      readonly syntax: VersionFileSyntax
    }
  /** Derived from git tags at build time; polyship pretends the release version through `env`. */
  | { readonly kind: 'vcs'; readonly tool: VcsVersionTool; readonly field: string }
  /** No version polyship can find or write; `reason` says why, `hint` what to change. */
  | { readonly kind: 'unknown'; readonly reason: string; readonly hint: string }

type Doc = Readonly<Record<string, unknown>>

function table(value: unknown): Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Doc) : {}
}
const stringAt = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

/** The backend named by `build-system.build-backend`; none means setuptools' legacy backend (PEP 517). */
export function pythonBackendOf(pyproject: Doc): PythonBackend {
  const backend = stringAt(table(pyproject['build-system'])['build-backend'])
  if (backend === undefined) return 'setuptools'
  const module = backend.split(':')[0]!
  switch (module) {
    case 'maturin':
      return 'maturin'
    case 'hatchling.build':
      return 'hatchling'
    case 'setuptools.build_meta':
      return 'setuptools'
    case 'pdm.backend':
      return 'pdm-backend'
    case 'poetry.core.masonry.api':
      return 'poetry-core'
    case 'flit_core.buildapi':
      return 'flit-core'
    case 'scikit_build_core.build':
      return 'scikit-build-core'
    case 'uv_build':
      return 'uv-build'
    default:
      return 'other'
  }
}

const DUNDER: VersionFileSyntax = { type: 'assignment', variables: ['__version__', 'VERSION'] }

/** Where the project's version is kept. */
export function pythonVersionSource(pyproject: Doc): PythonVersionSource {
  const project = table(pyproject.project)
  const tool = table(pyproject.tool)
  const dynamic = Array.isArray(project.dynamic) && project.dynamic.includes('version')
  const version = project.version
  if (version !== undefined) {
    if (typeof version !== 'string')
      return unknown('project.version is not a string', 'write it as version = "1.2.0"')
    if (dynamic)
      return unknown(
        'project.version is set and also listed in project.dynamic',
        'choose one: remove "version" from project.dynamic, or remove project.version',
      )
    return { kind: 'pyproject', field: ['project', 'version'], value: version }
  }
  const backend = pythonBackendOf(pyproject)
  if (backend === 'poetry-core') {
    const poetry = table(tool.poetry)
    if (table(tool['poetry-dynamic-versioning']).enable === true)
      return { kind: 'vcs', tool: 'poetry-dynamic-versioning', field: 'tool.poetry-dynamic-versioning' }
    const value = stringAt(poetry.version)
    if (value !== undefined) return { kind: 'pyproject', field: ['tool', 'poetry', 'version'], value }
    return unknown(
      'there is neither project.version nor tool.poetry.version',
      'set version = "1.2.0" in [project] (or [tool.poetry] with dynamic = ["version"])',
    )
  }
  if (!dynamic)
    return unknown(
      'there is no project.version and "version" is not listed in project.dynamic',
      backend === 'maturin'
        ? 'add version = "x.y.z" to [project], or dynamic = ["version"] to take it from Cargo.toml (maturin 1.8+ requires one of them)'
        : 'add version = "x.y.z" to [project], or dynamic = ["version"] with the backend\'s version source',
    )
  switch (backend) {
    case 'maturin':
      return { kind: 'cargo', manifestPath: stringAt(table(tool.maturin)['manifest-path']) ?? 'Cargo.toml' }
    case 'hatchling':
      return hatchSource(table(table(tool.hatch).version))
    case 'setuptools':
      return setuptoolsSource(pyproject)
    case 'pdm-backend':
      return pdmSource(table(table(tool.pdm).version))
    case 'flit-core':
      return flitSource(pyproject)
    case 'scikit-build-core':
      return scikitBuildSource(table(table(table(tool['scikit-build']).metadata).version))
    case 'uv-build':
    case 'other':
      return unknown(
        `"version" is dynamic and polyship does not know where ${backend === 'other' ? 'this build backend' : backend} keeps it`,
        'set a static version = "x.y.z" in [project]; polyship writes it on every release',
      )
  }
}

function unknown(reason: string, hint: string): PythonVersionSource {
  return { kind: 'unknown', reason, hint }
}

function hatchSource(version: Doc): PythonVersionSource {
  const source = stringAt(version.source) ?? 'regex'
  if (source === 'vcs') return { kind: 'vcs', tool: 'hatch-vcs', field: 'tool.hatch.version.source' }
  const path = stringAt(version.path)
  if ((source === 'regex' || source === 'code') && path !== undefined) {
    const pattern = stringAt(version.pattern)
    return {
      kind: 'file',
      field: 'tool.hatch.version.path',
      candidates: [path],
      syntax: pattern === undefined ? DUNDER : { type: 'pattern', pattern },
    }
  }
  return unknown(
    `tool.hatch.version has source "${source}"${path === undefined ? ' and no path' : ''}`,
    'set [tool.hatch.version] path = "src/<pkg>/__about__.py" (with __version__ = "x.y.z" in it), or source = "vcs"',
  )
}

function setuptoolsSource(pyproject: Doc): PythonVersionSource {
  const tool = table(pyproject.tool)
  const setuptools = table(tool.setuptools)
  const version = table(table(setuptools.dynamic).version)
  const attr = stringAt(version.attr)
  if (attr !== undefined) {
    const parts = attr.split('.')
    const variable = parts.pop()!
    if (parts.length === 0)
      return unknown(
        `tool.setuptools.dynamic.version attr "${attr}" names no module`,
        'write attr = "<package>.__version__"',
      )
    return {
      kind: 'file',
      field: 'tool.setuptools.dynamic.version',
      candidates: moduleFiles(parts, packageDirs(setuptools['package-dir'])),
      syntax: { type: 'assignment', variables: [variable] },
    }
  }
  const file = version.file
  const files = typeof file === 'string' ? [file] : Array.isArray(file) ? file : []
  if (files.length === 1 && typeof files[0] === 'string')
    return {
      kind: 'file',
      field: 'tool.setuptools.dynamic.version',
      candidates: [files[0]],
      syntax: { type: 'plain' },
    }
  if (usesSetuptoolsScm(pyproject))
    return { kind: 'vcs', tool: 'setuptools-scm', field: 'tool.setuptools_scm' }
  return unknown(
    '"version" is dynamic but tool.setuptools.dynamic.version names no attr or file, and setuptools-scm is not used',
    'set [tool.setuptools.dynamic] version = { attr = "<package>.__version__" }, or a static project.version',
  )
}

function usesSetuptoolsScm(pyproject: Doc): boolean {
  if ('setuptools_scm' in table(pyproject.tool) || 'setuptools-scm' in table(pyproject.tool)) return true
  const requires = table(pyproject['build-system']).requires
  return (
    Array.isArray(requires) &&
    requires.some((r) => typeof r === 'string' && /^\s*setuptools[-_]scm\b/i.test(r))
  )
}

/** `tool.setuptools.package-dir` as prefix -> directory (`"" = "src"` maps every package). */
function packageDirs(value: unknown): ReadonlyMap<string, string> | undefined {
  const entries = Object.entries(table(value)).filter((e): e is [string, string] => typeof e[1] === 'string')
  return entries.length === 0 ? undefined : new Map(entries)
}

/** The files a module may live in: `<dir>/a/b.py` or `<dir>/a/b/__init__.py`, src layout before flat. */
function moduleFiles(parts: readonly string[], dirs: ReadonlyMap<string, string> | undefined): string[] {
  const bases: string[] = []
  if (dirs === undefined) bases.push(join('src', ...parts), join(...parts))
  else {
    for (let n = parts.length; n >= 0; n--) {
      const dir = dirs.get(parts.slice(0, n).join('.'))
      if (dir !== undefined) {
        bases.push(join(dir, ...parts.slice(n)))
        break
      }
    }
    if (bases.length === 0) bases.push(join(...parts))
  }
  return bases.flatMap((base) => [`${base}/__init__.py`, `${base}.py`])
}

function join(...parts: readonly string[]): string {
  return parts
    .filter((p) => p !== '' && p !== '.')
    .join('/')
    .replace(/\/+/g, '/')
    .replace(/\/$/, '')
}

function pdmSource(version: Doc): PythonVersionSource {
  const source = stringAt(version.source)
  if (source === 'scm') return { kind: 'vcs', tool: 'pdm-scm', field: 'tool.pdm.version.source' }
  const path = stringAt(version.path)
  if (source === 'file' && path !== undefined)
    return {
      kind: 'file',
      field: 'tool.pdm.version.path',
      candidates: [path],
      syntax: { type: 'assignment', variables: ['__version__'] },
    }
  return unknown(
    `tool.pdm.version has source ${JSON.stringify(source ?? null)}${path === undefined ? ' and no path' : ''}`,
    'set [tool.pdm.version] source = "file" with path = "src/<pkg>/__init__.py", or source = "scm"',
  )
}

function flitSource(pyproject: Doc): PythonVersionSource {
  const named = stringAt(table(table(table(pyproject.tool).flit).module).name)
  const name = named ?? stringAt(table(pyproject.project).name)?.replace(/[-.]+/g, '_')
  if (name === undefined) return unknown('project.name is missing', 'set [project] name')
  return {
    kind: 'file',
    field: `the ${name} module's __version__ (flit)`,
    candidates: moduleFiles(name.split('.'), undefined),
    syntax: { type: 'assignment', variables: ['__version__'] },
  }
}

function scikitBuildSource(version: Doc): PythonVersionSource {
  const provider = stringAt(version.provider)
  if (provider === 'scikit_build_core.metadata.setuptools_scm')
    return { kind: 'vcs', tool: 'setuptools-scm', field: 'tool.scikit-build.metadata.version.provider' }
  const input = stringAt(version.input)
  if (provider === 'scikit_build_core.metadata.regex' && input !== undefined) {
    const regex = stringAt(version.regex)
    return {
      kind: 'file',
      field: 'tool.scikit-build.metadata.version.input',
      candidates: [input],
      syntax: regex === undefined ? DUNDER : { type: 'pattern', pattern: regex },
    }
  }
  return unknown(
    `tool.scikit-build.metadata.version has provider ${JSON.stringify(provider ?? null)}`,
    'set provider = "scikit_build_core.metadata.regex" with input = "src/<pkg>/__init__.py", or a static project.version',
  )
}

/**
 * The environment that makes a VCS plugin report `version` instead of one derived from
 * git: what `SETUPTOOLS_SCM_PRETEND_VERSION` is to setuptools-scm (and hatch-vcs, which
 * runs it), `PDM_BUILD_SCM_VERSION` to pdm-backend.
 */
export function vcsVersionEnv(
  tool: VcsVersionTool,
  distribution: string,
  version: string,
): Record<string, string> {
  const scoped = escapePythonName(distribution).toUpperCase()
  switch (tool) {
    case 'setuptools-scm':
    case 'hatch-vcs':
      return {
        SETUPTOOLS_SCM_PRETEND_VERSION: version,
        [`SETUPTOOLS_SCM_PRETEND_VERSION_FOR_${scoped}`]: version,
      }
    case 'pdm-scm':
      return { PDM_BUILD_SCM_VERSION: version }
    case 'poetry-dynamic-versioning':
      return { POETRY_DYNAMIC_VERSIONING_BYPASS: version }
  }
}

/** The version file a `file` source resolves to, as the backend would find it. */
export type LocatedVersionFile =
  /** `file` (relative to pyproject.toml) holds the version at `span`. */
  | { readonly status: 'found'; readonly file: string; readonly text: string; readonly span: VersionSpan }
  /** `file` exists but holds no version the backend's syntax matches. */
  | { readonly status: 'no-version'; readonly file: string }
  /** None of the candidates exists. */
  | { readonly status: 'missing' }

/**
 * Finds the file of a `file` source: the first candidate that exists, and when a module
 * only re-exports its version (`from ._version import __version__`, the layout of
 * setuptools-scm's and hatch's generated `_version.py`), the module it imports it from.
 * `read` returns a file's text (path relative to pyproject.toml), undefined when absent.
 */
export async function locateVersionFile(
  source: Extract<PythonVersionSource, { kind: 'file' }>,
  read: (file: string) => Promise<string | undefined>,
): Promise<LocatedVersionFile> {
  for (const candidate of source.candidates) {
    const text = await read(candidate)
    if (text === undefined) continue
    const span = findVersionInFile(text, source.syntax)
    if (span !== undefined) return { status: 'found', file: candidate, text, span }
    const reexported =
      source.syntax.type === 'assignment' ? reexportOf(text, source.syntax.variables) : undefined
    if (reexported !== undefined) {
      const dir = candidate.includes('/') ? candidate.slice(0, candidate.lastIndexOf('/') + 1) : ''
      for (const file of [`${dir}${reexported}.py`, `${dir}${reexported}/__init__.py`]) {
        const inner = await read(file)
        const innerSpan = inner === undefined ? undefined : findVersionInFile(inner, source.syntax)
        if (inner !== undefined && innerSpan !== undefined)
          return { status: 'found', file, text: inner, span: innerSpan }
      }
    }
    return { status: 'no-version', file: candidate }
  }
  return { status: 'missing' }
}

/** `from .mod import __version__` (also `as`, lists, parenthesized): the sibling module path `mod`, `a/b` for `.a.b`. */
function reexportOf(text: string, variables: readonly string[]): string | undefined {
  for (const m of text.matchAll(/^from\s+\.([A-Za-z_][\w.]*)\s+import\s+(?:\(([^)]*)\)|([^\n#]+))/gm)) {
    const names = (m[2] ?? m[3]!).split(',').map((n) => n.trim().split(/\s+as\s+/)[0])
    if (names.some((n) => n !== undefined && variables.includes(n))) return m[1]!.replaceAll('.', '/')
  }
  return undefined
}

/** Where a version sits in a file's text: the version and its offsets, `[start, end)`. */
export interface VersionSpan {
  readonly version: string
  readonly start: number
  readonly end: number
}

/** Finds the version in a version file's text, as the backend would read it; undefined when absent. */
export function findVersionInFile(text: string, syntax: VersionFileSyntax): VersionSpan | undefined {
  switch (syntax.type) {
    case 'plain': {
      const m = /^(\s*v?)(\S+)\s*$/.exec(text)
      return m === null
        ? undefined
        : { version: m[2]!, start: m[1]!.length, end: m[1]!.length + m[2]!.length }
    }
    case 'assignment': {
      const names = syntax.variables.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')
      const re = new RegExp(
        `^(?:${names})\\s*(?::\\s*(?:typing\\.)?(?:str|Final(?:\\[str\\])?)\\s*)?=\\s*(['"])v?([^'"\\n]+)\\1`,
        'dm',
      )
      return spanOf(re.exec(text), 2)
    }
    case 'pattern':
      return spanOf(pythonRegex(syntax.pattern).exec(text), 'version')
  }
}

/** `text` with the version of its version file replaced; the rest is kept byte for byte. */
export function replaceVersionInFile(
  text: string,
  syntax: VersionFileSyntax,
  version: string,
): string | undefined {
  const span = findVersionInFile(text, syntax)
  return span === undefined ? undefined : text.slice(0, span.start) + version + text.slice(span.end)
}

function spanOf(match: RegExpExecArray | null, group: number | string): VersionSpan | undefined {
  if (match === null) return undefined
  const indices = (match as RegExpExecArray & { indices?: RegExpIndicesArray }).indices
  const value = typeof group === 'number' ? match[group] : match.groups?.[group]
  if (value === undefined) return undefined
  const at = typeof group === 'number' ? indices?.[group] : indices?.groups?.[group]
  if (at !== undefined) return { version: value, start: at[0], end: at[1] }
  const start = match.index + match[0].lastIndexOf(value)
  return { version: value, start, end: start + value.length }
}

/** A Python `re` pattern as a JavaScript RegExp: `(?P<name>` groups, a leading `(?i)`, multiline. */
function pythonRegex(pattern: string): RegExp {
  let source = pattern.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
  let flags = 'dm'
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source)
  if (inline !== null) {
    if (inline[1]!.includes('i')) flags += 'i'
    if (inline[1]!.includes('s')) flags += 's'
    source = source.slice(inline[0].length)
  }
  // hatch and scikit-build name the group `version` or `value`
  source = source.replace(/\(\?<value>/, '(?<version>')
  return new RegExp(source, flags)
}
