import { join, resolve } from 'node:path'
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

/**
 * Go has no manifest version: binaries get it through `-ldflags -X`, which needs nothing
 * here. A project that keeps it in source anyway gets it updated: a `VERSION` (or
 * `version.txt`) file, or a `Version`/`VERSION = "x.y.z"` const or var in `version.go`
 * next to go.mod, in the main package, or in a `version`, `pkg/version` or
 * `internal/version` package. Placeholders such as `"dev"` are left alone.
 */
export async function syncGo(context: SyncContext, project: SyncProject): Promise<void> {
  const isGo =
    project.config.binary?.toolchain === 'go' ||
    (await context.edits.read(join(project.root, 'go.mod'))) !== undefined
  if (!isGo) return
  for (const name of ['VERSION', 'version.txt']) {
    const file = join(project.root, name)
    const text = await context.edits.read(file)
    if (text === undefined) continue
    const current = VERSION_FILE.exec(text)?.[2]
    if (!isSemver(current)) {
      throw new VersioningError(
        'VERSION_MANIFEST_INVALID',
        `${context.edits.show(file)}: ${JSON.stringify(text.trim())} is not a SemVer version`,
        { hint: `the file must hold only the version, e.g. ${project.oldVersion}` },
      )
    }
    context.edits.setText(file, editVersionFile, project.newVersion, project.name)
  }
  const mains = new Set([
    project.root,
    resolve(project.root, project.config.binary?.main ?? '.'),
    ...(project.config.binary?.binaries ?? []).map((b) => resolve(project.root, b.main ?? '.')),
    ...VERSION_PACKAGES.map((dir) => join(project.root, dir)),
  ])
  for (const dir of mains) {
    const file = join(dir, 'version.go')
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
