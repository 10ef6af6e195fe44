import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { CoreError } from '../errors.ts'

/**
 * The workspace-relative package.json paths (POSIX separators, sorted) that the `packages`
 * globs of a pnpm workspace at `root` name. The set is the one changesets sees:
 * @manypkg/get-packages (what @changesets/* read the workspace with) expands the globs with
 * tinyglobby and exactly these options, so `!` patterns exclude, `**` nests, and
 * node_modules never counts; a matched directory without package.json is no package.
 */
export async function workspaceManifestPaths(root: string, globs: readonly string[]): Promise<string[]> {
  if (globs.length === 0) return []
  const { glob } = await import('tinyglobby')
  const dirs = await glob([...globs], {
    cwd: root,
    onlyDirectories: true,
    ignore: ['**/node_modules'],
    expandDirectories: false,
  })
  return dirs
    .map((dir) => relative(root, resolve(root, dir)))
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => (dir === '' ? 'package.json' : `${dir.split('\\').join('/')}/package.json`))
    .sort()
}

/** Reads and parses pnpm-workspace.yaml at `file`; a file that cannot be read is CONFIG_UNREADABLE naming it. */
export async function readWorkspacePackages(file: string): Promise<string[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new CoreError(
      'CONFIG_UNREADABLE',
      `${file}: cannot be read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`,
      { hint: 'make pnpm-workspace.yaml a readable file, then run again', source: { file }, cause },
    )
  }
  return parseWorkspacePackages(text, file)
}

/**
 * A glob written as a YAML scalar that means itself: plain, it starts with no indicator (`*`
 * alias, `!` tag, `&`, `@`...) and holds no `#`, `:`, quote, escape or flow character; quoted,
 * the same characters, and it may start with `!` or `*`.
 */
const GLOB_CHARS = String.raw`[\w.*/@+-]*`
const LIST_ITEM = new RegExp(
  String.raw`^[ ]+- +(?:([\w./+]${GLOB_CHARS})|'([!*\w./@+]${GLOB_CHARS})'|"([!*\w./@+]${GLOB_CHARS})")(?:[ \t]+#.*|[ \t]*)$`,
)
/** Plain scalars YAML's core schema reads as null, a boolean or a number, not as text. */
const NOT_TEXT = /^(?:[-+.]?\d|[-+]?\.(?:inf|nan)$|(?:null|true|false)$)/i
const BLANK_OR_COMMENT = /^[ \t]*(?:#.*)?$/

/**
 * The globs of a pnpm-workspace.yaml that is nothing but a block list of simple globs under
 * `packages:` (comments and blank lines aside), as most are; undefined for anything else,
 * which the YAML library reads. Each accepted line means the same to any YAML parser (the
 * tests compare with the library), and the library's 72 modules cost ~40 ms of start-up.
 */
export function simpleWorkspacePackages(text: string): string[] | undefined {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const start = lines.findIndex((line) => !BLANK_OR_COMMENT.test(line))
  if (start === -1 || !/^packages:[ \t]*(?:#.*)?$/.test(lines[start]!)) return undefined
  const globs: string[] = []
  let indent: string | undefined
  for (const line of lines.slice(start + 1)) {
    if (BLANK_OR_COMMENT.test(line)) continue
    const item = LIST_ITEM.exec(line)
    const lead = /^ */.exec(line)![0]
    if (item === null || (indent !== undefined && lead !== indent)) return undefined
    if (item[1] !== undefined && NOT_TEXT.test(item[1])) return undefined
    indent = lead
    globs.push((item[1] ?? item[2] ?? item[3])!)
  }
  return globs
}

/** Parses pnpm-workspace.yaml text into its `packages` globs; `file` names it in errors. */
export async function parseWorkspacePackages(text: string, file: string): Promise<string[]> {
  const simple = simpleWorkspacePackages(text)
  if (simple !== undefined) return simple
  const { LineCounter, parseDocument } = await import('yaml')
  const lines = new LineCounter()
  // logLevel 'error': the library's warnings would go to process.emitWarning, past our output
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines, logLevel: 'error' })
  const error = doc.errors[0]
  if (error !== undefined) {
    throw new CoreError(
      'CONFIG_INVALID',
      `${file}:${lines.linePos(error.pos[0]).line}: not valid YAML: ${error.message}`,
      {
        hint: 'fix the file so that pnpm accepts it, then run again',
        source: { file, line: lines.linePos(error.pos[0]).line },
      },
    )
  }
  let value: unknown
  try {
    // an alias to no anchor, or aliases expanding without bound (a "billion laughs" file),
    // fail only here, when the document becomes values
    value = doc.toJS({ maxAliasCount: 1000 })
  } catch (cause) {
    throw new CoreError('CONFIG_INVALID', `${file}: not valid YAML: ${(cause as Error).message}`, {
      hint: 'fix the anchors and aliases (&name, *name) of the file so that pnpm accepts it, then run again',
      source: { file },
      cause,
    })
  }
  const packages = (value as { packages?: unknown } | null)?.packages ?? []
  if (!Array.isArray(packages) || !packages.every((p) => typeof p === 'string')) {
    throw new CoreError('CONFIG_INVALID', `${file}: packages must be a list of globs`, {
      hint: 'write packages as a YAML list, e.g. packages: ["services/*"]',
    })
  }
  return packages
}

/**
 * pnpm-workspace.yaml text with `entries` appended to `packages` (created when missing).
 * Edited through the `yaml` Document API, so comments and every other key survive; the
 * result is parsed again and must hold exactly the old globs plus the new ones.
 */
export async function addWorkspacePackages(
  text: string,
  file: string,
  entries: readonly string[],
): Promise<string> {
  const before = await parseWorkspacePackages(text, file)
  const added = entries.filter((entry) => !before.includes(entry))
  if (added.length === 0) return text
  const { isMap, isSeq, parseDocument } = await import('yaml')
  const doc = parseDocument(text)
  if (doc.contents === null)
    doc.contents = doc.createNode({ packages: added }) as unknown as typeof doc.contents
  else if (!isMap(doc.contents)) {
    throw new CoreError('CONFIG_INVALID', `${file}: not a map of settings`, {
      hint: 'pnpm-workspace.yaml is a YAML map, e.g. packages: ["services/*"]',
    })
  } else {
    const packages = doc.get('packages', true)
    if (packages === undefined || packages === null) doc.set('packages', doc.createNode(added))
    else if (isSeq(packages)) for (const entry of added) packages.add(doc.createNode(entry))
    else throw new Error(`${file}: packages is not a sequence after validation`)
  }
  const after = doc.toString()
  const check = await parseWorkspacePackages(after, file)
  if (JSON.stringify(check) !== JSON.stringify([...before, ...added])) {
    throw new Error(`${file}: editing packages changed more than the added entries`)
  }
  return after
}
