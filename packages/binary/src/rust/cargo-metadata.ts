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

/** The Cargo package at `projectRoot` and the names of its bin targets. */
export interface CargoProject {
  readonly package: CargoPackage
  readonly bins: readonly string[]
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
  const pkg = found.find((p) => p !== undefined)
  if (pkg === undefined) {
    throw new BinaryError(
      'BINARY_PROJECT_INVALID',
      `${manifest} has no [package] (a virtual workspace manifest?)`,
      {
        hint: 'point the polyship project at the package that builds the binary',
      },
    )
  }
  return {
    package: pkg,
    bins: pkg.targets.filter((t) => t.kind.includes('bin')).map((t) => t.name),
    workspaceRoot: metadata.workspace_root,
    targetDirectory: metadata.target_directory,
  }
}
