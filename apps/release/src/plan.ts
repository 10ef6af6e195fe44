import {
  archiveFileName,
  archiveNaming,
  checksumsFileName,
  DEFAULT_PLATFORMS,
  planBinaries,
} from '@polyship/binary'
import { DEFAULT_IMAGE_PLATFORMS, imageRepository } from '@polyship/container'
import { type ArtifactKind, formatPlatform, type Project, redact, type Workspace } from '@polyship/core'
import { parsePackageName, tarballFileName } from '@polyship/npm'
import { versionTag } from '@polyship/oci'
import {
  assertDistinctOciPlaces,
  type Destinations,
  describeDestination,
  describeNpmDestination,
  type OciWrite,
  resolveDestinations,
} from './destinations.ts'
import { serverJsonFileName } from './release/mcp-names.ts'

/** The binary package's default platforms, as the config writes them. */
export const DEFAULT_BINARY_PLATFORMS = DEFAULT_PLATFORMS

export interface PlannedArtifact {
  readonly project: string
  readonly version: string
  readonly kind: ArtifactKind
  readonly name: string
  readonly platforms: readonly string[]
  readonly destination: string
  /** A release on this machine would not build it, and why (no cross toolchain, no zig...). */
  readonly skipped?: string
}

export interface ProjectPlan {
  readonly name: string
  readonly version: string
  readonly dir: string
  readonly formats: readonly string[]
  readonly artifacts: readonly PlannedArtifact[]
  /** The executables each of its archives holds. */
  readonly binaries?: readonly string[]
  /** Why a release on this machine would fail for this project (a missing toolchain). */
  readonly problems?: readonly string[]
}

async function planProject(
  project: Project,
  destinations: Destinations,
  env: Env,
  mcpRegistry: string | undefined,
): Promise<ProjectPlan> {
  const artifacts: PlannedArtifact[] = []
  const add = (
    kind: ArtifactKind,
    name: string,
    platforms: readonly string[],
    destination: string,
    skipped?: string,
  ) =>
    artifacts.push({
      project: project.name,
      version: project.version,
      kind,
      name,
      platforms,
      destination,
      ...(skipped === undefined ? {} : { skipped }),
    })
  const files = describeDestination(destinations.files)
  const { binary, image, wheel, chart, npm, mcp } = project.config
  let binaries: readonly string[] | undefined
  const problems: string[] = []
  if (binary !== undefined) {
    // What the build would do here: which targets it skips, and why.
    const planned = await planBinaries(project, { env })
    binaries = planned.binaries
    if (planned.blocked !== undefined) problems.push(planned.blocked)
    for (const target of planned.targets) {
      add(
        'archive',
        archiveFileName(
          project.name,
          project.version,
          target.platform,
          archiveNaming(project, planned.binaries[0] ?? ''),
        ),
        [formatPlatform(target.platform)],
        files,
        target.skipped === undefined ? undefined : `${target.target}: ${target.skipped}`,
      )
    }
    add('checksums', checksumsFileName(project.name, project.version), [], files)
  }
  if (wheel !== undefined) {
    add(
      'wheel',
      `${project.name} wheels for ${(wheel.targets ?? ['host']).join(', ')}`,
      [],
      describeDestination(destinations.wheels),
    )
    if (wheel.sdist !== false)
      add('sdist', `${project.name}-${project.version}.tar.gz`, [], describeDestination(destinations.wheels))
  }
  if (npm !== undefined) {
    add(
      'npm',
      tarballFileName(parsePackageName(project.name, project.manifestPath), project.version),
      [],
      describeNpmDestination(destinations.npm),
    )
  }
  if (image !== undefined) {
    const platforms = (image.platforms ?? DEFAULT_IMAGE_PLATFORMS.map(formatPlatform)).slice()
    add(
      'image-index',
      `${imageRepository(project)}:${versionTag(project.version)}`,
      platforms,
      describeDestination(destinations.images),
    )
  }
  if (chart !== undefined) {
    add(
      'chart',
      `${project.name}:${versionTag(project.version)}`,
      [],
      describeDestination(destinations.charts),
    )
  }
  if (mcp !== undefined) {
    add(
      'mcp-server',
      serverJsonFileName(project.name, project.version),
      [],
      mcpRegistry === undefined ? files : `${files}, ${redact(mcpRegistry)}`,
    )
  }
  return {
    name: project.name,
    version: project.version,
    dir: project.dir,
    formats: Object.keys(project.config),
    artifacts,
    ...(binaries === undefined ? {} : { binaries }),
    ...(problems.length === 0 ? {} : { problems }),
  }
}

type Env = Readonly<Record<string, string | undefined>>

/**
 * What a release of the workspace would produce, per project, before anything is built:
 * binary targets are planned against this machine's toolchains (nothing is compiled), so
 * the plan says which a release here would skip and why.
 */
export async function planWorkspace(workspace: Workspace, env: Env = process.env): Promise<ProjectPlan[]> {
  const destinations = resolveDestinations(workspace.config)
  assertDistinctOciPlaces(destinations, plannedOciWrites(workspace.projects))
  // all at once: a project's plan waits on toolchain probes, which are shared and cached
  const mcpRegistry = workspace.config.destinations?.mcpRegistry?.url
  return Promise.all(
    workspace.projects.map((project) => planProject(project, destinations, env, mcpRegistry)),
  )
}

/** The images and charts of a plan (a chart named as its project until its Chart.yaml is read). */
function plannedOciWrites(projects: readonly Project[]): OciWrite[] {
  return projects.flatMap((project) => {
    const tags = [versionTag(project.version)]
    const image =
      project.config.image === undefined
        ? []
        : [{ project: project.name, kind: 'image' as const, name: imageRepository(project), tags }]
    const chart =
      project.config.chart === undefined
        ? []
        : [{ project: project.name, kind: 'chart' as const, name: project.name.replace(/^@.*\//, ''), tags }]
    return [...image, ...chart]
  })
}
