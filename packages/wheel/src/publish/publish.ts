import { type Digest, mapLimit, type Reporter, silentReporter } from '@polyship/core'
import { WheelConflictError } from '../errors.ts'
import type { Distribution } from '../inspect/distribution.ts'
import { normalizeName } from '../names.ts'
import { heldConflictError, heldConflicts } from './held-copy.ts'
import type { PackageIndex } from './package-index.ts'

/** What publishing one file did. A conflict is not an outcome: it is a WHEEL_CONFLICT error. */
export type WheelPublishOutcome =
  | {
      readonly status: 'published'
      readonly filename: string
      readonly location: string
      readonly digest: Digest
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

  const upload = async (d: Distribution): Promise<void> => {
    reporter.emit({ type: 'step', project, step: `upload ${d.filename}`, status: 'start' })
    const result = await index.add(d)
    if (result.status === 'added') {
      outcomes.set(d.filename, {
        status: 'published',
        filename: d.filename,
        location: result.location,
        digest: d.digest,
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
  const pending = distributions.filter((d) => !outcomes.has(d.filename))
  await mapLimit(
    pending.filter((d) => d.kind === 'wheel'),
    options.concurrency ?? 2,
    upload,
  )
  for (const d of pending.filter((d) => d.kind === 'sdist')) await upload(d)
  return distributions.map((d) => outcomes.get(d.filename)!)
}
