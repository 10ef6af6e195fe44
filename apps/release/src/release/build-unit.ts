import { existsSync } from 'node:fs'
import { glob, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BinaryDependencies } from '@polyship/binary'
import { type Digest, isDigest, writeJsonAtomic } from '@polyship/core'
import { ReleaseError } from './errors.ts'

/** A project's directory under the build and staging directories: `@scope/name` is `scope__name`. */
export function unitName(project: { readonly name: string }): string {
  return project.name.replace(/^@/, '').replace('/', '__')
}

export const BUILD_UNIT_SCHEMA = 'https://polyship.dev/build-unit/v1'

/** A file a build produced, relative to its unit directory. */
export interface BuiltFile {
  readonly path: string
  readonly digest: Digest
  readonly size: number
}

export interface UnitBinary extends BuiltFile {
  /** The executable's name without `.exe`; absent in units of one binary written before projects had several (then `binaryName`). */
  readonly name?: string
  readonly platform: string
  readonly target: string
  readonly dependencies: BinaryDependencies
}

export interface UnitArchive extends BuiltFile {
  readonly platform: string
  readonly name: string
}

/** An npm tarball as `pnpm pack` wrote it. */
export interface UnitTarball extends BuiltFile {
  readonly filename: string
}

/**
 * What besides the sources decides a unit's bytes, compared before the unit is reused: a
 * mismatch rebuilds it. Units written before it was recorded are never reused.
 */
export interface UnitInputs {
  /** Versions of the tools that build the unit (`go: go1.26.8`, `rustc: rustc 1.95.0 (...)`, `maturin: 1.16.0`). */
  readonly toolchains: Readonly<Record<string, string>>
  /** Build variables in effect: GOFLAGS as go sees them (environment, else `go env -w`), GOAMD64, RUSTFLAGS, CARGO_PROFILE_* ... */
  readonly env: Readonly<Record<string, string>>
  /** Digests of the project's compile config sections (`binary`, `wheel`, `npm`), their env included. */
  readonly config: Readonly<Record<string, Digest>>
}

export interface UnitDistribution extends BuiltFile {
  readonly kind: 'wheel' | 'sdist'
  readonly filename: string
}

/**
 * What compiling one project (or one platform of it) produced: `build.json` in the unit's
 * directory. Units are what `polyship build` and `--split` shards write and what the
 * release (or `--merge`) assembles images and charts from, so the Nx cache can restore them.
 */
export interface BuildUnit {
  readonly schema: typeof BUILD_UNIT_SCHEMA
  readonly project: string
  readonly version: string
  readonly commit: string
  /**
   * Git tree id of the project directory the unit was compiled from, and whether it is the
   * commit's (no uncommitted change). Absent in units written before it was recorded:
   * those are never reused.
   */
  readonly sourceTree?: string
  readonly clean?: boolean
  /**
   * The project's source stamp commit (the last commit that changed its inputs), which is
   * what its binaries embed; `commit` is HEAD. A unit of another HEAD with the same stamp
   * commit, source tree, version and SOURCE_DATE_EPOCH holds the bytes this HEAD would build
   * (the PR build reused by the release of its merge commit). Absent in older units.
   */
  readonly sourceCommit?: string
  readonly sourceDateEpoch: number
  readonly binaryName?: string
  readonly toolchain?: 'go' | 'rust'
  readonly binaries: readonly UnitBinary[]
  readonly archives: readonly UnitArchive[]
  readonly distributions: readonly UnitDistribution[]
  /** npm packages; absent in units written before the npm format. */
  readonly tarballs?: readonly UnitTarball[]
  readonly skipped: readonly { readonly what: string; readonly reason: string }[]
  /** Tool versions for provenance (`go1.26.8`, `rustc 1.95.0`, `maturin 1.16.0`). */
  readonly toolchains: Readonly<Record<string, string>>
  /** What besides the sources the unit was built with; absent in older units (never reused). */
  readonly inputs?: UnitInputs
}

export const BUILD_UNIT_FILE = 'build.json'

export async function writeBuildUnit(dir: string, unit: BuildUnit): Promise<void> {
  await writeJsonAtomic(join(dir, BUILD_UNIT_FILE), unit)
}

/** A unit read back, with `dir` to resolve its relative paths. */
export interface LoadedUnit {
  readonly dir: string
  readonly unit: BuildUnit
}

async function readUnit(file: string): Promise<BuildUnit> {
  const unit = JSON.parse(await readFile(file, 'utf8')) as Partial<BuildUnit>
  const files = [
    ...(unit.binaries ?? []),
    ...(unit.archives ?? []),
    ...(unit.distributions ?? []),
    ...(unit.tarballs ?? []),
  ]
  if (
    unit.schema !== BUILD_UNIT_SCHEMA ||
    typeof unit.project !== 'string' ||
    !files.every((f) => isDigest(f.digest))
  ) {
    throw new ReleaseError('RELEASE_MERGE_INVALID', `${file} is not a polyship build unit`, {
      hint: 'pass the directories `polyship release --split` or `polyship build` wrote',
    })
  }
  return unit as BuildUnit
}

/** The unit in `dir`, or undefined when there is none. */
export async function readBuildUnit(dir: string): Promise<BuildUnit | undefined> {
  const file = join(dir, BUILD_UNIT_FILE)
  return existsSync(file) ? readUnit(file) : undefined
}

/** Every build unit under `dirs` (searched three levels deep), sorted by project and directory. */
export async function loadBuildUnits(dirs: readonly string[]): Promise<LoadedUnit[]> {
  const found: LoadedUnit[] = []
  for (const dir of dirs) {
    const patterns = [
      BUILD_UNIT_FILE,
      `*/${BUILD_UNIT_FILE}`,
      `*/*/${BUILD_UNIT_FILE}`,
      `*/*/*/${BUILD_UNIT_FILE}`,
    ]
    for await (const match of glob(patterns, { cwd: dir })) {
      found.push({ dir: join(dir, match, '..'), unit: await readUnit(join(dir, match)) })
    }
  }
  if (found.length === 0) {
    throw new ReleaseError(
      'RELEASE_MERGE_INVALID',
      `no build units (${BUILD_UNIT_FILE}) under ${dirs.join(', ')}`,
      {
        hint: 'download every split job’s dist/shards/* into the merge job first',
      },
    )
  }
  return found.sort((a, b) => a.unit.project.localeCompare(b.unit.project) || a.dir.localeCompare(b.dir))
}
