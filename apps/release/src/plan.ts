import {
  type ArtifactKind,
  formatPlatform,
  type Platform,
  type Project,
  platformsOf,
  type Workspace,
} from '@polyship/core'
import { type Destinations, describeDestination, resolveDestinations } from './destinations.ts'

export const DEFAULT_BINARY_PLATFORMS = [
  'linux/amd64',
  'linux/arm64',
  'darwin/amd64',
  'darwin/arm64',
  'windows/amd64',
]
export const DEFAULT_IMAGE_PLATFORMS = ['linux/amd64', 'linux/arm64']

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

/** GoReleaser's archive naming: `<project>_<version>_<os>_<arch>[v<variant>].tar.gz`, zip for windows. */
function archiveName(project: Project, platform: Platform): string {
  const arch = platform.architecture + (platform.variant ?? '')
  return `${project.name}_${project.version}_${platform.os}_${arch}.${platform.os === 'windows' ? 'zip' : 'tar.gz'}`
}

function planProject(project: Project, destinations: Destinations): ProjectPlan {
  const artifacts: PlannedArtifact[] = []
  const add = (kind: ArtifactKind, name: string, platforms: readonly string[], destination: string) =>
    artifacts.push({ project: project.name, version: project.version, kind, name, platforms, destination })
  const files = describeDestination(destinations.files)
  const { binary, image, wheel, chart } = project.config
  if (binary !== undefined) {
    for (const platform of platformsOf(binary, DEFAULT_BINARY_PLATFORMS)) {
      add('archive', archiveName(project, platform), [formatPlatform(platform)], files)
    }
    add('checksums', `${project.name}_${project.version}_checksums.txt`, [], files)
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
  if (image !== undefined) {
    const platforms = platformsOf(image, DEFAULT_IMAGE_PLATFORMS).map(formatPlatform)
    add(
      'image-index',
      `${image.repository ?? project.name}:${project.version}`,
      platforms,
      describeDestination(destinations.images),
    )
  }
  if (chart !== undefined) {
    add(
      'chart',
      `${project.name}:${project.version.replaceAll('+', '_')}`,
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
  return workspace.projects.map((project) => planProject(project, destinations))
}
