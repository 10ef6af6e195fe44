import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { helmSubchart, ociImage, type SbomComponent } from '@polyship/attest'
import { checksumsFileName, writeChecksums } from '@polyship/binary'
import { buildImage, imageRepository, imageTags } from '@polyship/container'
import {
  type Artifact,
  type ImageDestination,
  mapLimit,
  type PolyshipEvent,
  type Project,
  parsePlatform,
  type Reporter,
  samePlatform,
} from '@polyship/core'
import {
  chartManifest,
  fetchChartDependencies,
  packageChart,
  type ReleasedImage,
  type WorkspaceChart,
} from '@polyship/helm'
import { descriptorOf, RegistryClient, versionTag } from '@polyship/oci'
import { pullRepository } from '../destinations.ts'
import { buildConcurrency } from './build-all.ts'
import { type LoadedUnit, unitName } from './build-unit.ts'
import { binaryComponent, installedComponents } from './components.ts'
import type { ReleaseContext } from './context.ts'
import { mergeUnits, type ProjectUnits } from './merge-units.ts'
import type { ProjectRelease, ReleaseFile } from './release-set.ts'

/** The repository a published image or chart is pulled from (the layout destination has no host). */
export function publishedRepository(destination: ImageDestination, repository: string): string {
  return destination.type === 'registry'
    ? `${destination.repository.replace(/\/+$/, '')}/${repository}`
    : repository
}

/**
 * Turns build units into everything the release publishes, in dependency order: per project
 * its archives plus a checksums file over every platform, wheels, the image assembled from
 * the project's own binaries or wheels, and charts wired to the images of this release.
 * All content-addressed and reproducible; nothing is published.
 */
export async function assembleRelease(
  projects: readonly Project[],
  units: readonly LoadedUnit[],
  context: ReleaseContext,
  client: RegistryClient,
  /** Images charts deploy that this run does not build: already released (`deployedImages`). */
  deployed: Readonly<Record<string, ReleasedImage>> = {},
  options: AssembleOptions = {},
): Promise<ProjectRelease[]> {
  const stagingRoot = join(context.outDir, 'staging')
  await rm(stagingRoot, { recursive: true, force: true })
  await mkdir(join(context.outDir, 'tmp'), { recursive: true })
  // Wheels this release built: images of packages depending on siblings resolve them here.
  const releaseWheels = units.flatMap(({ dir, unit }) =>
    unit.distributions.filter((d) => d.kind === 'wheel').map((d) => join(dir, d.path)),
  )
  const ordered = [...projects].sort(
    (a, b) => Number(a.config.chart !== undefined) - Number(b.config.chart !== undefined),
  )
  const concurrency = Math.max(
    1,
    Math.floor(options.concurrency ?? buildConcurrency(context.workspace.config)),
  )
  // Files and images side by side, each project's events held back until those before it are shown.
  const output = inOrder(context.reporter, ordered.length)
  let releases: Assembled[]
  try {
    releases = await mapLimit(ordered, concurrency, async (project, index) => {
      try {
        return await assembleProject(
          project,
          units,
          { ...context, reporter: output.reporter(index) },
          {
            client,
            stagingRoot,
            releaseWheels,
          },
        )
      } finally {
        output.finish(index)
      }
    })
  } finally {
    output.finishAll()
  }
  // Charts last, one after another, wired to every image of this release (in the projects' order).
  const images: Record<string, ReleasedImage> = { ...deployed }
  for (const release of releases) {
    if (release.image === undefined) continue
    images[release.project.name] = {
      repository: pullRepository(context.destinations.images, release.image.repository),
      tag: versionTag(release.version),
      digest: release.image.built.index.descriptor.digest,
    }
  }
  for (const release of releases) {
    const { project, version } = release
    if (project.config.chart === undefined || context.skip.has('chart')) continue
    const chart = await packageChart(join(project.root, project.config.chart.path ?? '.'), {
      outDir: release.staging,
      config: project.config.chart,
      version,
      release: {
        versions: Object.fromEntries(projects.map((p) => [p.name, context.versionOf(p)])),
        images,
      },
      workspaceCharts: workspaceCharts(projects, context),
      project: project.name,
      env: context.envOf(project),
      cwd: context.workspace.root,
      dependencyDir: chartDependencyDir(context),
      registry: client,
    })
    const manifest = descriptorOf(chartManifest(chart).content)
    const referenced = Object.entries(project.config.chart.images ?? {}).flatMap(([, name]) =>
      images[name] ? [images[name]] : [],
    )
    release.chart = {
      chart,
      sbom: {
        subject: { kind: 'chart', name: chart.name, version, digest: manifest.digest },
        components: [...referenced.map((image) => ociImage(image)), ...chart.subcharts.map(helmSubchart)],
      },
    }
  }
  return releases.map(({ staging: _, ...release }) => release)
}

export interface AssembleOptions {
  /** Projects assembled at once (files and images); default polyship.json `concurrency`, else the cores. */
  readonly concurrency?: number
}

type Assembled = ProjectRelease & {
  image?: ProjectRelease['image']
  chart?: ProjectRelease['chart']
  readonly staging: string
}

/** One project's archives, checksums, wheels, npm tarball and image (its chart comes after every image). */
async function assembleProject(
  project: Project,
  units: readonly LoadedUnit[],
  context: ReleaseContext,
  shared: {
    readonly client: RegistryClient
    readonly stagingRoot: string
    readonly releaseWheels: readonly string[]
  },
): Promise<Assembled> {
  const version = context.versionOf(project)
  const merged = await mergeUnits(
    project,
    units.filter((u) => u.unit.project === project.name),
    context,
  )
  const staging = join(shared.stagingRoot, unitName(project))
  await mkdir(staging, { recursive: true })
  // Skipped formats may still have been compiled for the image; they are not released.
  const files = merged.files.filter(
    (f) => !context.skip.has(f.kind === 'archive' ? 'binary' : f.kind === 'npm' ? 'npm' : 'wheel'),
  )
  const archives = files.filter((f) => f.kind === 'archive')
  if (archives.length > 0) {
    const name = checksumsFileName(project.name, version)
    const written = await writeChecksums(staging, name, archives)
    files.push({ kind: 'checksums', name, path: written.path, digest: written.digest, size: written.size })
  }
  const release: Assembled = {
    project,
    version,
    files: files.sort((a, b) => a.name.localeCompare(b.name)),
    toolchains: merged.toolchains,
    skipped: merged.skipped,
    staging,
  }
  if (project.config.image !== undefined && !context.skip.has('image'))
    release.image = await assembleImage(
      project,
      version,
      merged,
      context,
      shared.client,
      shared.releaseWheels,
    )
  return release
}

/**
 * Reporters for `count` tasks running at once whose events must read as if they had run one
 * after another: task i's events pass straight through while every task before it has
 * finished, and are held until then otherwise.
 */
function inOrder(reporter: Reporter, count: number) {
  const held: PolyshipEvent[][] = Array.from({ length: count }, () => [])
  const finished: boolean[] = Array.from({ length: count }, () => false)
  let head = 0
  const flush = () => {
    while (head < count) {
      for (const event of held[head]!.splice(0)) reporter.emit(event)
      if (!finished[head]) return
      head++
    }
  }
  return {
    reporter: (index: number): Reporter => ({
      emit: (event) => (index === head ? reporter.emit(event) : void held[index]!.push(event)),
    }),
    finish(index: number) {
      finished[index] = true
      flush()
    },
    /** After a failure: whatever is held is shown, in order. */
    finishAll() {
      finished.fill(true)
      flush()
    },
  }
}

function workspaceCharts(projects: readonly Project[], context: ReleaseContext): WorkspaceChart[] {
  return projects.flatMap((p) =>
    p.config.chart === undefined
      ? []
      : [
          {
            project: p.name,
            dir: join(p.root, p.config.chart.path ?? '.'),
            version: context.versionOf(p),
            config: p.config.chart,
          },
        ],
  )
}

async function assembleImage(
  project: Project,
  version: string,
  merged: ProjectUnits,
  context: ReleaseContext,
  client: RegistryClient,
  releaseWheels: readonly string[],
): Promise<NonNullable<ProjectRelease['image']>> {
  const wheels: readonly ReleaseFile[] = merged.files.filter((f) => f.kind === 'wheel')
  const artifacts: Artifact[] = [
    ...merged.binaries.map((b) => ({
      kind: 'binary' as const,
      name: b.name,
      project: project.name,
      version,
      platform: parsePlatform(b.platform),
      path: b.absolute,
      digest: b.digest,
      size: b.size,
    })),
    ...wheels.map((f) => ({
      kind: 'wheel' as const,
      name: f.name,
      project: project.name,
      version,
      path: f.path,
      digest: f.digest,
      size: f.size,
    })),
  ]
  const built = await buildImage(
    {
      project: { ...project, version },
      artifacts,
      revision: context.stampOf(project).commit,
      workspaceRoot: context.workspace.root,
      releaseWheels: releaseWheels.filter((wheel) => !wheels.some((own) => own.path === wheel)),
      ...(context.workspace.config.repository === undefined
        ? {}
        : { source: context.workspace.config.repository }),
      ...(context.workspace.config.bases === undefined ? {} : { bases: context.workspace.config.bases }),
    },
    {
      client,
      env: context.envOf(project),
      reporter: context.reporter,
      tmpDir: join(context.outDir, 'tmp'),
      // --no-cache writes every layer, as it compiles everything
      ...(context.reuseUnits ? { layerCache: layerCacheDir(context) } : {}),
    },
  )
  const { tags, skipped } = imageTags(version, project.config.image?.tags)
  for (const s of skipped)
    context.reporter.emit({
      type: 'skipped',
      project: project.name,
      what: `tag ${s.template}`,
      reason: s.reason,
    })
  const baseName = built.annotations['org.opencontainers.image.base.name']
  const baseImages = [...new Set(built.manifests.flatMap((m) => (m.base === undefined ? [] : [m.base])))].map(
    (digest) => ({
      reference: baseName ?? 'base',
      digest,
    }),
  )
  // Only what the image holds: the binaries of its own platforms, not every archive's.
  const inImage = merged.binaries.filter((b) =>
    built.manifests.some((m) => samePlatform(m.platform, parsePlatform(b.platform))),
  )
  const contents: SbomComponent[] = [
    ...inImage.map((b) =>
      binaryComponent({
        name: b.name,
        version,
        digest: b.digest,
        dependencies: b.dependencies,
      }),
    ),
    ...wheels.flatMap((f) => f.sbom?.components ?? []),
    ...installedComponents(built.packages ?? []),
    ...baseImages.map((b) =>
      ociImage({ repository: b.reference.split('@')[0]!.replace(/:[^/:]+$/, ''), digest: b.digest }),
    ),
  ]
  const repository = imageRepository(project)
  return {
    repository,
    built,
    tags,
    baseImages,
    sbom: {
      subject: { kind: 'image-index', name: repository, version, digest: built.index.descriptor.digest },
      components: contents,
    },
  }
}

/**
 * Image layers kept between runs, by their inputs' digests: a re-run re-assembles unchanged
 * images without compressing. One directory for the workspace: images assembled at once
 * may write the same entry (the static base layer they share), each through its own temp
 * file and a rename of identical bytes.
 */
function layerCacheDir(context: ReleaseContext): string {
  return join(context.outDir, 'build', '.layers')
}

/** Where charts from chart repositories are downloaded to, by digest, for every chart of the release. */
function chartDependencyDir(context: ReleaseContext): string {
  return join(context.outDir, 'tmp', 'chart-dependencies')
}

/**
 * Fetches the chart-repository dependencies of every chart to release (Chart.lock versions,
 * checked digests) before anything is compiled: a dependency that cannot be had stops the
 * release now, naming it and its repository, not after the builds.
 */
export async function prefetchChartDependencies(
  projects: readonly Project[],
  context: ReleaseContext,
): Promise<void> {
  const charts = projects.filter((p) => p.config.chart !== undefined && !context.skip.has('chart'))
  if (charts.length === 0) return
  const registry = new RegistryClient()
  try {
    for (const project of charts) {
      await fetchChartDependencies(join(project.root, project.config.chart!.path ?? '.'), {
        dependencyDir: chartDependencyDir(context),
        registry,
        cwd: context.workspace.root,
      })
    }
  } finally {
    registry.close()
  }
}
