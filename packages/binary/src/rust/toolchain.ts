import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { CoreError, run, rustcReport } from '@polyship/core'
import { BinaryError } from '../errors.ts'
import type { Env } from '../options.ts'

/** The local Rust toolchain: what it runs on and which standard libraries it holds. */
export interface RustToolchain {
  /** `1.95.0` */
  readonly release: string
  /** `x86_64-unknown-linux-gnu` */
  readonly host: string
  readonly sysroot: string
  /** Triples with a standard library under `<sysroot>/lib/rustlib/<triple>/lib`. */
  readonly installed: ReadonlySet<string>
}

/** Reads `rustc -vV` and the sysroot (in `cwd`, so a rust-toolchain.toml there applies). */
export async function readRustToolchain(cwd: string, env: Env): Promise<RustToolchain> {
  let verbose: string
  let sysroot: string
  try {
    ;({ verbose, sysroot } = await rustcReport(cwd, env))
  } catch (error) {
    throw missingRust(error, 'rustc')
  }
  const field = (name: string) => new RegExp(`^${name}: (.+)$`, 'm').exec(verbose)?.[1]?.trim()
  const release = field('release') ?? ''
  const host = field('host') ?? ''
  const rustlib = join(sysroot, 'lib', 'rustlib')
  const installed = new Set<string>()
  for (const entry of existsSync(rustlib) ? await readdir(rustlib, { withFileTypes: true }) : []) {
    if (entry.isDirectory() && existsSync(join(rustlib, entry.name, 'lib'))) installed.add(entry.name)
  }
  return { release, host, sysroot, installed }
}

/** A missing rustc/cargo as BINARY_TOOLCHAIN_MISSING; other errors pass through. */
export function missingRust(error: unknown, tool: string): unknown {
  if (error instanceof CoreError && error.code === 'SUBPROCESS_NOT_FOUND') {
    return new BinaryError(
      'BINARY_TOOLCHAIN_MISSING',
      `${tool} is not on PATH; Rust binaries need rustc and cargo`,
      {
        cause: error,
        hint: 'install Rust with rustup (https://rustup.rs) and put ~/.cargo/bin on PATH',
      },
    )
  }
  return error
}

/** Compares dotted numeric versions (`1.95.0` vs `1.80`); negative when a is older. */
export function compareRustVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0)
  const pb = b.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0)
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** cargo-zigbuild, found and checked to actually reach a working zig. */
export interface Zigbuild {
  readonly command: string
  /** PATH to run it with: its own directory first, where the ziglang Python module lives. */
  readonly path: string
}

/**
 * Looks for cargo-zigbuild (explicit path, PATH, then polyship's tool venv) and checks
 * that it reaches zig (`cargo-zigbuild zig cc -- --version`). undefined when absent or broken.
 */
export async function findZigbuild(env: Env, explicit?: string): Promise<Zigbuild | undefined> {
  const cache =
    env.POLYSHIP_CACHE ?? join(env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), '.cache'), 'polyship')
  const candidates =
    explicit !== undefined
      ? [explicit]
      : [
          ...(env.PATH ?? '')
            .split(delimiter)
            .filter(Boolean)
            .map((dir) => join(dir, 'cargo-zigbuild')),
          join(cache, 'venv', 'bin', 'cargo-zigbuild'),
        ]
  const command = candidates.find((candidate) => existsSync(candidate))
  if (command === undefined) return undefined
  const path = [dirname(command), env.PATH ?? ''].filter(Boolean).join(delimiter)
  try {
    await run(command, ['zig', 'cc', '--', '--version'], { env: { ...env, PATH: path }, timeoutMs: 120_000 })
  } catch (error) {
    if (error instanceof CoreError) return undefined
    throw error
  }
  return { command, path }
}
