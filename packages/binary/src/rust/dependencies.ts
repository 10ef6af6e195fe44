import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse as parseToml } from 'smol-toml'
import { BinaryError } from '../errors.ts'
import type { Env } from '../options.ts'
import { type CargoMetadata, type CargoNode, cargoMetadata } from './cargo-metadata.ts'

/** A crate compiled into (or, `buildOnly`, only for building) a Rust binary. */
export interface RustCrate {
  readonly name: string
  readonly version: string
  /** `registry+https://github.com/rust-lang/crates.io-index`, `git+...`; absent for path crates. */
  readonly source?: string
  /** sha256 of the .crate from Cargo.lock (registry crates only). */
  readonly checksum?: string
  readonly license?: string
  /** Reached only through build-dependencies: runs at build time, not linked in. */
  readonly buildOnly: boolean
}

/** The dependency data of one Rust binary for one target. */
export interface RustDependencies {
  readonly toolchain: 'rust'
  /** `1.95.0` */
  readonly rustc: string
  readonly target: string
  readonly root: { readonly name: string; readonly version: string }
  /** Sorted by name and version; the root package is not listed. */
  readonly crates: readonly RustCrate[]
}

/** One `[[package]]` of Cargo.lock. */
export interface LockedPackage {
  readonly name: string
  readonly version: string
  readonly source?: string
  readonly checksum?: string
}

/** Parses Cargo.lock (versions 3 and 4); `file` is for messages. */
export function parseCargoLock(text: string, file: string): LockedPackage[] {
  let parsed: Record<string, unknown>
  try {
    parsed = parseToml(text) as Record<string, unknown>
  } catch (cause) {
    throw new BinaryError('BINARY_PROJECT_INVALID', `${file}: not valid TOML (${(cause as Error).message})`, {
      cause,
      hint: 'regenerate it with cargo generate-lockfile',
    })
  }
  const packages = Array.isArray(parsed.package) ? (parsed.package as Record<string, unknown>[]) : []
  return packages.flatMap((p) =>
    typeof p.name === 'string' && typeof p.version === 'string'
      ? [
          {
            name: p.name,
            version: p.version,
            ...(typeof p.source === 'string' ? { source: p.source } : {}),
            ...(typeof p.checksum === 'string' ? { checksum: p.checksum } : {}),
          },
        ]
      : [],
  )
}

export async function readCargoLock(workspaceRoot: string): Promise<LockedPackage[]> {
  const file = join(workspaceRoot, 'Cargo.lock')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause
    throw new BinaryError(
      'BINARY_PROJECT_INVALID',
      `${file} does not exist; release builds run with --locked`,
      {
        cause,
        hint: 'run cargo generate-lockfile and commit Cargo.lock',
      },
    )
  }
  return parseCargoLock(text, file)
}

/**
 * The crates a binary for `target` depends on: the resolved graph of `cargo metadata
 * --filter-platform` walked from the root package (dev-dependencies left out), with
 * checksums from Cargo.lock.
 */
export async function readRustDependencies(
  projectRoot: string,
  target: string,
  context: {
    readonly rustc: string
    readonly lock: readonly LockedPackage[]
    readonly env: Env
    /** Package ids to walk from (a virtual workspace has no root); default the project's package. */
    readonly roots?: readonly string[]
  },
): Promise<RustDependencies[]> {
  const metadata = await cargoMetadata(projectRoot, context.env, { filterPlatform: target })
  const roots = context.roots ?? [metadata.resolve?.root ?? '']
  return roots.map((root) => rustDependencies(metadata, target, context.rustc, context.lock, root))
}

/** Pure part of readRustDependencies, for tests. */
export function rustDependencies(
  metadata: CargoMetadata,
  target: string,
  rustc: string,
  lock: readonly LockedPackage[],
  rootId: string | null | undefined = metadata.resolve?.root,
): RustDependencies {
  const root = metadata.packages.find((p) => p.id === rootId)
  if (metadata.resolve === null || root === undefined)
    throw new Error('cargo metadata returned no resolve root')
  const nodes = new Map(metadata.resolve.nodes.map((node) => [node.id, node]))
  const linked = reach(nodes, root.id, (kind) => kind === null)
  const all = reach(nodes, root.id, (kind) => kind !== 'dev')
  const checksums = new Map(lock.map((p) => [`${p.name} ${p.version} ${p.source ?? ''}`, p.checksum]))
  const crates = metadata.packages
    .filter((p) => p.id !== root.id && all.has(p.id))
    .map((p): RustCrate => {
      const checksum = checksums.get(`${p.name} ${p.version} ${p.source ?? ''}`)
      return {
        name: p.name,
        version: p.version,
        ...(p.source === null ? {} : { source: p.source }),
        ...(checksum === undefined ? {} : { checksum }),
        ...(p.license === null ? {} : { license: p.license }),
        buildOnly: !linked.has(p.id),
      }
    })
    .sort((a, b) => (a.name === b.name ? compare(a.version, b.version) : compare(a.name, b.name)))
  return { toolchain: 'rust', rustc, target, root: { name: root.name, version: root.version }, crates }
}

function reach(
  nodes: ReadonlyMap<string, CargoNode>,
  start: string,
  follow: (kind: 'dev' | 'build' | null) => boolean,
): Set<string> {
  const seen = new Set<string>([start])
  const queue = [start]
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    for (const dep of nodes.get(id)?.deps ?? []) {
      if (seen.has(dep.pkg) || !dep.dep_kinds.some((k) => follow(k.kind))) continue
      seen.add(dep.pkg)
      queue.push(dep.pkg)
    }
  }
  return seen
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
