import { availableParallelism } from 'node:os'
import { limiter, mapLimit, type Project, type RootConfig } from '@polyship/core'
import { buildProject } from './build.ts'
import type { LoadedUnit } from './build-unit.ts'
import type { ReleaseContext } from './context.ts'
import type { StepRunner } from './run.ts'

/**
 * The compiles each `polyship build` task may run at once, set by a release for the tasks it
 * runs through Nx (its concurrency shared among them); `--concurrency` still wins. Not an
 * Nx input: it changes how fast a unit is built, never its bytes.
 */
export const BUILD_CONCURRENCY_ENV = 'POLYSHIP_BUILD_CONCURRENCY'

/**
 * How many compiles a release runs at once: `--concurrency`, else polyship.json
 * `concurrency`, else the cores this process may use (`os.availableParallelism()`).
 */
export function buildConcurrency(config: RootConfig, requested?: number): number {
  return Math.max(1, Math.floor(requested ?? config.concurrency ?? availableParallelism()))
}

/**
 * Builds `projects` into their units, up to `concurrency` compiles at once across every
 * project and platform (one set of slots: a project's platforms take the slots others leave
 * free), each platform's archive written as soon as it is built while the next compiles
 * (as many archives at once as compiles). Twice as many projects as slots are under way, so
 * a slot a project leaves while it archives or writes its unit is taken at once. The steps
 * are shown, and their outcomes reported, in the projects' order whatever order they finish
 * in; the units come back in that order too, so everything assembled from them is
 * independent of timing. After the first failure no new project starts; the ones running
 * finish before the failure is reported.
 */
export async function buildUnits(
  projects: readonly Project[],
  context: ReleaseContext,
  runSteps: StepRunner,
  options: { readonly concurrency: number; readonly title?: (project: Project) => string },
): Promise<LoadedUnit[]> {
  const count = Math.max(1, Math.floor(options.concurrency))
  const shared = { concurrency: count, slots: limiter(count), packaging: limiter(count) }
  const outcomes = projects.map(() => settleable<LoadedUnit>())
  const pool = mapLimit(projects, 2 * count, async (project, index) => {
    try {
      const unit = await buildProject(project, context, shared)
      outcomes[index]!.resolve(unit)
      return unit
    } catch (error) {
      outcomes[index]!.reject(error)
      throw error
    }
  })
  // Each failure is reported by its step; the pool's own rejection is awaited below.
  pool.catch(() => undefined)
  try {
    await runSteps(
      projects.map((project, index) => ({
        title: options.title?.(project) ?? `build ${project.name} ${context.versionOf(project)}`,
        run: async () => void (await outcomes[index]!.promise),
      })),
    )
  } finally {
    // Never leave a compile running behind a failed step (its output would land after cleanup).
    await pool.catch(() => undefined)
  }
  return pool
}

interface Settleable<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

/** A promise settled from outside; a rejection no step awaits is not an unhandled one. */
function settleable<T>(): Settleable<T> {
  const { promise, resolve, reject } = Promise.withResolvers<T>()
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}
