import { basename, join } from 'node:path'
import { detectBuilder, npmProvenanceSigner, publishAttester } from '@polyship/attest'
import type { Project, RecordedArtifact, RecordedScan, Reporter, Workspace } from '@polyship/core'
import { createReleaseTags, releaseTag } from '@polyship/versioning'
import { assertDistinctOciPlaces, ociWritesOf, publishesOutside } from '../destinations.ts'
import { assembleRelease, prefetchChartDependencies } from './assemble.ts'
import { buildConcurrency, buildUnits } from './build-all.ts'
import { type LoadedUnit, loadBuildUnits } from './build-unit.ts'
import type { Env, ReleaseContext } from './context.ts'
import { assertCredentials } from './credentials.ts'
import { ReleaseError } from './errors.ts'
import { gpgTagOptions, type ReleaseGpg, recordGpgPublicKey, releaseGpg } from './gpg.ts'
import { acquireLock, lockFile } from './lock.ts'
import {
  addServerJson,
  checkMcpProjects,
  type McpRelease,
  openMcpRegistry,
  publishMcp,
  reconcileMcp,
} from './mcp.ts'
import { projectsWithUnits } from './merge-units.ts'
import { buildThroughNx } from './nx-build.ts'
import { publishProject } from './publish.ts'
import { assertNoConflicts, type Finding, reconcileRelease } from './reconcile.ts'
import { trustedPreviousRecord, writeRecords } from './record.ts'
import type { RecordAnswer } from './recorded-state.ts'
import type { ProjectRelease } from './release-set.ts'
import { goModuleTags, recordedDestinations, releaseRecordOf } from './released.ts'
import type { ReleaseOptions, ReleaseSummary, StepRunner } from './run.ts'
import { openScanGate, runScanGate, type ScanGate } from './scan.ts'
import { releaseSigner } from './signing.ts'
import { assertProjectsCommitted } from './source-trees.ts'
import { openTargets } from './targets.ts'
import { deployedImages, validateProjects } from './validate.ts'
import { writeObserver } from './writes.ts'

/**
 * The whole release of the projects the front of the run (run.ts) left to it: none already
 * released elsewhere, none answered from the record. Loaded only when there is one, so a
 * no-change re-run never loads the build, assembly, attestation or publishing code.
 */
export interface WholeRelease {
  readonly options: ReleaseOptions
  readonly env: Env
  readonly reporter: Reporter
  readonly runSteps: StepRunner
  readonly context: ReleaseContext
  readonly projects: readonly Project[]
  readonly destinationsOf: (project: Project) => readonly string[]
  /** What the record answered for the other projects: their findings join this run's. */
  readonly answered: RecordAnswer | undefined
}

/** build -> assemble -> attest + reconcile -> publish -> record, for `run.projects`. */
export async function wholeRelease(run: WholeRelease): Promise<ReleaseSummary> {
  const { options, env, reporter, runSteps, context, projects, destinationsOf, answered } = run
  const workspace = context.workspace
  // Everything that can refuse the run does so before the first build starts.
  await validateProjects(projects, workspace, context.skip)
  const scanGate: ScanGate = options.split
    ? { status: 'not-configured' }
    : await openScanGate(workspace, { skip: options.skipScan ?? false, now: new Date() })
  if (!options.split) assertCredentials(context.destinations, env, workspace.root)
  const publishing = !options.split && !options.dryRun && !context.snapshot
  checkMcpProjects(projects, workspace, { env, skip: context.skip, publishing })
  if (
    (publishing || (options.split && !context.snapshot)) &&
    context.commit !== '' &&
    options.merge === undefined
  )
    await assertProjectsCommitted(projects, context)
  const signing = publishing ? (answered?.signing ?? (await releaseSigner(workspace, env))) : undefined
  const lock = await acquireLock(lockFile(context.outDir))
  let gpg: ReleaseGpg | undefined
  try {
    // the GPG key is checked (a test signature) before anything is built
    gpg = publishing ? await releaseGpg(workspace, env) : undefined
    // the record this release extends and signs again: refused before anything is built if edited
    if (signing !== undefined) await trustedPreviousRecord(context.outDir, signing.signer, reporter)
    const concurrency = buildConcurrency(workspace.config, options.concurrency)
    // each Nx task is a `polyship build` of this release: it knows the lock is ours
    if (options.merge === undefined)
      await buildThroughNx(
        projects,
        options.split ? { ...context, buildDir: shardDir(context, options) } : context,
        { ...(options.nx === undefined ? {} : { nx: options.nx }), concurrency },
      )
    if (options.split)
      return await buildShard(
        projects,
        { ...context, buildDir: shardDir(context, options) },
        runSteps,
        concurrency,
      )
    await prefetchChartDependencies(projects, context)
    const beforeWrite = writeObserver(env, reporter)
    const targets = openTargets(context, { replace: options.replace ?? false, beforeWrite })
    let releases: ProjectRelease[] = []
    let manifests: McpRelease[] = []
    const mcpRegistry = openMcpRegistry(context)
    try {
      const wiring = { targets, versionOf: context.versionOf, skip: context.skip }
      // Charts deploying images this run does not build: known (or refused) before compiling.
      let deployed = options.merge === undefined ? await deployedImages(projects, workspace, wiring) : {}
      const units = await buildOrLoadUnits(projects, options.merge, context, runSteps, { concurrency })
      const dirtyUnits = units.filter((u) => u.unit.clean === false).map((u) => u.unit.project)
      if (publishing && dirtyUnits.length > 0) {
        throw new ReleaseError(
          'RELEASE_DIRTY_TREE',
          `${dirtyUnits.join(', ')}: built from uncommitted changes`,
          {
            hint: 'build the shards from a clean checkout of the commit being released',
          },
        )
      }
      const selected = options.merge === undefined ? projects : projectsWithUnits(projects, units)
      if (options.merge !== undefined) deployed = await deployedImages(selected, workspace, wiring)
      let findings: Finding[] = []
      let scan: RecordedScan = { status: 'not-configured' }
      await runSteps([
        {
          title: 'assemble images and charts',
          run: async () => {
            releases = await assembleRelease(selected, units, context, targets.client, deployed, {
              concurrency,
            })
            ;({ releases, manifests } = await addServerJson(releases, context))
            assertDistinctOciPlaces(context.destinations, ociWritesOf(releases))
          },
        },
        ...(scanGate.status === 'not-configured'
          ? []
          : [
              {
                title: 'scan the SBOMs for vulnerabilities',
                run: async () => {
                  scan = await runScanGate(scanGate, releases, context, { env, reporter })
                },
              },
            ]),
        {
          title: 'ask every destination what it holds',
          run: async () => {
            findings = await reconcileRelease(releases, targets)
            findings.push(...(await reconcileMcp(manifests, mcpRegistry)))
          },
        },
      ])
      const replacing = options.replace === true && context.destinations.files.type === 'github'
      assertNoConflicts(findings, (f) => replacing && (f.kind === 'archive' || f.kind === 'checksums'))
      if (signing === undefined) return { status: 'planned', findings, snapshot: context.snapshot }

      const services = {
        context,
        targets,
        signer: signing.signer,
        uploadAttester: publishAttester(signing.configured),
        npmProvenance: npmProvenanceSigner(signing.configured, env),
        builder: detectBuilder(env),
        startedOn: new Date(),
        ...(gpg === undefined ? {} : { gpg }),
      }
      const artifacts: RecordedArtifact[] = []
      await runSteps(
        releases.map((release) => ({
          title: `publish ${release.project.name} ${release.version}`,
          run: async () => void artifacts.push(...(await publishProject(release, findings, services))),
        })),
      )
      if (releases.some((r) => r.files.some((f) => f.tarball !== undefined))) {
        await runSteps([
          {
            title: 'move npm dist-tags',
            run: async () => void (await targets.npm.moveTags()),
          },
        ])
      }
      if (mcpRegistry !== undefined && manifests.length > 0) {
        await runSteps([
          {
            title: `publish server.json to ${mcpRegistry.url}`,
            run: () => publishMcp(manifests, findings, mcpRegistry, beforeWrite),
          },
        ])
      }
      const previous = await releaseRecordOf(context.outDir)
      // Written (and recorded) only where the release tags are: releases leaving the workspace.
      const goTags = publishesOutside(context.destinations, context.workspace.config)
        ? await goModuleTags(releases, workspace.root, env)
        : new Map<string, string[]>()
      const released = releases.map((r) => {
        const tag = releaseTag(r.project.name, r.version)
        const go = goTags.get(r.project.name)
        return {
          name: r.project.name,
          version: r.version,
          tag,
          ...(go === undefined ? {} : { goTags: go }),
          destinations: recordedDestinations(previous, tag, destinationsOf(r.project)),
        }
      })
      if (gpg !== undefined) artifacts.push(...(await recordGpgPublicKey(context.outDir, gpg, released)))
      if (publishesOutside(context.destinations, context.workspace.config)) {
        await runSteps([
          {
            title: 'tag the release commit',
            run: async () => {
              beforeWrite(`git tags ${released.flatMap((r) => [r.tag, ...(r.goTags ?? [])]).join(' ')}`)
              await createReleaseTags(workspace.root, released, {
                ...(env.CHANGESETS_OUTPUT ? { outputFile: env.CHANGESETS_OUTPUT } : {}),
                ...gpgTagOptions(gpg, env),
              })
            },
          },
        ])
      }
      const recordPath = join(context.outDir, 'release.json')
      await runSteps([
        {
          title: 'write dist/release.json',
          run: async () => {
            beforeWrite('release record')
            await writeRecords(
              context.outDir,
              {
                commit: context.commit,
                projects: released,
                artifacts,
                scan,
                name: workspaceName(workspace),
                ...(env.SOURCE_DATE_EPOCH ? { date: sourceDate(env.SOURCE_DATE_EPOCH) } : {}),
              },
              signing.signer,
            )
          },
        },
      ])
      return {
        status: 'released',
        findings: [...(answered?.findings ?? []), ...findings],
        projects: released,
        artifacts,
        recordPath,
        ...(signing.publicKey === undefined ? {} : { publicKey: signing.publicKey }),
      }
    } finally {
      await Promise.all(releases.map((r) => r.image?.built.dispose()))
      await targets.client.close()
    }
  } finally {
    await gpg?.dispose()
    await lock.release()
  }
}

/** `<outDir>/shards/<id>`: where a split job puts its units, named after its share. */
function shardDir(context: ReleaseContext, options: ReleaseOptions): string {
  const parts = [
    ...(options.shard ? [`shard-${options.shard.index}-of-${options.shard.count}`] : []),
    ...(options.platforms ?? []).map((p) => [p.os, p.architecture, p.variant].filter(Boolean).join('-')),
  ]
  return join(context.outDir, 'shards', parts.join('--') || 'all')
}

async function buildShard(
  projects: readonly Project[],
  context: ReleaseContext,
  runSteps: StepRunner,
  concurrency: number,
): Promise<ReleaseSummary> {
  const units = await buildUnits(projects, context, runSteps, {
    concurrency,
    title: (project) => `build ${project.name}`,
  })
  return { status: 'split', shard: context.buildDir, units }
}

/** Builds the selected projects, or (`--merge`) loads the units the split jobs built. */
export async function buildOrLoadUnits(
  projects: readonly Project[],
  merge: readonly string[] | undefined,
  context: ReleaseContext,
  runSteps: StepRunner,
  options: { readonly concurrency: number },
): Promise<LoadedUnit[]> {
  const units: LoadedUnit[] = []
  if (merge !== undefined) {
    await runSteps([
      {
        title: `load shards from ${merge.join(', ')}`,
        run: async () => void units.push(...(await loadBuildUnits(merge))),
      },
    ])
    return units
  }
  return buildUnits(projects, context, runSteps, options)
}

/**
 * The workspace's name where GoReleaser would write its `project_name`: the repository's
 * (polyship.json `repository`, as GoReleaser takes the git remote's), else the directory's.
 */
function workspaceName(workspace: Workspace): string {
  const fromRepository = workspace.config.repository
    ?.replace(/\.git$/, '')
    .split(/[/:]/)
    .filter(Boolean)
    .pop()
  return fromRepository ?? basename(workspace.root)
}

/** SOURCE_DATE_EPOCH as RFC 3339 UTC (the date of a reproducible run's metadata). */
function sourceDate(epoch: string): string {
  return new Date(Number(epoch) * 1000).toISOString().replace('.000Z', 'Z')
}
