import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { CoreError, cachedProbe, run, rustcReport } from '@polyship/core'
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
    const stdout = await versionOf(uv, env)
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

/** `<command> --version`, kept in the probe cache (keyed by the executable and the environment). */
function versionOf(command: string, env: Env): Promise<string> {
  return cachedProbe({
    name: `${command} --version`,
    command,
    env,
    run: async () => (await run(command, ['--version'], { env, timeoutMs: 60_000 })).stdout,
  })
}

async function maturinVersion(maturin: string, env: Env): Promise<string> {
  try {
    const stdout = await versionOf(maturin, env)
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
async function installedTargets(sysroot: string): Promise<Set<string>> {
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
  // asked at once; awaited in this order, so a missing maturin is the error reported first
  const asked = [maturinVersion(maturin, env), rustcReport(process.cwd(), env), hasZig(env)] as const
  for (const answer of asked) answer.catch(() => undefined)
  const version = await asked[0]
  const { verbose: rustc, sysroot } = await asked[1]
  const hostTriple = /^host:\s*(\S+)/m.exec(rustc)?.[1]
  if (hostTriple === undefined) throw new Error(`rustc -vV printed no host line:\n${rustc}`)
  return {
    maturin,
    maturinVersion: version,
    hostTriple,
    installedTargets: await installedTargets(sysroot),
    zig: await asked[2],
  }
}
