import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { cachedProbe } from './probe-cache.ts'
import { run } from './subprocess.ts'

type Env = Readonly<Record<string, string | undefined>>

/** What `rustc -vV` and `rustc --print sysroot` print in a directory. */
export interface RustcReport {
  readonly verbose: string
  readonly sysroot: string
}

/**
 * `rustc -vV` and `rustc --print sysroot` in `cwd`, kept in the probe cache: keyed by the
 * rustc found on PATH (often rustup's proxy), the environment (RUSTUP_TOOLCHAIN...), the cwd,
 * rustup's settings.toml (default toolchain, directory overrides) and every rust-toolchain
 * file from `cwd` up, and standing only while the sysroot's own rustc is unchanged (a
 * `rustup update` replaces it).
 */
export function rustcReport(cwd: string, env: Env): Promise<RustcReport> {
  const options = { cwd, env, timeoutMs: 120_000 }
  return cachedProbe({
    name: 'rustc -vV + sysroot',
    command: 'rustc',
    env,
    cwd,
    files: rustupFiles(cwd, env),
    run: async () => {
      const [{ stdout: verbose }, { stdout: sysroot }] = await Promise.all([
        run('rustc', ['-vV'], options),
        run('rustc', ['--print', 'sysroot'], options),
      ])
      return { verbose, sysroot: sysroot.trim() }
    },
    dependsOn: (report) => [join(report.sysroot, 'bin', 'rustc')],
  })
}

/** The files rustup picks a toolchain by for `cwd`: its settings and the rust-toolchain files in `cwd` and above. */
function rustupFiles(cwd: string, env: Env): string[] {
  const rustupHome = env.RUSTUP_HOME || join(env.HOME || homedir(), '.rustup')
  const files = [join(rustupHome, 'settings.toml')]
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    files.push(join(dir, 'rust-toolchain'), join(dir, 'rust-toolchain.toml'))
    if (dirname(dir) === dir) return files
  }
}
