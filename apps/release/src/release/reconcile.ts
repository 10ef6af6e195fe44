import { chartManifest } from '@polyship/helm'
import { descriptorOf, versionTag } from '@polyship/oci'
import { checkPypiPlatformTags, heldConflictError, isPypi, normalizeName } from '@polyship/wheel'
import type { Reconciliation } from '../publish/outcome.ts'
import { renderTable } from '../table.ts'
import { ReleaseError } from './errors.ts'
import type { ProjectRelease } from './release-set.ts'
import type { Targets } from './targets.ts'

/** What a destination answered about one artifact, before anything is published. */
export interface Finding {
  readonly project: string
  readonly kind: string
  readonly artifact: string
  readonly state: Reconciliation
}

async function ociState(
  store: { resolve(tag: string): Promise<{ digest: string } | undefined>; location: string },
  tag: string,
  wanted: `sha256:${string}`,
): Promise<Reconciliation> {
  const location = `${store.location}:${tag}`
  const existing = await store.resolve(tag)
  if (existing === undefined) return { status: 'new', location }
  if (existing.digest === wanted) return { status: 'unchanged', location, digest: wanted }
  return { status: 'conflict', location, existing: existing.digest as `sha256:${string}`, wanted }
}

/**
 * Asks every destination what it holds for every artifact of the release (plan first,
 * publish second): identical content is unchanged, absent content new, different content
 * under the same immutable name a conflict.
 */
export async function reconcileRelease(
  releases: readonly ProjectRelease[],
  targets: Targets,
): Promise<Finding[]> {
  const findings: Finding[] = []
  for (const release of releases) {
    const project = release.project.name
    const dists = release.files.filter((f) => f.distribution !== undefined)
    if (dists.length > 0) {
      const destination = targets.destinations.wheels
      // PyPI refuses some platform tags: known now, before anything is published.
      if (destination.type === 'pypi' && isPypi(destination.url))
        for (const file of dists) checkPypiPlatformTags(file.distribution!, destination.url)
      const index = targets.wheelIndex()
      const held = await index.held(
        normalizeName(dists[0]!.distribution!.name),
        dists.map((d) => d.name),
      )
      // an empty or truncated copy (a cut-off upload) is said exactly, with the way out
      const conflict = await heldConflictError(
        dists.map((d) => d.distribution!),
        held,
        index,
      )
      if (conflict !== undefined) throw conflict
      for (const file of dists) {
        const existing = held.get(file.name)
        const state: Reconciliation =
          existing === undefined
            ? { status: 'new', location: `${index.url}#${file.name}` }
            : existing.digest === file.digest
              ? { status: 'unchanged', location: existing.location, digest: file.digest }
              : {
                  status: 'conflict',
                  location: existing.location,
                  existing: existing.digest,
                  wanted: file.digest,
                }
        findings.push({ project, kind: file.kind, artifact: file.name, state })
      }
    }
    for (const file of release.files.filter((f) => f.tarball !== undefined)) {
      findings.push({
        project,
        kind: file.kind,
        artifact: file.name,
        state: await targets.npm.reconcile(release, file),
      })
    }
    for (const file of release.files.filter((f) => f.distribution === undefined && f.tarball === undefined)) {
      findings.push({
        project,
        kind: file.kind,
        artifact: file.name,
        state: await targets.files.reconcile(release, file),
      })
    }
    if (release.image !== undefined) {
      const store = targets.imageStore(release.image.repository)
      const state = await ociState(
        store,
        versionTag(release.version),
        release.image.built.index.descriptor.digest,
      )
      findings.push({
        project,
        kind: 'image',
        artifact: `${release.image.repository}:${versionTag(release.version)}`,
        state,
      })
    }
    if (release.chart !== undefined) {
      const { chart } = release.chart
      const digest = descriptorOf(chartManifest(chart).content).digest
      const state = await ociState(targets.chartStore(chart.name), versionTag(chart.version), digest)
      findings.push({ project, kind: 'chart', artifact: `${chart.name}:${versionTag(chart.version)}`, state })
    }
  }
  return findings
}

/**
 * Stops the release when any destination holds other content under a released name, except
 * the conflicts `replaceable` accepts (GitHub release assets under --replace).
 */
export function assertNoConflicts(
  findings: readonly Finding[],
  replaceable: (finding: Finding) => boolean = () => false,
): void {
  const conflicts = findings.filter((f) => f.state.status === 'conflict' && !replaceable(f))
  if (conflicts.length === 0) return
  const table = renderTable(
    ['project', 'artifact', 'where', 'holds', 'this build'],
    conflicts.map((f) => {
      const state = f.state as Extract<Reconciliation, { status: 'conflict' }>
      return [f.project, f.artifact, state.location, state.existing.slice(0, 19), state.wanted.slice(0, 19)]
    }),
  )
  throw new ReleaseError(
    'RELEASE_CONFLICT',
    `${conflicts.length} released name(s) already hold other content; nothing was published:\n${table}`,
    {
      hint: 'released versions are immutable: bump the version with a changeset, or rebuild exactly what was released (same commit and SOURCE_DATE_EPOCH)',
    },
  )
}
