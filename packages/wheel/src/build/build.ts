import { mkdir } from 'node:fs/promises'
import {
  CoreError,
  type Project,
  type Reporter,
  run,
  samePythonVersion,
  silentReporter,
  sourceDateEpoch,
} from '@polyship/core'
import { distributionArtifact } from '../artifact.ts'
import { WheelError } from '../errors.ts'
import { type Distribution, inspectDistribution } from '../inspect/distribution.ts'
import { normalizeName } from '../names.ts'
import { type PythonProject, readPythonProject } from '../project/pyproject.ts'
import { pypiRefusedPlatforms } from '../publish/platform-tags.ts'
import { buildWithMaturin } from './maturin.ts'
import type { Frontend, Toolchain } from './toolchain.ts'
import { buildWithUv } from './uv.ts'

export interface BuildOptions {
  /** Where the wheels and the sdist land (created if missing). */
  readonly outDir: string
  /** Environment of the build tools (default: this process's). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Timestamp for every file; default SOURCE_DATE_EPOCH, else the last commit's time. */
  readonly sourceDateEpoch?: number
  readonly reporter?: Reporter
  /** maturin projects: detected once per release and shared; detected here when absent. */
  readonly toolchain?: Toolchain
  /** Every other backend: uv, detected here when absent. */
  readonly frontend?: Frontend
  /**
   * Non-maturin backends: build a second time and compare the bytes (default true); the
   * outcome is `WheelBuild.reproducibility`. Pure-Python builds take seconds.
   */
  readonly checkReproducible?: boolean
}

export interface SkippedTarget {
  readonly target: string
  readonly reason: string
}

/** Whether building the same source again gave the same bytes, as observed, never assumed. */
export type Reproducibility =
  | { readonly status: 'reproducible'; readonly files: readonly string[] }
  | {
      readonly status: 'not-reproducible'
      readonly reason: string
      readonly files: readonly {
        readonly filename: string
        readonly first: string
        readonly second: string
      }[]
    }
  | { readonly status: 'unchecked'; readonly reason: string }

export interface WheelBuild {
  readonly python: PythonProject
  /** Wheels in target order, then the sdist; each read and checked. */
  readonly distributions: readonly Distribution[]
  readonly skipped: readonly SkippedTarget[]
  readonly sourceDateEpoch: number
  /** Which frontend built the files: maturin itself, or uv driving the project's PEP 517 backend. */
  readonly frontend: 'maturin' | 'uv'
  /** Tool versions for provenance: `{ maturin: '1.16.0' }` or `{ uv: '0.13.9' }`. */
  readonly toolchains: Readonly<Record<string, string>>
  readonly reproducibility: Reproducibility
}

/** What a frontend produced before inspection. */
export interface FrontendResult {
  readonly files: readonly string[]
  readonly skipped: readonly SkippedTarget[]
  readonly toolchains: Readonly<Record<string, string>>
  readonly reproducibility: Reproducibility
}

/** What every frontend is given. */
export interface FrontendContext {
  readonly project: Project
  readonly python: PythonProject
  readonly outDir: string
  /** The build's environment: the caller's, SOURCE_DATE_EPOCH and the version pretence added. */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly reporter: Reporter
}

/** 1980-01-01: zip cannot store earlier times. */
const ZIP_EPOCH = 315532800

/**
 * Builds a project's wheels and sdist with SOURCE_DATE_EPOCH so the same source gives the
 * same bytes: maturin projects through maturin (one run per buildable target; targets this
 * machine cannot build are returned as skipped with the reason), every other PEP 517
 * backend through `uv build`. Every produced file is read back and checked (RECORD, name,
 * version) before it is returned.
 */
export async function buildWheels(project: Project, options: BuildOptions): Promise<WheelBuild> {
  const reporter = options.reporter ?? silentReporter
  const env = options.env ?? process.env
  const python = await readPythonProject(project)
  const epoch = Math.max(options.sourceDateEpoch ?? (await defaultEpoch(python.dir, env)), ZIP_EPOCH)
  await mkdir(options.outDir, { recursive: true })
  const context: FrontendContext = {
    project,
    python,
    outDir: options.outDir,
    env: { ...env, ...python.buildEnv, SOURCE_DATE_EPOCH: String(epoch) },
    reporter,
  }
  const built =
    python.backend === 'maturin'
      ? await buildWithMaturin(context, options.toolchain)
      : await buildWithUv(context, {
          ...(options.frontend === undefined ? {} : { frontend: options.frontend }),
          checkReproducible: options.checkReproducible ?? true,
        })

  const distributions: Distribution[] = []
  for (const file of built.files) {
    const distribution = await inspectDistribution(file)
    checkBuilt(distribution, python, project)
    distributions.push(distribution)
    const refused = pypiRefusedPlatforms(distribution)
    if (refused.length > 0) {
      reporter.emit({
        type: 'log',
        level: 'warn',
        message: `${distribution.filename}: PyPI refuses the platform tag ${refused.join(', ')}; set polyship.wheel.compatibility (manylinux_2_17, musllinux_1_2 or pypi) to publish there`,
      })
    }
    reporter.emit({ type: 'artifact', artifact: distributionArtifact(distribution, project) })
  }
  return {
    python,
    distributions,
    skipped: built.skipped,
    sourceDateEpoch: epoch,
    frontend: python.backend === 'maturin' ? 'maturin' : 'uv',
    toolchains: built.toolchains,
    reproducibility: built.reproducibility,
  }
}

/** A built file must carry the project's distribution name and the version being released. */
export function checkBuilt(distribution: Distribution, python: PythonProject, project: Project): void {
  if (normalizeName(distribution.name) !== normalizeName(python.distribution)) {
    throw new WheelError(
      'WHEEL_NAME_MISMATCH',
      `${distribution.path} is named ${distribution.name} but ${python.pyprojectPath} names ${python.distribution}`,
      { hint: 'remove stale files from the output directory and build again' },
    )
  }
  if (!samePythonVersion(distribution.version, python.version)) {
    throw new WheelError(
      'WHEEL_VERSION_MISMATCH',
      `${distribution.path} has version ${distribution.version} but ${project.manifestPath} releases ${project.version}`,
      {
        hint: 'run `polyship version` so every native manifest carries the released version, then build again',
      },
    )
  }
}

async function defaultEpoch(dir: string, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const fromEnv = sourceDateEpoch(env)
  if (fromEnv > 0) return fromEnv
  try {
    const { stdout } = await run('git', ['log', '-1', '--format=%ct'], { cwd: dir, env, timeoutMs: 60_000 })
    const seconds = Number(stdout.trim())
    if (Number.isInteger(seconds) && seconds > 0) return seconds
  } catch (error) {
    if (!(error instanceof CoreError)) throw error
  }
  return ZIP_EPOCH
}
