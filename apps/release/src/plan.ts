import { archiveFileName, checksumsFileName, DEFAULT_PLATFORMS } from '@polyship/binary'
import { DEFAULT_IMAGE_PLATFORMS, imageRepository } from '@polyship/container'
import { type ArtifactKind, formatPlatform, type Project, platformsOf, type Workspace } from '@polyship/core'
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

/** The binary package's default platforms, as the config writes them. */
export const DEFAULT_BINARY_PLATFORMS = DEFAULT_PLATFORMS

export interface PlannedArtifact {
  readonly project: string
  readonly version: string
  readonly kind: ArtifactKind
  readonly name: string
  readonly platforms: readonly string[]
  readonly destination: string
}

export interface ProjectPlan {
  readonly name: string
  readonly version: string
  readonly dir: string
  readonly formats: readonly string[]
  readonly artifacts: readonly PlannedArtifact[]
}

function planProject(project: Project, destinations: Destinations): ProjectPlan {
  const artifacts: PlannedArtifact[] = []
  const add = (kind: ArtifactKind, name: string, platforms: readonly string[], destination: string) =>
    artifacts.push({ project: project.name, version: project.version, kind, name, platforms, destination })
  const files = describeDestination(destinations.files)
  const { binary, image, wheel, chart, npm } = project.config
  if (binary !== undefined) {
    for (const platform of platformsOf(binary, DEFAULT_BINARY_PLATFORMS)) {
      add(
        'archive',
        archiveFileName(project.name, project.version, platform),
        [formatPlatform(platform)],
        files,
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
  return {
    name: project.name,
    version: project.version,
    dir: project.dir,
    formats: Object.keys(project.config),
    artifacts,
  }
}

/** What a release of the workspace would produce, per project, before anything is built. */
export function planWorkspace(workspace: Workspace): ProjectPlan[] {
  const destinations = resolveDestinations(workspace.config)
  assertDistinctOciPlaces(destinations, plannedOciWrites(workspace.projects))
  return workspace.projects.map((project) => planProject(project, destinations))
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
