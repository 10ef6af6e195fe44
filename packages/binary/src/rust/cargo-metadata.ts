import { realpath } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { BinaryError } from '../errors.ts'
import type { Env } from '../options.ts'
import { missingRust } from './toolchain.ts'

/** The subset of `cargo metadata --format-version 1` polyship reads. */
export interface CargoMetadata {
  readonly packages: readonly CargoPackage[]
  readonly resolve: { readonly root: string | null; readonly nodes: readonly CargoNode[] } | null
  readonly workspace_root: string
  readonly target_directory: string
  /** Package ids of the workspace members. */
  readonly workspace_members?: readonly string[]
  /** Package ids of the default members (cargo 1.71+). */
  readonly workspace_default_members?: readonly string[]
}

export interface CargoPackage {
  readonly id: string
  readonly name: string
  readonly version: string
  readonly source: string | null
  readonly license: string | null
  readonly manifest_path: string
  readonly rust_version: string | null
  readonly targets: readonly { readonly name: string; readonly kind: readonly string[] }[]
}

export interface CargoNode {
  readonly id: string
  readonly deps: readonly {
    readonly pkg: string
    readonly dep_kinds: readonly { readonly kind: 'dev' | 'build' | null; readonly target: string | null }[]
  }[]
}

/** Runs `cargo metadata` for the package in `projectRoot` (`--no-deps`, or the graph for one target). */
export async function cargoMetadata(
  projectRoot: string,
  env: Env,
  scope: { readonly noDeps: true } | { readonly filterPlatform: string },
): Promise<CargoMetadata> {
  const args = [
    'metadata',
    '--format-version',
    '1',
    '--locked',
    '--manifest-path',
    join(projectRoot, 'Cargo.toml'),
  ]
  if ('noDeps' in scope) args.push('--no-deps')
  else args.push('--filter-platform', scope.filterPlatform)
  let stdout: string
  try {
    ;({ stdout } = await run('cargo', args, { cwd: projectRoot, env, timeoutMs: 600_000 }))
  } catch (error) {
    const missing = missingRust(error, 'cargo')
    if (missing !== error) throw missing
    throw new BinaryError(
      'BINARY_PROJECT_INVALID',
      `cargo metadata failed for ${join(projectRoot, 'Cargo.toml')}: ${(error as Error).message}`,
      {
        cause: error,
        hint: 'fix Cargo.toml; --locked needs a Cargo.lock that is up to date (run cargo generate-lockfile and commit it)',
      },
    )
  }
  return JSON.parse(stdout) as CargoMetadata
}

/** One package that ships bin targets, and which of them. */
export interface CargoBinaries {
  readonly package: CargoPackage
  readonly bins: readonly string[]
}

/** The Cargo project at `projectRoot`: its own package (absent for a virtual workspace root) and the workspace's members. */
export interface CargoProject {
  /** The package whose manifest is the project's Cargo.toml; undefined for a virtual workspace root. */
  readonly package: CargoPackage | undefined
  /** Every workspace member (the project's own package among them). */
  readonly members: readonly CargoPackage[]
  /** Members cargo builds without `-p` (default-members, else all). */
  readonly defaultMembers: readonly CargoPackage[]
  readonly manifest: string
  readonly workspaceRoot: string
  readonly targetDirectory: string
}

export async function readCargoProject(projectRoot: string, env: Env): Promise<CargoProject> {
  const metadata = await cargoMetadata(projectRoot, env, { noDeps: true })
  const manifest = await realpath(join(projectRoot, 'Cargo.toml'))
  const found = await Promise.all(
    metadata.packages.map(async (pkg) =>
      (await realpath(pkg.manifest_path)) === manifest ? pkg : undefined,
    ),
  )
  const ids = new Set(metadata.workspace_members ?? metadata.packages.map((p) => p.id))
  const members = metadata.packages.filter((p) => ids.has(p.id))
  const defaults = new Set(metadata.workspace_default_members ?? [...ids])
  return {
    package: found.find((p) => p !== undefined),
    members,
    defaultMembers: members.filter((p) => defaults.has(p.id)),
    manifest,
    workspaceRoot: metadata.workspace_root,
    targetDirectory: metadata.target_directory,
  }
}

/** The bin targets of a package. */
export function binTargets(pkg: CargoPackage): string[] {
  return pkg.targets.filter((t) => t.kind.includes('bin')).map((t) => t.name)
}
