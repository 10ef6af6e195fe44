import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { goReport } from '@polyship/binary'
import {
  CoreError,
  type Digest,
  GO_BUILD_ENV,
  isPolyshipError,
  isSecretName,
  type Project,
  rustcReport,
} from '@polyship/core'
import {
  detectFrontend,
  detectToolchain,
  type Frontend,
  readPythonProject,
  type Toolchain,
} from '@polyship/wheel'
import type { UnitInputs } from './build-unit.ts'
import type { ReleaseContext } from './context.ts'

/** What a unit compiles, decided before its reuse is checked. */
export interface UnitFormats {
  readonly binary: boolean
  readonly wheel: boolean
  readonly npm: boolean
}

const memos = new WeakMap<ReleaseContext, Map<string, Promise<unknown>>>()

/** `make()`'s promise, made once per release and `key`: tool versions are asked once, not once per project. */
export function oncePerRelease<T>(context: ReleaseContext, key: string, make: () => Promise<T>): Promise<T> {
  let memo = memos.get(context)
  if (memo === undefined) {
    memo = new Map()
    memos.set(context, memo)
  }
  let value = memo.get(key) as Promise<T> | undefined
  if (value === undefined) {
    value = make()
    // a failure is reported by whoever awaits it; never an unhandled rejection here
    value.catch(() => undefined)
    memo.set(key, value)
  }
  return value
}

/** A tool that is not installed: recorded as such, so the rebuild reports the toolchain's own error. */
const MISSING = '(missing)'

function missingAs<T>(fallback: T): (error: unknown) => T {
  return (error) => {
    if (isPolyshipError(error) || error instanceof CoreError) return fallback
    throw error
  }
}

/** GOVERSION and the effective build variables: one `go env` per process (and probe cache entry), asked once per release. */
function goEnv(context: ReleaseContext): Promise<Readonly<Record<string, string>>> {
  return oncePerRelease(context, 'go env', () =>
    goReport(context.env).then((report) => report.variables, missingAs({ GOVERSION: MISSING })),
  )
}

/** `rustc --version` where cargo or maturin runs (a rust-toolchain.toml there applies). */
function rustcVersion(context: ReleaseContext, cwd: string): Promise<string> {
  return oncePerRelease(context, `rustc ${cwd}`, () =>
    rustcReport(cwd, context.env).then((report) => report.verbose.split('\n')[0]!.trim(), missingAs(MISSING)),
  )
}

/** Variables cargo and rustc read that change what they compile (never credentials). */
function rustEnv(context: ReleaseContext): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(context.env)) {
    if (value === undefined || value === '' || isSecretName(name)) continue
    const relevant =
      name === 'RUSTFLAGS' ||
      name === 'CARGO_ENCODED_RUSTFLAGS' ||
      name === 'RUSTC_BOOTSTRAP' ||
      /^CARGO_(?:PROFILE|BUILD|UNSTABLE)_/.test(name) ||
      (/^CARGO_TARGET_/.test(name) && name !== 'CARGO_TARGET_DIR')
    if (relevant) out[name] = value
  }
  return out
}

/** The backend of a Python project and the detected tools `buildWheels` is given. */
export interface WheelTools {
  readonly backend: 'maturin' | 'uv'
  readonly options: { readonly toolchain?: Toolchain; readonly frontend?: Frontend }
}

/**
 * The tools of the project's backend, detected once per release and shared by every Python
 * project (maturin, rustc's host and targets, zig; or uv); left out when not installed, so
 * the build detects them again and reports the missing tool.
 */
export async function wheelTools(project: Project, context: ReleaseContext): Promise<WheelTools> {
  const python = await readPythonProject(project)
  if (python.backend === 'maturin') {
    const toolchain = await oncePerRelease(context, 'maturin', () =>
      detectToolchain(context.env).catch(missingAs(undefined)),
    )
    return { backend: 'maturin', options: toolchain === undefined ? {} : { toolchain } }
  }
  const frontend = await oncePerRelease(context, 'uv', () =>
    detectFrontend(context.env).catch(missingAs(undefined)),
  )
  return { backend: 'uv', options: frontend === undefined ? {} : { frontend } }
}

function digestOf(value: unknown): Digest {
  return `sha256:${createHash('sha256').update(JSON.stringify(value)).digest('hex')}`
}

/**
 * What besides its sources decides the bytes of a project's unit: the toolchains that build
 * it (go, rustc, maturin, uv, pnpm), the build variables in effect (GOFLAGS with what
 * `go env -w` stored, GOAMD64 ..., RUSTFLAGS, CARGO_PROFILE_* ...) and the project's compile
 * config sections (their env included). Tool versions come from one call per release.
 */
export async function unitInputs(
  project: Project,
  context: ReleaseContext,
  formats: UnitFormats,
  pnpmVersion: () => Promise<string>,
): Promise<UnitInputs> {
  const toolchains: Record<string, string> = {}
  const env: Record<string, string> = {}
  const config: Record<string, Digest> = {}
  const binary = formats.binary ? project.config.binary : undefined
  if (binary !== undefined) {
    config.binary = digestOf(binary)
    if (binary.toolchain === 'go') {
      const go = await goEnv(context)
      toolchains.go = go.GOVERSION ?? MISSING
      for (const name of GO_BUILD_ENV) if (go[name]) env[name] = go[name]
    } else {
      toolchains.rustc = await rustcVersion(context, project.root)
      Object.assign(env, rustEnv(context))
    }
  }
  const wheel = formats.wheel ? project.config.wheel : undefined
  if (wheel !== undefined) {
    config.wheel = digestOf(wheel)
    const tools = await wheelTools(project, context)
    if (tools.backend === 'maturin') {
      toolchains.maturin = tools.options.toolchain?.maturinVersion ?? MISSING
      toolchains.rustc = await rustcVersion(context, join(project.root, wheel.path ?? '.'))
      Object.assign(env, rustEnv(context))
    } else {
      toolchains.uv = tools.options.frontend?.uvVersion ?? MISSING
    }
  }
  const npm = formats.npm ? project.config.npm : undefined
  if (npm !== undefined) {
    config.npm = digestOf(npm)
    toolchains.pnpm = await pnpmVersion().catch(missingAs(MISSING))
  }
  return { toolchains, env, config }
}

function shown(name: string, version: string | undefined): string {
  if (version === undefined) return `${name} (none)`
  return version.startsWith(name) ? version : `${name} ${version}`
}

/** Why a unit built with `was` is not what `now` builds (`toolchain go1.25.1 -> go1.26.8`, `GOFLAGS changed`), or undefined. */
export function inputsChanged(was: UnitInputs | undefined, now: UnitInputs): string | undefined {
  if (was === undefined) return 'built before polyship recorded toolchains and flags'
  const reasons: string[] = []
  const names = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>) =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
  for (const name of names(was.toolchains, now.toolchains)) {
    const [a, b] = [was.toolchains[name], now.toolchains[name]]
    if (a !== b) reasons.push(`toolchain ${shown(name, a)} -> ${shown(name, b)}`)
  }
  for (const name of names(was.env, now.env))
    if (was.env[name] !== now.env[name]) reasons.push(`${name} changed`)
  for (const name of names(was.config, now.config))
    if (was.config[name] !== now.config[name]) reasons.push(`polyship.${name} changed`)
  return reasons.length === 0 ? undefined : reasons.join(', ')
}
