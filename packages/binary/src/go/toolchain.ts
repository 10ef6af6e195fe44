import { statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CoreError, type Reporter, run } from '@polyship/core'
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

const reports = new Map<string, Promise<[string, string]>>()

/**
 * `go env -json GOVERSION GOFLAGS` and `go tool dist list`, run once per process for an
 * environment: they run outside any module (so a go.mod asking for a newer Go cannot fail
 * them) and depend on nothing else, and every Go project of a plan or release asks them.
 */
function goReport(env: Env): Promise<[string, string]> {
  // `go env -w` changes the answers without changing the environment: its file is in the key
  const key = JSON.stringify([
    Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    goEnvFileStamp(env),
  ])
  let report = reports.get(key)
  if (report === undefined) {
    const options = { cwd: tmpdir(), env: { ...env, GOTOOLCHAIN: 'local' }, timeoutMs: 120_000 }
    report = Promise.all([
      run('go', ['env', '-json', 'GOVERSION', 'GOFLAGS'], options),
      run('go', ['tool', 'dist', 'list'], options),
    ]).then(([version, dist]) => [version.stdout, dist.stdout])
    report.catch(() => reports.delete(key))
    reports.set(key, report)
  }
  return report
}

/**
 * Size and mtime of the file `go env -w` writes (GOENV, else os.UserConfigDir()/go/env), or
 * '' when there is none.
 */
function goEnvFileStamp(env: Env): string {
  const configDir = env.XDG_CONFIG_HOME || (env.HOME === undefined ? undefined : join(env.HOME, '.config'))
  const file = env.GOENV || (configDir === undefined ? undefined : join(configDir, 'go', 'env'))
  if (file === undefined || file === 'off') return ''
  try {
    const { size, mtimeMs } = statSync(file)
    return `${size}:${mtimeMs}`
  } catch {
    return ''
  }
}

/**
 * Finds `go` (with GOTOOLCHAIN=local: a release never downloads a toolchain), reads its
 * version and targets, and checks it against go.mod's `go` line (the minimum: older is
 * BINARY_TOOLCHAIN_MISSING). A newer `toolchain` line is only a preference: a warning.
 */
export async function checkGoToolchain(goMod: GoMod, env: Env, reporter: Reporter): Promise<GoToolchain> {
  let versionOut: string
  let distOut: string
  try {
    ;[versionOut, distOut] = await goReport(env)
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
  const goEnv = JSON.parse(versionOut) as { GOVERSION?: string; GOFLAGS?: string }
  const raw = (goEnv.GOVERSION ?? '').trim()
  const goflags = goEnv.GOFLAGS ?? ''
  const version = /^go(\d+(?:\.\d+)*(?:(?:beta|rc)\d+)?)/.exec(raw)?.[1]
  const targets = new Set(distOut.split('\n').filter((line) => line.includes('/')))
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
