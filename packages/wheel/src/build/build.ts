import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import {
  CoreError,
  type Project,
  type Reporter,
  run,
  SubprocessError,
  silentReporter,
  sourceDateEpoch,
} from '@polyship/core'
import { distributionArtifact } from '../artifact.ts'
import { WheelError } from '../errors.ts'
import { type Distribution, inspectDistribution } from '../inspect/distribution.ts'
import { normalizeName } from '../names.ts'
import { type PythonProject, readPythonProject } from '../project/pyproject.ts'
import { pypiRefusedPlatforms } from '../publish/platform-tags.ts'
import { samePythonVersion } from '../version.ts'
import { planTargets } from './targets.ts'
import { detectToolchain, type Toolchain } from './toolchain.ts'

export interface BuildOptions {
  /** Where the wheels and the sdist land (created if missing). */
  readonly outDir: string
  /** Environment of maturin and cargo (default: this process's). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Timestamp for every file; default SOURCE_DATE_EPOCH, else the last commit's time. */
  readonly sourceDateEpoch?: number
  readonly reporter?: Reporter
  /** Detected once per release and shared; detected here when absent. */
  readonly toolchain?: Toolchain
}

export interface SkippedTarget {
  readonly target: string
  readonly reason: string
}

export interface WheelBuild {
  readonly python: PythonProject
  /** Wheels in target order, then the sdist; each read and checked. */
  readonly distributions: readonly Distribution[]
  readonly skipped: readonly SkippedTarget[]
  readonly sourceDateEpoch: number
  readonly maturinVersion: string
}

/** 1980-01-01: zip cannot store earlier times. */
const ZIP_EPOCH = 315532800

/**
 * Builds a project's wheels (one maturin run per buildable target) and its sdist, with
 * SOURCE_DATE_EPOCH so the same source gives the same bytes. Targets this machine cannot
 * build are returned as skipped with the reason. Every produced file is read back and
 * checked (RECORD, name, version) before it is returned.
 */
export async function buildWheels(project: Project, options: BuildOptions): Promise<WheelBuild> {
  const reporter = options.reporter ?? silentReporter
  const env = options.env ?? process.env
  const python = await readPythonProject(project)
  const toolchain = options.toolchain ?? (await detectToolchain(env))
  const config = project.config.wheel ?? {}
  const epoch = Math.max(options.sourceDateEpoch ?? (await defaultEpoch(python.dir, env)), ZIP_EPOCH)
  const childEnv = { ...env, SOURCE_DATE_EPOCH: String(epoch) }
  await mkdir(options.outDir, { recursive: true })

  const maturin = async (step: string, args: readonly string[]): Promise<string[]> => {
    reporter.emit({ type: 'step', project: project.name, step, status: 'start' })
    const staging = await mkdtemp(join(options.outDir, '.maturin-'))
    try {
      await run(toolchain.maturin, [...args, '--out', staging], { cwd: python.dir, env: childEnv })
      const produced = (await readdir(staging)).sort()
      for (const file of produced) await rename(join(staging, file), join(options.outDir, file))
      reporter.emit({ type: 'step', project: project.name, step, status: 'done' })
      return produced.map((file) => join(options.outDir, file))
    } catch (error) {
      if (!(error instanceof SubprocessError)) throw error
      throw new WheelError('WHEEL_BUILD_FAILED', `${project.name}: ${step} failed: ${error.message}`, {
        hint: "read maturin's output above; `maturin build --release` in the project directory reproduces it",
        cause: error,
      })
    } finally {
      await rm(staging, { recursive: true, force: true })
    }
  }

  const files: string[] = []
  const skipped: SkippedTarget[] = []
  for (const plan of planTargets(config, toolchain)) {
    if (plan.status === 'skipped') {
      skipped.push({ target: plan.target, reason: plan.reason })
      reporter.emit({
        type: 'skipped',
        project: project.name,
        what: `wheel for ${plan.target}`,
        reason: plan.reason,
      })
      continue
    }
    const args = ['build', '--release', '--target', plan.target]
    if (config.compatibility !== undefined) args.push('--compatibility', config.compatibility)
    if (plan.zig) args.push('--zig')
    if (config.interpreters !== undefined && config.interpreters.length > 0)
      args.push('-i', ...config.interpreters)
    files.push(...(await maturin(`wheel ${plan.target}`, args)))
  }
  if (config.sdist !== false) files.push(...(await maturin('sdist', ['sdist'])))

  const distributions: Distribution[] = []
  for (const file of files) {
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
  return { python, distributions, skipped, sourceDateEpoch: epoch, maturinVersion: toolchain.maturinVersion }
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
