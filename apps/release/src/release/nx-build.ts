import { existsSync } from 'node:fs'
import { cp, readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { type Project, run, SubprocessError } from '@polyship/core'
import { unitDir } from './build.ts'
import { BUILD_CONCURRENCY_ENV } from './build-all.ts'
import type { ReleaseContext } from './context.ts'
import { ReleaseError } from './errors.ts'
import { RELEASE_PID_ENV } from './lock.ts'

/** What handing the compile step to Nx did. */
export type NxBuildOutcome =
  | {
      readonly status: 'ran'
      readonly target: string
      readonly projects: readonly string[]
      /** Nx's closing lines: how many tasks it ran and how many it read from its cache. */
      readonly summary: string
    }
  | { readonly status: 'not-used'; readonly reason: string }

export interface NxBuildOptions {
  /** `--no-nx`: false compiles in-process even in an Nx workspace. */
  readonly nx?: boolean
  /** Tasks Nx runs at once (`--parallel`), and the compiles they share; default 1. */
  readonly concurrency?: number
}

interface NxJson {
  readonly plugins?: readonly (string | { readonly plugin?: string; readonly options?: unknown })[]
}

/** An nx.json plugin entry that is polyship's (`polyship/nx-plugin`, `@polyship/nx-plugin`, or a path to it). */
function isPolyshipPlugin(name: string): boolean {
  return /(^|[/@])polyship(\/|$)|nx-plugin(\/src\/index\.[jt]s)?$/.test(name)
}

/** The compile target's name in this workspace: the plugin's `buildTargetName`, else `polyship-build`; undefined without the plugin. */
async function buildTargetOf(root: string): Promise<string | undefined> {
  const file = join(root, 'nx.json')
  if (!existsSync(file)) return undefined
  const nx = JSON.parse(await readFile(file, 'utf8')) as NxJson
  for (const entry of nx.plugins ?? []) {
    const name = typeof entry === 'string' ? entry : entry.plugin
    if (name === undefined || !isPolyshipPlugin(name)) continue
    const options = typeof entry === 'string' ? undefined : (entry.options as { buildTargetName?: unknown })
    return typeof options?.buildTargetName === 'string' ? options.buildTargetName : 'polyship-build'
  }
  return undefined
}

/** Why this run compiles in-process without asking Nx, or undefined when Nx can do the compile step. */
function whyNotNx(context: ReleaseContext, options: NxBuildOptions): string | undefined {
  if (options.nx === false) return '--no-nx'
  if (context.workspace.config.nx === false) return 'polyship.json sets "nx": false'
  if (!context.reuseUnits) return '--no-cache compiles everything again'
  if (context.snapshot) return 'a --snapshot compiles pre-release versions, which polyship-build does not'
  if (context.platforms !== undefined) return '--platform shards compile a part of each project'
  if (context.commit === '') return 'the workspace has no commit to reuse units of'
  return undefined
}

/**
 * The compile step as Nx tasks: `nx run-many -t polyship-build --projects=<the release's
 * projects>` with the workspace's own Nx, so a task an earlier `nx affected` or a remote
 * cache holds is restored instead of compiled. Each task writes (or Nx restores)
 * `<outDir>/build/<project>`; `buildProject` then reuses those units when they were built
 * from this commit's tree, as it reuses units from any earlier run. Split shards get a copy
 * in their own directory. Without Nx (no nx.json naming the plugin, no nx in node_modules)
 * nothing happens and the release compiles in-process.
 */
export async function buildThroughNx(
  projects: readonly Project[],
  context: ReleaseContext,
  options: NxBuildOptions = {},
): Promise<NxBuildOutcome> {
  const root = context.workspace.root
  const notUsed = (reason: string): NxBuildOutcome => {
    context.reporter.emit({
      type: 'log',
      level: 'info',
      message: `compiling in-process, not through Nx: ${reason}`,
    })
    return { status: 'not-used', reason }
  }
  const compiled = projects.filter((p) => p.config.binary !== undefined || p.config.wheel !== undefined)
  if (compiled.length === 0) return { status: 'not-used', reason: 'no project compiles binaries or wheels' }
  const why = whyNotNx(context, options)
  if (why !== undefined) return notUsed(why)
  const target = await buildTargetOf(root)
  if (target === undefined) return notUsed('nx.json with the polyship plugin not found at the workspace root')
  const nx = join(root, 'node_modules', '.bin', 'nx')
  if (!existsSync(nx))
    return notUsed(
      'nx.json names the polyship plugin but node_modules/.bin/nx is missing (run `pnpm install`)',
    )

  const names = compiled.map((p) => p.name)
  const parallel = Math.max(1, Math.floor(options.concurrency ?? 1))
  let output: string
  try {
    // Tasks of different projects run side by side (each `polyship build` locks its own
    // unit), each with its share of the slots for its platforms, as in-process builds do.
    const result = await run(
      nx,
      [
        'run-many',
        '-t',
        target,
        `--projects=${names.join(',')}`,
        `--parallel=${parallel}`,
        '--outputStyle=static',
      ],
      {
        cwd: root,
        env: {
          ...context.env,
          NX_TUI: 'false',
          [RELEASE_PID_ENV]: String(process.pid),
          [BUILD_CONCURRENCY_ENV]: String(
            Math.max(1, Math.floor(parallel / Math.min(parallel, names.length))),
          ),
        },
        timeoutMs: 6 * 60 * 60_000,
      },
    )
    output = `${result.stdout}\n${result.stderr}`
  } catch (error) {
    if (!(error instanceof SubprocessError)) throw error
    throw new ReleaseError('RELEASE_NX_BUILD_FAILED', `nx run-many -t ${target} failed: ${error.message}`, {
      hint: `run \`nx run-many -t ${target} --projects=${names.join(',')}\` to see the failing task, or release with --no-nx to compile in-process`,
      cause: error,
    })
  }
  const summary = nxSummary(output)
  context.reporter.emit({ type: 'log', level: 'info', message: `nx ${target}: ${summary}` })

  // a split shard's units live in its own directory; Nx's outputs are <outDir>/build/<project>
  const nxBuildDir = join(context.outDir, 'build')
  if (context.buildDir !== nxBuildDir) {
    for (const project of compiled) {
      const shardUnit = unitDir(context, project)
      const built = join(nxBuildDir, basename(shardUnit))
      if (!existsSync(shardUnit) && existsSync(built)) await cp(built, shardUnit, { recursive: true })
    }
  }
  return { status: 'ran', target, projects: names, summary }
}

/** Nx's "Successfully ran target ... " and "Nx read the output from the cache ..." lines, joined. */
export function nxSummary(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => stripVTControlCharacters(line).trim())
    .filter((line) => /^(Successfully ran|Nx read the output from the cache|Ran target)/.test(line))
  return lines.length > 0 ? lines.join('; ') : 'done'
}
