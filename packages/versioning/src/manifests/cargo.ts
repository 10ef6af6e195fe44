import { existsSync } from 'node:fs'
import { glob } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { VersioningError } from '../errors.ts'
import { followRequirement, isSemver } from '../semver.ts'
import { isTable, readTomlFile, type SyncContext, type SyncProject } from './context.ts'

/** A crate whose version changes, found through its manifest. */
export interface CrateChange {
  readonly name: string
  /** Absolute crate directory (what path dependencies point at). */
  readonly dir: string
  readonly oldVersion: string
  readonly newVersion: string
  readonly project: string
}

/** A Cargo workspace (or a lone package): where Cargo.lock lives and every manifest in it. */
export interface CargoUnit {
  readonly root: string
  readonly manifests: readonly string[]
}

interface WorkspaceRoot {
  readonly file: string
  readonly doc: Record<string, unknown>
}

const DEPENDENCY_TABLES = ['dependencies', 'dev-dependencies', 'build-dependencies'] as const

/**
 * Versions the crates of one project's Cargo.toml: `package.version`, or, when the crate
 * inherits it (`version.workspace = true`) or the manifest is a virtual workspace,
 * `[workspace.package].version` together with every member that inherits it.
 */
export async function syncCargoManifest(
  context: SyncContext,
  project: SyncProject,
  manifest: string,
): Promise<{ crates: CrateChange[]; unit: CargoUnit }> {
  const shown = context.edits.show(manifest)
  const doc = (await readTomlFile(context, manifest))!
  const pkg = isTable(doc.package) ? doc.package : undefined
  let workspace: WorkspaceRoot | undefined = isTable(doc.workspace) ? { file: manifest, doc } : undefined
  const crates: CrateChange[] = []
  const fail = (what: string, hint: string): never => {
    throw new VersioningError('VERSION_MANIFEST_INVALID', `${shown}: ${what}`, { hint })
  }

  if (pkg !== undefined) {
    const name = typeof pkg.name === 'string' ? pkg.name : fail('package.name is missing', 'name the crate')
    if (isTable(pkg.version) && pkg.version.workspace === true) {
      workspace ??= await findWorkspaceRoot(context, manifest, pkg.workspace)
      if (workspace === undefined) {
        fail(
          'package.version.workspace = true, but no Cargo workspace ([workspace] in a Cargo.toml above it) was found',
          'set package.version to a version, or add a workspace root with [workspace.package] version',
        )
      }
    } else if (typeof pkg.version === 'string') {
      if (!isSemver(pkg.version)) {
        fail(
          `package.version "${pkg.version}" is not SemVer`,
          'Cargo versions are MAJOR.MINOR.PATCH, e.g. "1.2.0"',
        )
      }
      context.edits.set(manifest, 'toml', ['package', 'version'], project.newVersion, project.name)
      crates.push(crate(name, manifest, pkg.version, project))
    } else {
      fail('package.version is missing', `add version = "${project.oldVersion}" under [package]`)
    }
  } else if (workspace === undefined) {
    fail(
      'has neither [package] nor [workspace]',
      'point polyship at the crate or workspace that carries the version',
    )
  }

  // The crate inherits its version, or the manifest is a virtual workspace: version the workspace.
  if (workspace !== undefined && typeof pkg?.version !== 'string') {
    crates.push(...(await syncWorkspaceVersion(context, project, workspace)))
  }
  // A member crate with a version of its own still shares the workspace root's Cargo.lock.
  const enclosing = workspace ?? (await enclosingWorkspace(context, manifest, pkg?.workspace))
  const unit =
    enclosing === undefined ? { root: dirname(manifest), manifests: [manifest] } : await unitOf(enclosing)
  return { crates, unit }
}

/** The workspace above `manifest` that lists it as a member, if any. */
async function enclosingWorkspace(
  context: SyncContext,
  manifest: string,
  explicit: unknown,
): Promise<WorkspaceRoot | undefined> {
  const workspace = await findWorkspaceRoot(context, manifest, explicit)
  if (workspace === undefined) return undefined
  return (await unitOf(workspace)).manifests.includes(manifest) ? workspace : undefined
}

function crate(name: string, manifest: string, oldVersion: string, project: SyncProject): CrateChange {
  return { name, dir: dirname(manifest), oldVersion, newVersion: project.newVersion, project: project.name }
}

/** Sets `[workspace.package].version`; returns every member crate (root included) that inherits it. */
async function syncWorkspaceVersion(
  context: SyncContext,
  project: SyncProject,
  workspace: WorkspaceRoot,
): Promise<CrateChange[]> {
  const shown = context.edits.show(workspace.file)
  const table = workspace.doc.workspace as Record<string, unknown>
  const version = isTable(table.package) ? table.package.version : undefined
  if (typeof version !== 'string' || !isSemver(version)) {
    throw new VersioningError(
      'VERSION_MANIFEST_INVALID',
      version === undefined
        ? `${shown}: members inherit the version, but [workspace.package] has no version`
        : `${shown}: workspace.package.version "${String(version)}" is not SemVer`,
      { hint: `set [workspace.package] version = "${project.oldVersion}"` },
    )
  }
  context.edits.set(
    workspace.file,
    'toml',
    ['workspace', 'package', 'version'],
    project.newVersion,
    project.name,
  )
  const crates: CrateChange[] = []
  for (const manifest of (await unitOf(workspace)).manifests) {
    const doc = (await readTomlFile(context, manifest))!
    const pkg = isTable(doc.package) ? doc.package : undefined
    if (
      pkg !== undefined &&
      isTable(pkg.version) &&
      pkg.version.workspace === true &&
      typeof pkg.name === 'string'
    ) {
      crates.push(crate(pkg.name, manifest, version, project))
    }
  }
  return crates
}

/** Cargo's own search: `package.workspace` if set, else the nearest parent with [workspace], within the repo. */
async function findWorkspaceRoot(
  context: SyncContext,
  manifest: string,
  explicit: unknown,
): Promise<WorkspaceRoot | undefined> {
  const candidates: string[] = []
  if (typeof explicit === 'string') candidates.push(resolve(dirname(manifest), explicit, 'Cargo.toml'))
  else {
    for (
      let dir = dirname(dirname(manifest));
      !relative(context.root, dir).startsWith('..');
      dir = dirname(dir)
    ) {
      candidates.push(join(dir, 'Cargo.toml'))
      if (dir === dirname(dir)) break
    }
  }
  for (const file of candidates) {
    const doc = await readTomlFile(context, file)
    if (doc !== undefined && isTable(doc.workspace)) return { file, doc }
  }
  return undefined
}

/** The root manifest and every member manifest (`workspace.members` globs minus `exclude`). */
async function unitOf(workspace: WorkspaceRoot): Promise<CargoUnit> {
  const root = dirname(workspace.file)
  const table = workspace.doc.workspace as Record<string, unknown>
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [])
  const excluded = new Set(strings(table.exclude).map((path) => resolve(root, path)))
  const manifests = new Set([workspace.file])
  for (const pattern of strings(table.members)) {
    for await (const match of glob(`${pattern.replace(/\/$/, '')}/Cargo.toml`, { cwd: root })) {
      const file = resolve(root, match)
      if (!excluded.has(dirname(file)) && existsSync(file)) manifests.add(file)
    }
  }
  return { root, manifests: [...manifests].sort() }
}

/**
 * Points `version` requirements of path dependencies at the new versions, in every
 * manifest of the given units ([dependencies], dev/build, per-target and
 * [workspace.dependencies]), matching by the directory the path resolves to.
 */
export async function syncPathDependencies(
  context: SyncContext,
  units: readonly CargoUnit[],
  crates: readonly CrateChange[],
): Promise<void> {
  const manifests = [...new Set(units.flatMap((unit) => unit.manifests))].sort()
  for (const manifest of manifests) {
    const doc = (await readTomlFile(context, manifest))!
    const tables: [string[], unknown][] = [
      ...DEPENDENCY_TABLES.map((name): [string[], unknown] => [[name], doc[name]]),
      [['workspace', 'dependencies'], isTable(doc.workspace) ? doc.workspace.dependencies : undefined],
      ...Object.entries(isTable(doc.target) ? doc.target : {}).flatMap(([target, spec]) =>
        DEPENDENCY_TABLES.map((name): [string[], unknown] => [
          ['target', target, name],
          isTable(spec) ? spec[name] : undefined,
        ]),
      ),
    ]
    for (const [path, table] of tables) {
      if (!isTable(table)) continue
      for (const [key, spec] of Object.entries(table)) {
        if (!isTable(spec) || typeof spec.path !== 'string' || typeof spec.version !== 'string') continue
        const target = crates.find((c) => c.dir === resolve(dirname(manifest), spec.path as string))
        const requirement = target && followRequirement(spec.version, target.newVersion, 'cargo')
        if (target !== undefined && requirement !== undefined && requirement !== spec.version) {
          context.edits.set(manifest, 'toml', [...path, key, 'version'], requirement, target.project)
        }
      }
    }
  }
}
