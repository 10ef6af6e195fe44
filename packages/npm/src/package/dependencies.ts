import { readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { NpmError } from '../errors.ts'
import type { PackedManifest } from './tarball.ts'

/** A dependency of a packed package as the workspace resolved it. */
export interface ResolvedDependency {
  readonly name: string
  /** The locked version; absent without a lockfile entry (then only `range` is known). */
  readonly version?: string
  /** The range the packed manifest asks for (direct dependencies only). */
  readonly range?: string
  /** `sha512-...` from the lockfile (registry packages). */
  readonly integrity?: string
  /** Listed in the package's own manifest, not only pulled in by another dependency. */
  readonly direct: boolean
  readonly optional: boolean
}

interface LockedRef {
  readonly specifier?: string
  readonly version?: string
}
interface Importer {
  readonly dependencies?: Readonly<Record<string, LockedRef>>
  readonly optionalDependencies?: Readonly<Record<string, LockedRef>>
}
interface Snapshot {
  readonly dependencies?: Readonly<Record<string, string>>
  readonly optionalDependencies?: Readonly<Record<string, string>>
}
interface Lockfile {
  readonly importers?: Readonly<Record<string, Importer>>
  readonly packages?: Readonly<Record<string, { readonly resolution?: { readonly integrity?: string } }>>
  readonly snapshots?: Readonly<Record<string, Snapshot>>
}

/** `1.2.3(react@18.0.0)` -> `1.2.3`: pnpm's peer suffix is not part of the version. */
const bare = (version: string) => version.replace(/\(.*$/, '')

/**
 * The dependencies a packed package brings, resolved through the workspace's
 * pnpm-lock.yaml (v9): its runtime and optional dependencies, and theirs, transitively;
 * workspace packages (`link:`) at their own package.json version. Dev and peer
 * dependencies are not part of what the package installs. Without a lockfile, the direct
 * dependencies with their ranges.
 */
export async function resolvedDependencies(options: {
  readonly workspaceRoot: string
  readonly projectDir: string
  readonly manifest: PackedManifest
}): Promise<ResolvedDependency[]> {
  const lockPath = join(options.workspaceRoot, 'pnpm-lock.yaml')
  const text = await readFile(lockPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  const direct = [
    ...Object.entries(options.manifest.dependencies).map(([name, range]) => ({
      name,
      range,
      optional: false,
    })),
    ...Object.entries(options.manifest.optionalDependencies).map(([name, range]) => ({
      name,
      range,
      optional: true,
    })),
  ]
  if (text === undefined) return direct.map((d) => ({ ...d, direct: true }))
  const { parse } = await import('yaml')
  let lock: Lockfile
  try {
    lock = (parse(text) ?? {}) as Lockfile
  } catch (cause) {
    throw new NpmError('NPM_TARBALL_INVALID', `${lockPath} is not YAML: ${(cause as Error).message}`, {
      cause,
      hint: 'run pnpm install to rewrite the lockfile',
    })
  }
  const found = new Map<string, ResolvedDependency>()
  /** Records a dependency once; a direct one keeps its range even when seen transitively first. */
  const record = (dependency: ResolvedDependency): boolean => {
    const key = `${dependency.name}@${dependency.version ?? dependency.range}`
    const before = found.get(key)
    if (before !== undefined) {
      if (dependency.direct && !before.direct)
        found.set(key, { ...before, direct: true, range: dependency.range! })
      return false
    }
    found.set(key, dependency)
    return true
  }
  const importerOf = (dir: string) =>
    lock.importers?.[relative(options.workspaceRoot, dir).split('\\').join('/') || '.']
  const visitSnapshot = (name: string, version: string, optional: boolean, range?: string) => {
    const key = `${name}@${version}`
    const integrity = lock.packages?.[key]?.resolution?.integrity
    const isNew = record({
      name,
      version,
      ...(integrity === undefined ? {} : { integrity }),
      ...(range === undefined ? {} : { range }),
      direct: range !== undefined,
      optional,
    })
    if (!isNew) return
    const snapshot = lock.snapshots?.[key]
    for (const [dep, v] of Object.entries(snapshot?.dependencies ?? {})) visitSnapshot(dep, bare(v), optional)
    for (const [dep, v] of Object.entries(snapshot?.optionalDependencies ?? {}))
      visitSnapshot(dep, bare(v), true)
  }
  const visitRef = async (dir: string, name: string, ref: LockedRef, optional: boolean, range?: string) => {
    const version = ref.version
    if (version === undefined) return
    if (!version.startsWith('link:')) return visitSnapshot(name, bare(version), optional, range)
    const target = resolve(dir, version.slice('link:'.length))
    const manifest = JSON.parse(await readFile(join(target, 'package.json'), 'utf8')) as { version?: unknown }
    const linked = typeof manifest.version === 'string' ? manifest.version : undefined
    const isNew = record({
      name,
      ...(linked === undefined ? {} : { version: linked }),
      ...(range === undefined ? {} : { range }),
      direct: range !== undefined,
      optional,
    })
    if (isNew) await visitImporter(target, optional)
  }
  const visitImporter = async (dir: string, optional: boolean): Promise<void> => {
    const importer = importerOf(dir)
    for (const [name, ref] of Object.entries(importer?.dependencies ?? {}))
      await visitRef(dir, name, ref, optional)
    for (const [name, ref] of Object.entries(importer?.optionalDependencies ?? {}))
      await visitRef(dir, name, ref, true)
  }
  const importer = importerOf(options.projectDir)
  for (const { name, range, optional } of direct) {
    const ref = importer?.dependencies?.[name] ?? importer?.optionalDependencies?.[name]
    if (ref === undefined) record({ name, range, direct: true, optional })
    else await visitRef(options.projectDir, name, ref, optional, range)
  }
  return [...found.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || (a.version ?? '').localeCompare(b.version ?? ''),
  )
}
