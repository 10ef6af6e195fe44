import { mkdtemp, readdir, rename, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { run, SubprocessError } from '@polyship/core'
import { WheelError } from '../errors.ts'
import type { FrontendContext, FrontendResult, SkippedTarget } from './build.ts'
import { relativizeSbomPaths } from './sbom-paths.ts'
import { planTargets } from './targets.ts'
import { detectToolchain, type Toolchain } from './toolchain.ts'

/**
 * maturin projects keep maturin as their frontend: it knows Rust targets, zig
 * cross-linking and manylinux/musllinux compatibility, which no PEP 517 frontend passes
 * through. One run per buildable target, then the sdist.
 */
export async function buildWithMaturin(
  context: FrontendContext,
  detected: Toolchain | undefined,
): Promise<FrontendResult> {
  const { project, python, outDir, env, reporter } = context
  const toolchain = detected ?? (await detectToolchain(env))
  const config = project.config.wheel ?? {}
  // cargo's package ids in the embedded SBOM are absolute: made relative to this, as rustc's paths are
  const workspaceRoot = resolve(
    project.root,
    ...project.dir
      .split('/')
      .filter((part) => part !== '' && part !== '.')
      .map(() => '..'),
  )

  const maturin = async (step: string, args: readonly string[]): Promise<string[]> => {
    reporter.emit({ type: 'step', project: project.name, step, status: 'start' })
    const staging = await mkdtemp(join(outDir, '.maturin-'))
    try {
      await run(toolchain.maturin, [...args, '--out', staging], { cwd: python.dir, env })
      const produced = (await readdir(staging)).sort()
      for (const file of produced) {
        if (file.endsWith('.whl')) await relativizeSbomPaths(join(staging, file), workspaceRoot)
        await rename(join(staging, file), join(outDir, file))
      }
      reporter.emit({ type: 'step', project: project.name, step, status: 'done' })
      return produced.map((file) => join(outDir, file))
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
  return {
    files,
    skipped,
    toolchains: { maturin: toolchain.maturinVersion },
    reproducibility: {
      status: 'unchecked',
      reason:
        'maturin builds each target once; it is reproducible under SOURCE_DATE_EPOCH, which polyship sets',
    },
  }
}
