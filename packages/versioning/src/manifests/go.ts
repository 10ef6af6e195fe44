import { readdir } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { VersioningError } from '../errors.ts'
import { isSemver } from '../semver.ts'
import type { SyncContext, SyncProject } from './context.ts'
import type { TextVersionEditor } from './edit-set.ts'

/** The one line of a VERSION file: optional `v`, the version, surrounding blanks kept. */
const VERSION_FILE = /^(\s*v?)(\S+)(\s*)$/
/** `Version = "1.2.3"` (or `VERSION`) in a const or var declaration, optional `string` type, optional `v`. */
const GO_VERSION = /(\b(?:[Vv]ersion|VERSION)\s+(?:string\s+)?=\s*"v?)(\d+\.\d+\.\d+[^"\s]*)(")/
/** Where Go projects keep a version package, besides the module root and the main package. */
const VERSION_PACKAGES = ['version', 'pkg/version', 'internal/version'] as const
const editVersionFile = versionEditor(VERSION_FILE)
const editGoVersion = versionEditor(GO_VERSION)

/** The directory of the go.mod governing `dir`: `dir` or the nearest above it, within the workspace. */
async function moduleRoot(context: SyncContext, dir: string): Promise<string | undefined> {
  for (let at = dir; ; at = dirname(at)) {
    if ((await context.edits.read(join(at, 'go.mod'))) !== undefined) return at
    if (
      relative(context.root, at) === '' ||
      relative(context.root, at).startsWith('..') ||
      dirname(at) === at
    )
      return undefined
  }
}

/** The non-test Go files of a package directory, sorted; none when it does not exist. */
async function goFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return []
    throw error
  })
  return names
    .filter((name) => name.endsWith('.go') && !name.endsWith('_test.go'))
    .sort()
    .map((name) => join(dir, name))
}

/**
 * Go has no manifest version: binaries get it through `-ldflags -X`, which needs nothing
 * here. A project that keeps it in source anyway gets it updated: a `VERSION` (or
 * `version.txt`) file, a `Version`/`VERSION = "x.y.z"` const or var in `version.go` next
 * to go.mod or in the main package, or in any file of a `version`, `pkg/version` or
 * `internal/version` package of the project or of its module (a project in `cmd/<name>`
 * of a module whose go.mod is above it). Placeholders such as `"dev"` are left alone.
 */
export async function syncGo(context: SyncContext, project: SyncProject): Promise<void> {
  const module = await moduleRoot(context, project.root)
  const isGo = project.config.binary?.toolchain === 'go' || module !== undefined
  if (!isGo) return
  const roots = [...new Set([project.root, ...(module === undefined ? [] : [module])])]
  for (const file of roots.flatMap((root) => ['VERSION', 'version.txt'].map((name) => join(root, name)))) {
    const text = await context.edits.read(file)
    if (text === undefined) continue
    const current = VERSION_FILE.exec(text)?.[2]
    // The module's own VERSION file may belong to something else; the project's must be a version.
    if (!isSemver(current) && dirname(file) !== project.root) continue
    if (!isSemver(current)) {
      throw new VersioningError(
        'VERSION_MANIFEST_INVALID',
        `${context.edits.show(file)}: ${JSON.stringify(text.trim())} is not a SemVer version`,
        { hint: `the file must hold only the version, e.g. ${project.oldVersion}` },
      )
    }
    context.edits.setText(file, editVersionFile, project.newVersion, project.name)
  }
  const candidates = new Set([
    ...roots.map((root) => join(root, 'version.go')),
    join(resolve(project.root, project.config.binary?.main ?? '.'), 'version.go'),
    ...(project.config.binary?.binaries ?? []).map((b) =>
      join(resolve(project.root, b.main ?? '.'), 'version.go'),
    ),
  ])
  for (const root of roots)
    for (const dir of VERSION_PACKAGES)
      for (const file of await goFiles(join(root, dir))) candidates.add(file)
  for (const file of candidates) {
    const text = await context.edits.read(file)
    const current = text === undefined ? undefined : GO_VERSION.exec(text)?.[2]
    if (isSemver(current)) context.edits.setText(file, editGoVersion, project.newVersion, project.name)
  }
}

/** An editor replacing the middle group of `pattern` (before, version, after) with the new version. */
function versionEditor(pattern: RegExp): TextVersionEditor {
  return (text, _file, version) =>
    text.replace(pattern, (_, before: string, _old: string, after: string) => `${before}${version}${after}`)
}
