import { isPolyshipError, mapLimit, type Reporter, silentReporter } from '@polyship/core'
import { type NpmConflict, NpmConflictError, NpmError } from '../errors.ts'
import type { NpmTarball } from '../package/tarball.ts'
import { compareSemVer, distTagFor, parseSemVer } from '../package/version.ts'
import type { DistTagWriter, HeldVersion, NpmDestination, PackageLookup } from './destination.ts'
import {
  type NpmAttachment,
  type ProvenanceOutcome,
  type ProvenanceSigner,
  provenanceAttachment,
} from './provenance.ts'

/** What a destination holds for one tarball, asked before anything is published. */
export type NpmState =
  | { readonly status: 'new'; readonly location: string }
  | { readonly status: 'unchanged'; readonly location: string }
  | {
      readonly status: 'conflict'
      readonly location: string
      readonly existing: string
      readonly wanted: string
    }

/** A dist-tag to point at a version once every version is published. */
export interface DistTagMove {
  readonly name: NpmTarball['name']
  readonly tag: string
  readonly version: string
  /** Where the tag points now, if anywhere. */
  readonly from?: string
}

/** One tarball reconciled: its state, the tag it is published under, and the move (if any) to make last. */
export interface NpmPlan {
  readonly tarball: NpmTarball
  readonly state: NpmState
  readonly tag: string
  readonly move?: DistTagMove
}

/** Same bytes? By sha512 integrity when the destination has one, else by sha1 shasum. */
export function stateOf(
  tarball: NpmTarball,
  held: { readonly held: HeldVersion | undefined; readonly newLocation: string },
): NpmState {
  const { newLocation } = held
  const version = held.held
  if (version === undefined) return { status: 'new', location: newLocation }
  const [existing, wanted] =
    version.integrity !== undefined
      ? [version.integrity, tarball.integrity]
      : [`sha1-${version.shasum ?? '?'}`, `sha1-${tarball.shasum}`]
  return existing === wanted
    ? { status: 'unchanged', location: version.location }
    : { status: 'conflict', location: version.location, existing, wanted }
}

/**
 * The dist-tag of a version and whether to move it: `latest` (or `stableTag`) for a
 * release, the prerelease identifier for a prerelease (see `distTagFor`). A tag is never
 * moved backwards: a version below the one a tag points at is published under
 * `<tag>-<major>` instead (`latest-1` for a 1.x backport after 2.0.0), and that tag moves.
 */
export function planTag(
  tarball: NpmTarball,
  options: { readonly distTags: Readonly<Record<string, string>>; readonly stableTag?: string },
): { tag: string; move?: DistTagMove } {
  const { distTags, stableTag = 'latest' } = options
  const version = tarball.version
  const wanted = distTagFor(version, stableTag)
  const ahead = (tag: string) => {
    const current = semVerOrUndefined(distTags[tag])
    return current !== undefined && compareSemVer(current, version) > 0
  }
  const tag = ahead(wanted) ? `${wanted}-${version.major}` : wanted
  const from = distTags[tag]
  if (from === version.text || ahead(tag)) return { tag }
  return {
    tag,
    move: { name: tarball.name, tag, version: version.text, ...(from === undefined ? {} : { from }) },
  }
}

/** A dist-tag's version, or undefined when it is not SemVer (a registry may hold anything there). */
function semVerOrUndefined(text: string | undefined) {
  if (text === undefined) return undefined
  try {
    return parseSemVer(text, 'dist-tag')
  } catch (error) {
    if (error instanceof NpmError) return undefined
    throw error
  }
}

/** Reconciles one tarball with what its destination answered. */
export function planPublish(
  tarball: NpmTarball,
  options: {
    readonly lookup: PackageLookup
    readonly destination: NpmDestination
    /** The tag of releases (default `latest`). */
    readonly stableTag?: string
  },
): NpmPlan {
  const { lookup, destination, stableTag } = options
  const state = stateOf(tarball, {
    held: lookup.held,
    newLocation: `${destination.location}#${tarball.name}@${tarball.version.text}`,
  })
  return {
    tarball,
    state,
    ...planTag(tarball, { distTags: lookup.distTags, ...(stableTag === undefined ? {} : { stableTag }) }),
  }
}

export interface PublishOptions {
  readonly reporter?: Reporter
  /** The tag of releases (default `latest`). */
  readonly stableTag?: string
  /**
   * Signs npm provenance for each new version, attached where the destination keeps it
   * (see `NpmDestination.provenance`); otherwise each published outcome says why not.
   */
  readonly provenance?: ProvenanceSigner
}

/** What publishing one tarball did. A conflict is not an outcome: it is NPM_CONFLICT. */
export interface NpmPublishOutcome {
  readonly status: 'published' | 'unchanged'
  readonly name: string
  readonly version: string
  readonly location: string
  readonly tag: string
  /** Set when the tag was moved to this version. */
  readonly moved?: DistTagMove
  /** With a provenance signer, for a published version: whether provenance went with it, and if not, why. */
  readonly provenance?: ProvenanceOutcome
}

/** A new version's provenance, ready to attach, or why it gets none. */
export type PlannedProvenance = { readonly attachments: Record<string, NpmAttachment> } | ProvenanceOutcome

/**
 * Signs the provenance of one planned version for its destination, or says why it gets
 * none (the signer is unavailable, the destination keeps no provenance). A signing failure
 * is NPM_PROVENANCE_FAILED: call it before publishing, so nothing is published then.
 */
export async function provenanceOf(
  plan: NpmPlan,
  destination: NpmDestination,
  signer: ProvenanceSigner,
): Promise<PlannedProvenance> {
  const { tarball } = plan
  if (signer.kind === 'unavailable') return { status: 'not-attached', reason: signer.reason }
  const support = destination.provenance
  if (support === undefined || !support.accepted)
    return {
      status: 'not-attached',
      reason: support?.reason ?? `${destination.location} keeps no npm provenance`,
    }
  let bundle: { readonly mediaType: string }
  try {
    bundle = await signer.bundle({
      name: tarball.name,
      version: tarball.version.text,
      integrity: tarball.integrity,
      digest: tarball.digest,
    })
  } catch (error) {
    if (!isPolyshipError(error)) throw error
    throw new NpmError(
      'NPM_PROVENANCE_FAILED',
      `the npm provenance of ${tarball.name}@${tarball.version.text} could not be signed (${error.code}: ${error.message}); nothing was published`,
      { ...(error.hint === undefined ? {} : { hint: error.hint }), cause: error },
    )
  }
  const [name, attachment] = provenanceAttachment(tarball, bundle)
  return { attachments: { [name]: attachment } }
}

/** The provenance of every new version, all signed before the first publish. */
async function provenanceFor(
  plans: readonly NpmPlan[],
  destinationOf: (tarball: NpmTarball) => NpmDestination,
  signer: ProvenanceSigner | undefined,
): Promise<Map<NpmPlan, PlannedProvenance>> {
  const out = new Map<NpmPlan, PlannedProvenance>()
  if (signer === undefined) return out
  const fresh = plans.filter((p) => p.state.status === 'new')
  await mapLimit(fresh, 4, async (plan) => {
    out.set(plan, await provenanceOf(plan, destinationOf(plan.tarball), signer))
  })
  return out
}

/**
 * Publishes tarballs by reconciliation: ask each destination what it holds; identical
 * versions are unchanged; if any version is held with other bytes, throw NPM_CONFLICT
 * before publishing anything; publish the rest; move dist-tags last, never backwards. A
 * publish refused as "exists" is settled by asking again, never by the refusal's wording.
 */
export async function publishTarballs(
  tarballs: readonly NpmTarball[],
  destinationOf: (tarball: NpmTarball) => NpmDestination & Partial<DistTagWriter>,
  options: PublishOptions = {},
): Promise<NpmPublishOutcome[]> {
  const reporter = options.reporter ?? silentReporter
  const plans: NpmPlan[] = []
  for (const tarball of tarballs) {
    const destination = destinationOf(tarball)
    const lookup = await destination.lookup(tarball.name, tarball.version.text)
    plans.push(
      planPublish(tarball, {
        lookup,
        destination,
        ...(options.stableTag === undefined ? {} : { stableTag: options.stableTag }),
      }),
    )
  }
  const conflicts: NpmConflict[] = plans.flatMap((p) =>
    p.state.status === 'conflict'
      ? [
          {
            name: p.tarball.name,
            version: p.tarball.version.text,
            location: p.state.location,
            existing: p.state.existing,
            wanted: p.state.wanted,
          },
        ]
      : [],
  )
  if (conflicts.length > 0)
    throw new NpmConflictError(
      [...new Set(tarballs.map((t) => destinationOf(t).location))].join(', '),
      conflicts,
    )
  const provenance = await provenanceFor(plans, destinationOf, options.provenance)
  const outcomes: NpmPublishOutcome[] = []
  for (const plan of plans) {
    const destination = destinationOf(plan.tarball)
    const signed = provenance.get(plan)
    const attachments = signed !== undefined && 'attachments' in signed ? signed.attachments : undefined
    const location = await addPlanned(plan, {
      destination,
      reporter,
      ...(attachments === undefined ? {} : { attachments }),
    })
    const said: ProvenanceOutcome | undefined =
      signed === undefined ? undefined : 'attachments' in signed ? { status: 'attached' } : signed
    outcomes.push({
      status: plan.state.status === 'new' ? 'published' : 'unchanged',
      name: plan.tarball.name,
      version: plan.tarball.version.text,
      location,
      tag: plan.tag,
      ...(said === undefined ? {} : { provenance: said }),
    })
  }
  for (const [i, plan] of plans.entries()) {
    const destination = destinationOf(plan.tarball)
    if (plan.move === undefined || destination.moveDistTag === undefined) continue
    await destination.moveDistTag(plan.move.name, plan.move.tag, plan.move.version)
    outcomes[i] = { ...outcomes[i]!, moved: plan.move }
  }
  return outcomes
}

/**
 * Publishes a planned tarball when it is new and returns where it lives. An "exists"
 * answer (a concurrent or interrupted run) is checked by asking again: same bytes is
 * fine, other bytes NPM_CONFLICT.
 */
export async function addPlanned(
  plan: NpmPlan,
  options: {
    readonly destination: NpmDestination
    readonly reporter?: Reporter
    /** Provenance (`_attachments` entries) to publish with it. */
    readonly attachments?: Readonly<Record<string, NpmAttachment>>
  },
): Promise<string> {
  const { destination, reporter = silentReporter } = options
  if (plan.state.status !== 'new') return plan.state.location
  const { tarball } = plan
  const step = `publish ${tarball.name}@${tarball.version.text}`
  reporter.emit({ type: 'step', project: tarball.name, step, status: 'start' })
  const result =
    options.attachments === undefined
      ? await destination.add(tarball, plan.tag)
      : await destination.add(tarball, plan.tag, options.attachments)
  let location: string
  if (result.status === 'added') location = result.location
  else {
    const again = await destination.lookup(tarball.name, tarball.version.text)
    const state = stateOf(tarball, { held: again.held, newLocation: destination.location })
    if (state.status !== 'unchanged')
      throw new NpmConflictError(destination.location, [
        {
          name: tarball.name,
          version: tarball.version.text,
          location: state.location,
          existing: state.status === 'conflict' ? state.existing : '(refused, not listed)',
          wanted: tarball.integrity,
        },
      ])
    location = state.location
  }
  reporter.emit({ type: 'step', project: tarball.name, step, status: 'done' })
  return location
}
