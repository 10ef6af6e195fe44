import { type Digest, isPolyshipError, mapLimit, type Reporter, silentReporter } from '@polyship/core'
import { WheelConflictError, WheelError } from '../errors.ts'
import type { Distribution } from '../inspect/distribution.ts'
import { normalizeName } from '../names.ts'
import type { AttestationOutcome, UploadAttester } from './attestations.ts'
import { heldConflictError, heldConflicts } from './held-copy.ts'
import type { PackageIndex } from './package-index.ts'

/** What publishing one file did. A conflict is not an outcome: it is a WHEEL_CONFLICT error. */
export type WheelPublishOutcome =
  | {
      readonly status: 'published'
      readonly filename: string
      readonly location: string
      readonly digest: Digest
      /** With an attester: whether PEP 740 attestations went with the upload, and if not, why. */
      readonly attestations?: AttestationOutcome
    }
  | {
      readonly status: 'unchanged'
      readonly filename: string
      readonly location: string
      readonly digest: Digest
    }

export interface PublishOptions {
  readonly reporter?: Reporter
  /** Wheels uploaded at once (default 2); the sdist always goes last, alone. */
  readonly concurrency?: number
  /**
   * Signs PEP 740 attestations for the uploads, sent when the index takes them (see
   * `PackageIndex.attestations`); otherwise each published outcome says why none was sent.
   */
  readonly attester?: UploadAttester
}

type AttestationPlan =
  | { readonly send: false; readonly outcome?: AttestationOutcome }
  | { readonly send: true; readonly attest: (d: Distribution) => Promise<object> }

function attestationPlan(attester: UploadAttester | undefined, index: PackageIndex): AttestationPlan {
  if (attester === undefined) return { send: false }
  const notSent = (reason: string): AttestationPlan => ({
    send: false,
    outcome: { status: 'not-sent', reason },
  })
  if (attester.kind === 'unavailable') return notSent(attester.reason)
  const support = index.attestations
  if (support === undefined) return notSent(`${index.url} does not take PEP 740 attestations`)
  if (!support.accepted) return notSent(support.reason)
  return { send: true, attest: (d) => attester.attest(d) }
}

/** Every attestation signed before the first upload: a signing failure publishes nothing. */
async function signAttestations(
  pending: readonly Distribution[],
  attest: (d: Distribution) => Promise<object>,
  project: string,
): Promise<Map<string, object>> {
  const signed = new Map<string, object>()
  await mapLimit(pending, 4, async (d) => {
    try {
      signed.set(d.filename, await attest(d))
    } catch (error) {
      if (!isPolyshipError(error)) throw error
      throw new WheelError(
        'WHEEL_ATTESTATION_FAILED',
        `the PEP 740 attestation of ${d.filename} could not be signed (${error.code}: ${error.message}); nothing of ${project} was uploaded`,
        { ...(error.hint === undefined ? {} : { hint: error.hint }), cause: error },
      )
    }
  })
  return signed
}

/**
 * Publishes one project's files by reconciliation: ask the index what it holds; identical
 * files are `unchanged`; if any name is held with other bytes, throw WHEEL_CONFLICT before
 * uploading anything; then upload the rest, wheels first so installers never see a
 * version with only an sdist. An upload refused as "exists" is settled by asking the
 * index for that file's hash again, never by the refusal's wording.
 */
export async function publishDistributions(
  distributions: readonly Distribution[],
  index: PackageIndex,
  options: PublishOptions = {},
): Promise<WheelPublishOutcome[]> {
  if (distributions.length === 0) return []
  const project = normalizeName(distributions[0]!.name)
  const names = new Set<string>()
  for (const d of distributions) {
    if (normalizeName(d.name) !== project)
      throw new Error(`publishDistributions: ${d.filename} is not a ${project} file`)
    if (names.has(d.filename)) throw new Error(`publishDistributions: ${d.filename} given twice`)
    names.add(d.filename)
  }
  const reporter = options.reporter ?? silentReporter
  const filenames = distributions.map((d) => d.filename)
  const held = await index.held(project, filenames)
  const conflict = await heldConflictError(distributions, held, index)
  if (conflict !== undefined) throw conflict
  const outcomes = new Map<string, WheelPublishOutcome>()
  for (const d of distributions) {
    const existing = held.get(d.filename)
    if (existing !== undefined)
      outcomes.set(d.filename, {
        status: 'unchanged',
        filename: d.filename,
        location: existing.location,
        digest: d.digest,
      })
  }

  const pending = distributions.filter((d) => !outcomes.has(d.filename))
  const plan = attestationPlan(options.attester, index)
  const signed = plan.send ? await signAttestations(pending, plan.attest, project) : new Map<string, object>()

  const upload = async (d: Distribution): Promise<void> => {
    reporter.emit({ type: 'step', project, step: `upload ${d.filename}`, status: 'start' })
    const attestation = signed.get(d.filename)
    const result = await index.add(d, attestation === undefined ? undefined : [attestation])
    if (result.status === 'added') {
      const attestations: AttestationOutcome | undefined =
        attestation !== undefined ? { status: 'sent', count: 1 } : plan.send ? undefined : plan.outcome
      outcomes.set(d.filename, {
        status: 'published',
        filename: d.filename,
        location: result.location,
        digest: d.digest,
        ...(attestations === undefined ? {} : { attestations }),
      })
    } else {
      // refused as taken: someone (or an earlier, interrupted attempt) got there first
      const now = (await index.held(project, [d.filename])).get(d.filename)
      if (now?.digest !== d.digest)
        throw new WheelConflictError(index.url, await heldConflicts([d], new Map([[d.filename, now]]), index))
      outcomes.set(d.filename, {
        status: 'unchanged',
        filename: d.filename,
        location: now.location,
        digest: d.digest,
      })
    }
    reporter.emit({ type: 'step', project, step: `upload ${d.filename}`, status: 'done' })
  }
  const wheels = pending.filter((d) => d.kind === 'wheel')
  const sdists = pending.filter((d) => d.kind === 'sdist')
  try {
    // With attestations, the first upload goes alone: an index refusing them refuses that
    // file, and nothing of the project is published.
    const first = plan.send ? (wheels.length > 0 ? wheels.splice(0, 1) : sdists.splice(0, 1)) : []
    for (const d of first) await upload(d)
    await mapLimit(wheels, options.concurrency ?? 2, upload)
    for (const d of sdists) await upload(d)
  } catch (error) {
    if (!(error instanceof WheelError) || error.code !== 'WHEEL_ATTESTATION_REJECTED') throw error
    const published = pending.filter((d) => outcomes.get(d.filename)?.status === 'published')
    const rest = pending.filter((d) => outcomes.get(d.filename) === undefined)
    throw new WheelError(
      'WHEEL_ATTESTATION_REJECTED',
      published.length === 0
        ? `${error.message}; nothing of ${project} was published`
        : `${error.message}; published before the refusal, with their attestations: ${published.map((d) => d.filename).join(', ')}; not published: ${rest.map((d) => d.filename).join(', ')}`,
      { ...(error.hint === undefined ? {} : { hint: error.hint }), cause: error },
    )
  }
  return distributions.map((d) => outcomes.get(d.filename)!)
}
