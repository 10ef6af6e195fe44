import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { CoreError, cachedProbe, GO_BUILD_ENV, type Reporter, run } from '@polyship/core'
import { BinaryError } from '../errors.ts'
import type { Env } from '../options.ts'
import { compareGoVersions, type GoMod, isGoVersion } from './go-mod.ts'

/** The local Go toolchain, checked against a go.mod. */
export interface GoToolchain {
  /** `1.26.8` */
  readonly version: string
  /** `GOOS/GOARCH` pairs this toolchain can target (`go tool dist list`). */
  readonly targets: ReadonlySet<string>
  /** The user's GOFLAGS as go sees them: the environment's, else `go env -w GOFLAGS=...`. */
  readonly goflags: string
}

/** What `go env -json` reports for GOVERSION and {@link GO_BUILD_ENV}, and `go tool dist list`. */
export interface GoReport {
  readonly variables: Readonly<Record<string, string>>
  readonly dist: string
}

/**
 * `go env -json GOVERSION <GO_BUILD_ENV>` and `go tool dist list`, asked once per process and
 * kept in the probe cache across processes: they run outside any module (so a go.mod asking
 * for a newer Go cannot fail them) and depend on nothing else, and every Go project of a plan
 * or release asks them. The key holds the go executable, the environment, the file
 * `go env -w` writes and `$GOROOT/go.env`.
 */
export function goReport(env: Env): Promise<GoReport> {
  const envFile = goEnvFile(env)
  const probeEnv = { ...env, GOTOOLCHAIN: 'local' }
  const options = { cwd: tmpdir(), env: probeEnv, timeoutMs: 120_000 }
  return cachedProbe({
    name: 'go env + go tool dist list',
    command: 'go',
    env: probeEnv,
    // `go env -w` changes the answers without changing the environment: its file is in the key
    files: (go) => [join(dirname(go), '..', 'go.env'), ...(envFile === undefined ? [] : [envFile])],
    run: async () => {
      const [version, dist] = await Promise.all([
        run('go', ['env', '-json', 'GOVERSION', ...GO_BUILD_ENV], options),
        run('go', ['tool', 'dist', 'list'], options),
      ])
      return { variables: JSON.parse(version.stdout) as Record<string, string>, dist: dist.stdout }
    },
  })
}

/** The file `go env -w` writes (GOENV, else os.UserConfigDir()/go/env), undefined when off or unknown. */
function goEnvFile(env: Env): string | undefined {
  const configDir = env.XDG_CONFIG_HOME || (env.HOME === undefined ? undefined : join(env.HOME, '.config'))
  const file = env.GOENV || (configDir === undefined ? undefined : join(configDir, 'go', 'env'))
  return file === 'off' ? undefined : file
}

/**
 * Finds `go` (with GOTOOLCHAIN=local: a release never downloads a toolchain), reads its
 * version and targets, and checks it against go.mod's `go` line (the minimum: older is
 * BINARY_TOOLCHAIN_MISSING). A newer `toolchain` line is only a preference: a warning.
 */
export async function checkGoToolchain(goMod: GoMod, env: Env, reporter: Reporter): Promise<GoToolchain> {
  let report: GoReport
  try {
    report = await goReport(env)
  } catch (error) {
    if (error instanceof CoreError && error.code === 'SUBPROCESS_NOT_FOUND') {
      throw new BinaryError(
        'BINARY_TOOLCHAIN_MISSING',
        `go is not on PATH; ${goMod.file} needs Go ${goMod.go ?? '(any version)'} or newer`,
        { cause: error, hint: 'install Go from https://go.dev/dl and put its bin directory on PATH' },
      )
    }
    throw error
  }
  const raw = (report.variables.GOVERSION ?? '').trim()
  const goflags = report.variables.GOFLAGS ?? ''
  const version = /^go(\d+(?:\.\d+)*(?:(?:beta|rc)\d+)?)/.exec(raw)?.[1]
  const targets = new Set(report.dist.split('\n').filter((line) => line.includes('/')))
  if (version === undefined) {
    reporter.emit({
      type: 'log',
      level: 'warn',
      message: `go reports version "${raw}" (a development build?); not checking it against ${goMod.file}`,
    })
    return { version: raw, targets, goflags }
  }
  if (goMod.go !== undefined && isGoVersion(goMod.go) && compareGoVersions(version, goMod.go) < 0) {
    throw new BinaryError(
      'BINARY_TOOLCHAIN_MISSING',
      `${goMod.file} requires Go >= ${goMod.go} (its go line), but the go on PATH is ${version}; polyship builds with GOTOOLCHAIN=local and does not download toolchains`,
      { hint: `install Go ${goMod.go} or newer and put it first on PATH` },
    )
  }
  if (
    goMod.toolchain !== undefined &&
    isGoVersion(goMod.toolchain) &&
    compareGoVersions(version, goMod.toolchain) < 0
  ) {
    reporter.emit({
      type: 'log',
      level: 'warn',
      message: `${goMod.file} prefers toolchain go${goMod.toolchain}; building with the local go${version}, which meets its go line`,
    })
  }
  return { version, targets, goflags }
}
