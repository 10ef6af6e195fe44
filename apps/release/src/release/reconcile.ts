import { readFile, stat } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import { chartManifest } from '@polyship/helm'
import { descriptorOf, versionTag } from '@polyship/oci'
import { checkPypiPlatformTags, heldConflictError, isPypi, normalizeName } from '@polyship/wheel'
import type { Reconciliation } from '../publish/outcome.ts'
import { renderTable } from '../table.ts'
import { ReleaseError } from './errors.ts'
import type { ProjectRelease } from './release-set.ts'
import type { Targets } from './targets.ts'

/** Why a destination's copy differs, when more is known than "other bytes", and the way out. */
export interface ConflictCause {
  readonly message: string
  readonly hint: string
}

/** What a destination answered about one artifact, before anything is published. */
export interface Finding {
  readonly project: string
  readonly kind: string
  readonly artifact: string
  readonly state: Reconciliation
  /** Set on a conflict whose cause is known: an empty or cut-off copy of the file. */
  readonly cause?: ConflictCause
}

/** sha256 of zero bytes: what a destination holds after an upload that was killed before its first byte. */
const EMPTY_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

/** Whether `held` (a file on this machine) is a strict prefix of `ours`: a copy cut off while written. */
async function isCutOff(held: string, ours: string): Promise<{ size: number; of: number } | undefined> {
  const sizes = await Promise.all([stat(held), stat(ours)]).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined
    throw error
  })
  if (sizes === undefined || !sizes[0].isFile() || sizes[0].size >= sizes[1].size) return undefined
  const [heldBytes, ourBytes] = await Promise.all([readFile(held), readFile(ours)])
  return ourBytes.subarray(0, heldBytes.length).equals(heldBytes)
    ? { size: heldBytes.length, of: ourBytes.length }
    : undefined
}

/**
 * What is known about a conflict beyond "other bytes": an empty or cut-off copy of this very
 * file, which a killed upload leaves (wheels and sdists: the wheel package says it itself,
 * `heldConflictError`, and that error is not rewritten here). Such a copy is not another release of the version, so the way out
 * is to remove it, never to bump the version.
 */
async function conflictCause(
  state: Reconciliation,
  file: { readonly name: string; readonly path?: string },
  replaceable: boolean,
): Promise<ConflictCause | undefined> {
  if (state.status !== 'conflict') return undefined
  const local = isAbsolute(state.location) ? state.location : undefined
  const cut =
    state.existing === EMPTY_DIGEST
      ? { size: 0, of: undefined }
      : local !== undefined && file.path !== undefined
        ? await isCutOff(local, file.path)
        : undefined
  if (cut === undefined) return undefined
  const what =
    cut.size === 0
      ? `an empty file under the name ${file.name}`
      : `the first ${cut.size} of the ${cut.of} bytes of this very ${file.name}`
  return {
    message: `holds ${what}: an upload cut off before it finished (a killed or crashed run), not another release of this version`,
    hint:
      local !== undefined
        ? `remove the cut-off copy (rm ${local}) and run polyship release again`
        : replaceable
          ? 'run polyship release --replace to upload it again over the cut-off copy'
          : `delete the cut-off ${file.name} at ${state.location} (where the destination allows deleting) and run polyship release again; the version need not change`,
  }
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
      const index = targets.wheelIndex()
      // PyPI refuses some platform tags: known now, before anything is published.
      if (destination.type === 'pypi' && isPypi(index.url))
        for (const file of dists) checkPypiPlatformTags(file.distribution!, index.url)
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
        const cause = await conflictCause(state, file, false)
        findings.push({ project, kind: file.kind, artifact: file.name, state, ...(cause ? { cause } : {}) })
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
      const state = await targets.files.reconcile(release, file)
      const cause = await conflictCause(state, file, targets.destinations.files.type === 'github')
      findings.push({ project, kind: file.kind, artifact: file.name, state, ...(cause ? { cause } : {}) })
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
  const explained = conflicts.flatMap((f) =>
    f.cause === undefined ? [] : [`${f.artifact}: ${f.cause.message}`],
  )
  const hints = [...new Set(conflicts.flatMap((f) => (f.cause === undefined ? [] : [f.cause.hint])))]
  const other = conflicts.filter((f) => f.cause === undefined)
  if (other.length > 0) {
    const versions = [...new Set(other.map((f) => f.project))].join(', ')
    hints.push(
      `released versions are immutable, and ${versions} was published from other inputs than this build's (its sources changed since, or another SOURCE_DATE_EPOCH or toolchain built it): bump the version with a changeset, or rebuild exactly what was released`,
    )
  }
  throw new ReleaseError(
    'RELEASE_CONFLICT',
    `${conflicts.length} released name(s) already hold other content; nothing was published:\n${table}${
      explained.length === 0 ? '' : `\n${explained.join('\n')}`
    }`,
    { hint: hints.join('; ') },
  )
}
