import { posix } from 'node:path'
import type {
  FileDestination,
  ImageDestination,
  NpmDestination,
  RootConfig,
  WheelDestination,
} from '@polyship/core'
import { versionTag } from '@polyship/oci'
import { ReleaseError } from './release/errors.ts'
import type { ProjectRelease } from './release/release-set.ts'

export interface Destinations {
  readonly images: ImageDestination
  readonly charts: ImageDestination
  readonly wheels: WheelDestination
  readonly files: FileDestination
  readonly npm: NpmDestination
}

/**
 * Resolves configured destinations, falling back to the embedded ones under outDir (no
 * account needed): images in the OCI layouts `<outDir>/oci/<image>`, charts in
 * `<outDir>/oci/charts/<chart>`, so an image and a chart of the same name never share a layout.
 */
export function resolveDestinations(config: RootConfig): Destinations {
  const out = config.outDir ?? 'dist'
  return {
    images: config.destinations?.images ?? { type: 'oci-layout', path: `${out}/oci` },
    charts: config.destinations?.charts ?? { type: 'oci-layout', path: `${out}/${EMBEDDED_CHARTS_DIR}` },
    wheels: config.destinations?.wheels ?? { type: 'simple-index', path: `${out}/pypi` },
    files: config.destinations?.files ?? { type: 'directory', path: `${out}/assets` },
    npm: config.destinations?.npm ?? { type: 'directory', path: `${out}/npm` },
  }
}

export function describeNpmDestination(destination: NpmDestination): string {
  return destination.type === 'registry' ? destination.url : `npm-dir:${destination.path}`
}

export function describeDestination(
  destination: ImageDestination | WheelDestination | FileDestination,
): string {
  switch (destination.type) {
    case 'oci-layout':
      return `oci-layout:${destination.path}`
    case 'registry':
      return destination.repository
    case 'simple-index':
      return `simple-index:${destination.path}`
    case 'pypi':
      // the URL from the environment or a .pypirc is found when publishing; the record names the configured place
      return (
        destination.url ??
        `pypi:${destination.repository ?? '$TWINE_REPOSITORY_URL, $TWINE_REPOSITORY or pypi'}`
      )
    case 'directory':
      return `dir:${destination.path}`
    case 'github':
      return `github:${destination.repository}`
  }
}

/** Where the embedded charts go: beside the images' layouts but never on one of them. */
export const EMBEDDED_CHARTS_DIR = 'oci/charts'

/** One OCI artifact a release writes: an image or a chart, under a repository of its destination. */
export interface OciWrite {
  readonly project: string
  readonly kind: 'image' | 'chart'
  /** The name under the destination: the image repository or the chart name. */
  readonly name: string
  readonly tags: readonly string[]
}

/**
 * The repository (registry) or layout directory (OCI layout) an artifact named `name` goes
 * to under `destination`, as `repositoryStore` opens it, normalised so that equal places
 * compare equal.
 */
export function ociPlace(destination: ImageDestination, name: string): string {
  return destination.type === 'registry'
    ? `${destination.repository.replace(/\/+$/, '')}/${name}`.toLowerCase()
    : `oci-layout:${posix.normalize(posix.join(destination.path.replaceAll('\\', '/'), name))}`
}

/**
 * Refuses, before anything is built or published, two artifacts of one release that would
 * write the same repository:tag (an image and a chart of the same name in one place): the
 * second would find the first one's manifest under its tag and the release would stop
 * half-published. RELEASE_DESTINATION_COLLISION names both and the setting that separates them.
 */
export function assertDistinctOciPlaces(destinations: Destinations, writes: readonly OciWrite[]): void {
  const seen = new Map<string, OciWrite>()
  const clashes: string[] = []
  for (const write of writes) {
    const place = ociPlace(write.kind === 'image' ? destinations.images : destinations.charts, write.name)
    for (const tag of new Set(write.tags)) {
      const key = `${place}:${tag}`
      const first = seen.get(key)
      if (first === undefined) seen.set(key, write)
      else if (first !== write)
        clashes.push(
          `${first.kind} ${first.name} of ${first.project} and ${write.kind} ${write.name} of ${write.project} both go to ${key}`,
        )
    }
  }
  if (clashes.length === 0) return
  throw new ReleaseError(
    'RELEASE_DESTINATION_COLLISION',
    `two artifacts of this release would be written to the same place; nothing was published:\n  ${clashes.join('\n  ')}`,
    {
      hint: 'give them distinct destinations: set destinations.charts (e.g. a chart repository such as <registry>/charts) apart from destinations.images in polyship.json, or set polyship.image.repository of the image',
    },
  )
}

/** The images and charts a release writes, with every tag each gets. */
export function ociWritesOf(releases: readonly ProjectRelease[]): OciWrite[] {
  return releases.flatMap((release) => [
    ...(release.image === undefined
      ? []
      : [
          {
            project: release.project.name,
            kind: 'image' as const,
            name: release.image.repository,
            tags: release.image.tags.map((t) => t.tag),
          },
        ]),
    ...(release.chart === undefined
      ? []
      : [
          {
            project: release.project.name,
            kind: 'chart' as const,
            name: release.chart.chart.name,
            tags: [versionTag(release.chart.chart.version)],
          },
        ]),
  ])
}

/**
 * Where a cluster pulls the embedded OCI layouts' images from: an OCI layout has no host,
 * and a bare `time-server-go` in a chart's values would be pulled from Docker Hub. Charts
 * wired to embedded images name them under the conventional local registry instead
 * (`docker run -p 5000:5000 registry:2`, kind, k3d and minikube registries), to which
 * `skopeo copy --all oci:dist/oci/<image>:<tag> docker://localhost:5000/<image>:<tag>`
 * copies them digest for digest.
 */
export const EMBEDDED_PULL_REGISTRY = 'localhost:5000'

/**
 * The repository a cluster pulls a released image from, as charts' values name it: the
 * registry destination's `<host>/<path>/<image>`, or `localhost:5000/<image>` for the
 * embedded layout (see EMBEDDED_PULL_REGISTRY).
 */
export function pullRepository(destination: ImageDestination, repository: string): string {
  return destination.type === 'registry'
    ? `${destination.repository.replace(/\/+$/, '')}/${repository}`
    : `${EMBEDDED_PULL_REGISTRY}/${repository}`
}

/** What `plan` says about charts wired to images in the embedded layout, or undefined. */
export function embeddedPullNote(destinations: Destinations, wiresImages: boolean): string | undefined {
  if (!wiresImages || destinations.images.type !== 'oci-layout') return undefined
  const dir = destinations.images.path
  return `charts name the embedded images ${EMBEDDED_PULL_REGISTRY}/<image>: copy each there (skopeo copy --all oci:${dir}/<image>:<tag> docker://${EMBEDDED_PULL_REGISTRY}/<image>:<tag>), or set destinations.images to the registry clusters pull from`
}

/**
 * Whether a release to `destinations` leaves the workspace (a registry, PyPI, npm, GitHub, an
 * MCP registry): then it writes git tags for what it released.
 */
export function publishesOutside(destinations: Destinations, config: RootConfig): boolean {
  const { images, charts, wheels, files, npm } = destinations
  return (
    npm.type === 'registry' ||
    images.type === 'registry' ||
    charts.type === 'registry' ||
    wheels.type === 'pypi' ||
    files.type === 'github' ||
    config.destinations?.mcpRegistry !== undefined
  )
}
