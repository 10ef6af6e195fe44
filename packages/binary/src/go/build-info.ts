import { run } from '@polyship/core'
import { BinaryError } from '../errors.ts'
import type { Env } from '../options.ts'

/** A Go module as the build info records it. */
export interface GoModule {
  readonly path: string
  /** `v1.6.0`; `(devel)` for the main module. */
  readonly version: string
  /** go.sum hash (`h1:...`), absent for the main module and local replacements. */
  readonly sum?: string
  readonly replace?: GoModule
}

/** The dependency data of one Go binary, read back from the binary (`go version -m -json`). */
export interface GoBuildInfo {
  readonly toolchain: 'go'
  /** `go1.26.8` */
  readonly goVersion: string
  /** Import path of the main package. */
  readonly path: string
  readonly main: GoModule
  /** Every module linked into the binary, in the order Go lists them. */
  readonly modules: readonly GoModule[]
  /** Build settings (`GOOS`, `GOARCH`, `CGO_ENABLED`, `-trimpath`, `vcs.revision`, ...). */
  readonly settings: Readonly<Record<string, string>>
}

/** Reads the build info embedded in a Go binary of any platform. */
export async function readGoBuildInfo(binary: string, env: Env): Promise<GoBuildInfo> {
  const { stdout } = await run('go', ['version', '-m', '-json', binary], {
    env: { ...env, GOTOOLCHAIN: 'local' },
    timeoutMs: 60_000,
  })
  return parseGoBuildInfo(stdout, binary)
}

/** Parses `go version -m -json` output; `file` is for messages. */
export function parseGoBuildInfo(text: string, file: string): GoBuildInfo {
  const fail = (what: string): never => {
    throw new BinaryError('BINARY_BUILD_FAILED', `go version -m -json ${file}: ${what}`, {
      hint: 'the binary carries no readable Go build info; was it built by go build with module mode?',
    })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return fail('output is not JSON')
  }
  if (!isRecord(raw)) return fail('output is not a JSON object')
  const goVersion = raw.GoVersion
  const path = raw.Path
  if (typeof goVersion !== 'string' || typeof path !== 'string') return fail('no GoVersion or Path')
  const main = isRecord(raw.Main) ? toModule(raw.Main, fail) : { path, version: '(devel)' }
  const deps = Array.isArray(raw.Deps) ? raw.Deps : []
  const settings: Record<string, string> = {}
  for (const setting of Array.isArray(raw.Settings) ? raw.Settings : []) {
    if (isRecord(setting) && typeof setting.Key === 'string' && typeof setting.Value === 'string')
      settings[setting.Key] = setting.Value
  }
  return {
    toolchain: 'go',
    goVersion,
    path,
    main,
    modules: deps.map((dep) => (isRecord(dep) ? toModule(dep, fail) : fail('a Deps entry is not an object'))),
    settings,
  }
}

function toModule(raw: Record<string, unknown>, fail: (what: string) => never): GoModule {
  const { Path: path, Version: version, Sum: sum, Replace: replace } = raw
  if (typeof path !== 'string' || typeof version !== 'string') return fail('a module has no Path or Version')
  return {
    path,
    version,
    ...(typeof sum === 'string' && sum !== '' ? { sum } : {}),
    ...(isRecord(replace) ? { replace: toModule(replace, fail) } : {}),
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
