import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodeDeps as attestDeps, detectBuilder, signerFromConfig } from '@polyship/attest'
import { type FormatName, loadWorkspace, type Platform, type Project, type Reporter } from '@polyship/core'
import { createReleaseTags, releaseTag } from '@polyship/versioning'
import { assembleRelease } from './assemble.ts'
import { buildProject } from './build.ts'
import { type LoadedUnit, loadBuildUnits } from './build-unit.ts'
import { createContext, type Env, type ReleaseContext } from './context.ts'
import { acquireLock } from './lock.ts'
import { publishProject } from './publish.ts'
import { assertNoConflicts, type Finding, reconcileRelease } from './reconcile.ts'
import { writeRecords } from './record.ts'
import type { ProjectRelease } from './release-set.ts'
import { type Shard, selectProjects } from './selection.ts'
import { openTargets } from './targets.ts'

export interface ReleaseOptions {
  readonly cwd: string
  readonly dryRun?: boolean
  readonly snapshot?: boolean
  readonly only?: readonly string[]
  readonly skip?: readonly FormatName[]
  /** Build one shard into `<outDir>/shards/<id>` and stop (`--split`). */
  readonly split?: boolean
  readonly shard?: Shard
  readonly platforms?: readonly Platform[]
  /** Directories of shards to assemble and publish (`--merge`). */
  readonly merge?: readonly string[]
  /** Overrides the images and charts destination with a registry repository prefix. */
  readonly registry?: string
  /** Extra image tags. */
  readonly tags?: readonly string[]
  readonly replace?: boolean
  /** Build with empty Go and Cargo caches (a fresh GOCACHE and CARGO_TARGET_DIR, removed afterwards). */
  readonly noCache?: boolean
}

/** One step of the run, for the renderer. */
export interface Step {
  readonly title: string
  run(): Promise<void>
}

export type StepRunner = (steps: readonly Step[]) => Promise<void>

export type ReleaseSummary =
  | { readonly status: 'split'; readonly shard: string; readonly units: readonly LoadedUnit[] }
  | { readonly status: 'planned'; readonly findings: readonly Finding[]; readonly snapshot: boolean }
  | {
      readonly status: 'released'
      readonly findings: readonly Finding[]
      readonly recordPath: string
      readonly publicKey?: string
    }

function shardId(options: ReleaseOptions): string {
  const parts = [
    ...(options.shard ? [`shard-${options.shard.index}-of-${options.shard.count}`] : []),
    ...(options.platforms ?? []).map((p) => [p.os, p.architecture, p.variant].filter(Boolean).join('-')),
  ]
  return parts.join('--') || 'all'
}

function withOverrides(workspace: Awaited<ReturnType<typeof loadWorkspace>>, options: ReleaseOptions) {
  if (options.registry === undefined && options.tags === undefined) return workspace
  const registry =
    options.registry === undefined
      ? {}
      : {
          images: { type: 'registry' as const, repository: options.registry },
          charts: { type: 'registry' as const, repository: `${options.registry.replace(/\/+$/, '')}/charts` },
        }
  const projects = workspace.projects.map(
    (p): Project =>
      options.tags === undefined || p.config.image === undefined
        ? p
        : {
            ...p,
            config: {
              ...p.config,
              image: { ...p.config.image, tags: [...(p.config.image.tags ?? []), ...options.tags] },
            },
          },
  )
  return {
    ...workspace,
    projects,
    config: { ...workspace.config, destinations: { ...workspace.config.destinations, ...registry } },
  }
}

/**
 * `polyship release`: plan -> build -> assemble -> attest + reconcile -> publish -> record.
 * Every destination is asked about every artifact before anything is published; content
 * goes by digest first, tags and GitHub releases last, git tags at the very end. A crashed
 * run is resumed by running it again.
 */
export async function runRelease(
  options: ReleaseOptions,
  env: Env,
  reporter: Reporter,
  runSteps: StepRunner,
): Promise<ReleaseSummary> {
  if (!options.noCache) return release(options, env, reporter, runSteps)
  const caches = await mkdtemp(join(tmpdir(), 'polyship-no-cache-'))
  try {
    return await release(
      options,
      { ...env, GOCACHE: join(caches, 'go'), CARGO_TARGET_DIR: join(caches, 'cargo') },
      reporter,
      runSteps,
    )
  } finally {
    await rm(caches, { recursive: true, force: true })
  }
}

async function release(
  options: ReleaseOptions,
  env: Env,
  reporter: Reporter,
  runSteps: StepRunner,
): Promise<ReleaseSummary> {
  const workspace = withOverrides(await loadWorkspace(options.cwd), options)
  const projects = selectProjects(workspace.projects, {
    ...(options.only ? { only: options.only } : {}),
    ...(options.shard ? { shard: options.shard } : {}),
  })
  const context0 = await createContext(
    workspace,
    {
      snapshot: options.snapshot ?? false,
      skip: options.skip ?? [],
      ...(options.platforms ? { platforms: options.platforms } : {}),
    },
    env,
    reporter,
  )
  const lock = await acquireLock(join(context0.outDir, '.polyship.lock'))
  try {
    if (options.split) {
      const id = shardId(options)
      const context: ReleaseContext = { ...context0, buildDir: join(context0.outDir, 'shards', id) }
      const units: LoadedUnit[] = []
      await runSteps(
        projects.map((project) => ({
          title: `build ${project.name}`,
          run: async () => void units.push(await buildProject(project, context)),
        })),
      )
      return { status: 'split', shard: context.buildDir, units }
    }
    const context = context0
    let units: LoadedUnit[] = []
    if (options.merge !== undefined) {
      await runSteps([
        {
          title: `load shards from ${options.merge.join(', ')}`,
          run: async () => {
            units = await loadBuildUnits(options.merge!)
          },
        },
      ])
    } else {
      await runSteps(
        projects.map((project) => ({
          title: `build ${project.name} ${context.versionOf(project)}`,
          run: async () => void units.push(await buildProject(project, context)),
        })),
      )
    }
    const selected =
      options.merge === undefined
        ? projects
        : workspace.projects.filter(
            (p) =>
              units.some((u) => u.unit.project === p.name) ||
              (p.config.chart !== undefined && (options.only === undefined || options.only.includes(p.name))),
          )
    const targets = openTargets(context, { replace: options.replace ?? false })
    let releases: ProjectRelease[] = []
    try {
      let findings: Finding[] = []
      await runSteps([
        {
          title: 'assemble images and charts',
          run: async () => {
            releases = await assembleRelease(selected, units, context, targets.client)
          },
        },
        {
          title: 'ask every destination what it holds',
          run: async () => {
            findings = await reconcileRelease(releases, targets)
          },
        },
      ])
      assertNoConflicts(findings)
      if (options.dryRun || context.snapshot)
        return { status: 'planned', findings, snapshot: context.snapshot }

      const startedOn = new Date()
      const signing = await signerFromConfig(
        workspace.config.signing,
        { ...attestDeps, env },
        { root: workspace.root },
      )
      if (signing.mode === 'none') throw new Error('signing mode none is not supported for releases')
      const services = { context, targets, signer: signing.signer, builder: detectBuilder(env), startedOn }
      const artifacts: Awaited<ReturnType<typeof publishProject>> = []
      await runSteps(
        releases.map((release) => ({
          title: `publish ${release.project.name} ${release.version}`,
          run: async () => void artifacts.push(...(await publishProject(release, findings, services))),
        })),
      )
      const released = releases.map((r) => ({
        name: r.project.name,
        version: r.version,
        tag: releaseTag(r.project.name, r.version),
      }))
      if (targets.files.remote || context.destinations.images.type === 'registry') {
        await runSteps([
          {
            title: 'tag the release commit',
            run: async () =>
              void (await createReleaseTags(
                workspace.root,
                released,
                env.CHANGESETS_OUTPUT ? { outputFile: env.CHANGESETS_OUTPUT } : {},
              )),
          },
        ])
      }
      const recordPath = join(context.outDir, 'release.json')
      await runSteps([
        {
          title: 'write dist/release.json',
          run: async () =>
            void (await writeRecords(context.outDir, {
              commit: context.commit,
              projects: released,
              artifacts,
            })),
        },
      ])
      return {
        status: 'released',
        findings,
        recordPath,
        ...(signing.mode === 'key' && signing.key.publicKeyPath
          ? { publicKey: signing.key.publicKeyPath }
          : {}),
      }
    } finally {
      await Promise.all(releases.map((r) => r.image?.built.dispose()))
      await targets.client.close()
    }
  } finally {
    await lock.release()
  }
}
