import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { CoreError, run } from '@polyship/core'
import { WheelError } from '../errors.ts'

/** What this machine can build wheels with. */
export interface Toolchain {
  /** The maturin command (`maturin`, or `$MATURIN`). */
  readonly maturin: string
  readonly maturinVersion: string
  /** `rustc -vV` host triple, e.g. `x86_64-unknown-linux-gnu`. */
  readonly hostTriple: string
  /** Targets whose Rust standard library is installed. */
  readonly installedTargets: ReadonlySet<string>
  /** Whether zig is available for cross-linking and manylinux glibc pinning (`zig` or `python3 -m ziglang`). */
  readonly zig: boolean
}

export const MATURIN_INSTALL_HINT =
  'install it with `pip install maturin` (polyship pins maturin in tools/versions.sh; `tools/bootstrap.sh --test` installs it into ~/.cache/polyship/venv), or point $MATURIN at it'

export const UV_INSTALL_HINT =
  'install it with `pip install uv` (polyship pins uv in tools/versions.sh; `tools/bootstrap.sh` installs it into ~/.cache/polyship/venv), or point $UV at it'

type Env = Readonly<Record<string, string | undefined>>

/** The PEP 517 frontend for every backend but maturin: the uv command and its version. */
export interface Frontend {
  /** `uv`, or `$UV`. */
  readonly uv: string
  readonly uvVersion: string
}

/** Finds uv ($UV, else `uv` on PATH) and its version. */
export async function detectFrontend(env: Env = process.env): Promise<Frontend> {
  const uv = env.UV || 'uv'
  try {
    const { stdout } = await run(uv, ['--version'], { env, timeoutMs: 60_000 })
    return { uv, uvVersion: /(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1] ?? stdout.trim() }
  } catch (error) {
    if (error instanceof CoreError && error.code === 'SUBPROCESS_NOT_FOUND') {
      throw new WheelError('WHEEL_UV_MISSING', `uv is not installed (looked for "${uv}" on PATH)`, {
        hint: UV_INSTALL_HINT,
        cause: error,
      })
    }
    throw error
  }
}

async function maturinVersion(maturin: string, env: Env): Promise<string> {
  try {
    const { stdout } = await run(maturin, ['--version'], { env, timeoutMs: 60_000 })
    return /(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1] ?? stdout.trim()
  } catch (error) {
    if (error instanceof CoreError && error.code === 'SUBPROCESS_NOT_FOUND') {
      throw new WheelError(
        'WHEEL_MATURIN_MISSING',
        `maturin is not installed (looked for "${maturin}" on PATH)`,
        {
          hint: MATURIN_INSTALL_HINT,
          cause: error,
        },
      )
    }
    throw error
  }
}

async function hasZig(env: Env): Promise<boolean> {
  if (env.ZIG_COMMAND) return true
  const candidates = [
    ['zig', ['version']],
    ['python3', ['-m', 'ziglang', 'version']],
  ] as const
  for (const [command, args] of candidates) {
    try {
      await run(command, args, { env, timeoutMs: 60_000 })
      return true
    } catch (error) {
      if (!(error instanceof CoreError)) throw error
    }
  }
  return false
}

/** Rust targets with a standard library under the sysroot (what `rustup target list --installed` shows). */
async function installedTargets(env: Env): Promise<Set<string>> {
  const sysroot = (await run('rustc', ['--print', 'sysroot'], { env, timeoutMs: 60_000 })).stdout.trim()
  const rustlib = join(sysroot, 'lib', 'rustlib')
  const names = await readdir(rustlib).catch(() => [] as string[])
  const out = new Set<string>()
  for (const name of names) {
    const lib = join(rustlib, name, 'lib')
    if (existsSync(lib) && (await readdir(lib)).some((f) => f.startsWith('libstd-'))) out.add(name)
  }
  return out
}

/** Finds maturin, rustc's host and installed targets, and zig. */
export async function detectToolchain(env: Env = process.env): Promise<Toolchain> {
  const maturin = env.MATURIN || 'maturin'
  const version = await maturinVersion(maturin, env)
  const rustc = (await run('rustc', ['-vV'], { env, timeoutMs: 60_000 })).stdout
  const hostTriple = /^host:\s*(\S+)/m.exec(rustc)?.[1]
  if (hostTriple === undefined) throw new Error(`rustc -vV printed no host line:\n${rustc}`)
  return {
    maturin,
    maturinVersion: version,
    hostTriple,
    installedTargets: await installedTargets(env),
    zig: await hasZig(env),
  }
}
