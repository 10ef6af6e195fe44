import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type FormatName,
  loadWorkspace,
  type Platform,
  type Project,
  type RecordedArtifact,
  type RecordedProject,
  type Reporter,
  type Workspace,
} from '@polyship/core'
import { assertNoNxReleaseOverlap } from '../nx/release-config.ts'
import type { LoadedUnit } from './build-unit.ts'
import { checkOutDirUntracked, completeContext, type Env, type FrontContext, openContext } from './context.ts'
import { acquireLock, lockFile } from './lock.ts'
import type { Finding } from './reconcile.ts'
import { hasUnsignedRecord, signUnsignedRecord } from './record.ts'
import { answeredByRecord } from './recorded-state.ts'
import { gitTags, projectDestinations, type ReleasedBefore, releasedBefore } from './released.ts'
import { type Shard, selectProjects } from './selection.ts'
import { releaseSigner } from './signing.ts'

export interface ReleaseOptions {
  readonly cwd: string
  readonly dryRun?: boolean
  readonly snapshot?: boolean
  readonly only?: readonly string[]
  /** Projects left out (`--exclude`). */
  readonly exclude?: readonly string[]
  readonly skip?: readonly FormatName[]
  /** Leave out the vulnerability gate (`--skip scan`); the release record says it was skipped. */
  readonly skipScan?: boolean
  /** Build one shard into `<outDir>/shards/<id>` and stop (`--split`). */
  readonly split?: boolean
  readonly shard?: Shard
  readonly platforms?: readonly Platform[]
  /** Directories of shards to assemble and publish (`--merge`). */
  readonly merge?: readonly string[]
  /** Overrides the images and charts destination with a registry repository prefix. */
  readonly registry?: string
  /** Overrides the files destination with the GitHub releases of this `owner/name` repository. */
  readonly githubRelease?: string
  /** Extra image tags. */
  readonly tags?: readonly string[]
  readonly replace?: boolean
  /** Build with empty Go and Cargo caches (a fresh GOCACHE and CARGO_TARGET_DIR, removed afterwards). */
  readonly noCache?: boolean
  /** Compiles at once (`--concurrency`); default polyship.json `concurrency`, else the cores. */
  readonly concurrency?: number
  /** `--no-nx`: false compiles in-process even when nx.json names the polyship plugin. */
  readonly nx?: boolean
}

/** One step of the run, for the renderer. */
export interface Step {
  readonly title: string
  run(): Promise<void>
}

export type StepRunner = (steps: readonly Step[]) => Promise<void>

export type ReleaseSummary =
  | { readonly status: 'split'; readonly shard: string; readonly units: readonly LoadedUnit[] }
  | { readonly status: 'up-to-date'; readonly released: readonly ReleasedBefore[] }
  | { readonly status: 'planned'; readonly findings: readonly Finding[]; readonly snapshot: boolean }
  | {
      readonly status: 'released'
      readonly findings: readonly Finding[]
      /** The projects this run released (the record also keeps earlier ones). */
      readonly projects: readonly RecordedProject[]
      /** This run's artifacts, as recorded: digests, locations, attestations. */
      readonly artifacts: readonly RecordedArtifact[]
      readonly recordPath: string
      readonly publicKey?: string
    }

function withOverrides(workspace: Awaited<ReturnType<typeof loadWorkspace>>, options: ReleaseOptions) {
  if (options.registry === undefined && options.tags === undefined && options.githubRelease === undefined)
    return workspace
  const registry =
    options.registry === undefined
      ? {}
      : {
          images: { type: 'registry' as const, repository: options.registry },
          charts: { type: 'registry' as const, repository: `${options.registry.replace(/\/+$/, '')}/charts` },
        }
  const files =
    options.githubRelease === undefined
      ? {}
      : { files: { type: 'github' as const, repository: options.githubRelease } }
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
    config: {
      ...workspace.config,
      destinations: { ...workspace.config.destinations, ...registry, ...files },
    },
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
  const selection = selectProjects(workspace.projects, {
    ...(options.only ? { only: options.only } : {}),
    ...(options.exclude ? { exclude: options.exclude } : {}),
    ...(options.shard ? { shard: options.shard } : {}),
  })
  await assertNoNxReleaseOverlap(workspace.root, selection)
  // HEAD only: stamps and the outDir listing wait until something is left to build
  const front = await openContext(
    workspace,
    {
      snapshot: options.snapshot ?? false,
      reuseUnits: !options.noCache,
      skip: options.skip ?? [],
      ...(options.platforms ? { platforms: options.platforms } : {}),
    },
    env,
    reporter,
  )
  const destinationsOf = (project: Project) => projectDestinations(project, front.destinations, front.skip)
  // one listing of the tags, for what was released elsewhere and what the record answers
  const tags = front.commit === '' ? undefined : await gitTags(workspace.root, env)
  const before = await releasedBefore(selection, {
    ...(tags === undefined ? {} : { tags }),
    root: workspace.root,
    outDir: front.outDir,
    head: front.commit,
    env,
    versionOf: front.versionOf,
    destinationsOf,
  })
  for (const r of before) {
    reporter.emit({
      type: 'skipped',
      project: r.project,
      what: r.version,
      reason: `already released at ${r.commit.slice(0, 12)} (${r.source} ${r.tag})${r.destinations === undefined ? '' : ` to ${r.destinations.join(', ')}`}`,
    })
  }
  let projects = selection.filter((p) => !before.some((r) => r.project === p.name))
  const answered = await answeredByRecord(projects, options, front, {
    destinationsOf,
    ...(tags === undefined ? {} : { tags }),
  })
  if (answered !== undefined) {
    projects = projects.filter((p) => !answered.unchanged.has(p.name))
    if (projects.length === 0) return answered.summary
  }
  if (projects.length === 0 && before.length > 0) {
    // after an upgrade, the record an older polyship wrote gets its signature here
    if (!options.split && !options.dryRun && !front.snapshot)
      await signRecordIfUnsigned(front, workspace, env, reporter)
    return { status: 'up-to-date', released: before }
  }
  // the build, assembly, attestation and publishing code is loaded only for what is left
  const { wholeRelease } = await import('./whole-release.ts')
  const context = await completeContext(front)
  return wholeRelease({ options, env, reporter, runSteps, context, projects, destinationsOf, answered })
}

/** Signs the record of an earlier release that has no signature, under the release lock. */
async function signRecordIfUnsigned(
  context: FrontContext,
  workspace: Workspace,
  env: Env,
  reporter: Reporter,
) {
  if (!(await hasUnsignedRecord(context.outDir))) return
  await checkOutDirUntracked(workspace.root, context.outDir, env)
  const lock = await acquireLock(lockFile(context.outDir))
  try {
    await signUnsignedRecord(
      context.outDir,
      async () => (await releaseSigner(workspace, env)).signer,
      reporter,
    )
  } finally {
    await lock.release()
  }
}
