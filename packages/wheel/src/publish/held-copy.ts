import { type Digest, digestFile, isPolyshipError } from '@polyship/core'
import { type WheelConflict, WheelConflictError } from '../errors.ts'
import type { Distribution } from '../inspect/distribution.ts'
import { parseDistributionFilename } from '../names.ts'
import type { HeldFile, PackageIndex } from './package-index.ts'

/** sha256 of zero bytes: what an index lists for a file whose upload was cut off before any byte. */
export const EMPTY_SHA256: Digest = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

/** What an index holds under a file name, compared with the file being published. */
export type HeldCopy =
  /** 0 bytes: an upload cut off before its body reached the disk. */
  | { readonly kind: 'empty'; readonly wantedSize: number }
  /** Exactly the first `size` bytes of the file being published: an upload cut off midway. */
  | { readonly kind: 'truncated'; readonly size: number; readonly wantedSize: number }
  /** Other bytes (another build of the same version); `size` when the index says it. */
  | { readonly kind: 'different'; readonly size?: number; readonly wantedSize: number }

/**
 * Tells an interrupted upload (an empty file, or a prefix of `distribution`) from another
 * file under the same name, by the held digest and size (the size asked of the index only
 * now, on a conflict).
 */
export async function heldCopyOf(
  distribution: Distribution,
  held: HeldFile,
  index: PackageIndex,
): Promise<HeldCopy> {
  const wantedSize = distribution.size
  if (held.digest === EMPTY_SHA256) return { kind: 'empty', wantedSize }
  const size = held.size ?? (await askSize(index, held))
  if (size === undefined) return { kind: 'different', wantedSize }
  if (size > 0 && size < wantedSize && (await digestFile(distribution.path, size)).digest === held.digest)
    return { kind: 'truncated', size, wantedSize }
  return { kind: 'different', size, wantedSize }
}

/** The held size from the index; a coded failure to tell it leaves it unknown, so the conflict itself is still reported. */
async function askSize(index: PackageIndex, held: HeldFile): Promise<number | undefined> {
  try {
    return await index.heldSize?.(held)
  } catch (error) {
    if (isPolyshipError(error)) return undefined
    throw error
  }
}

/**
 * The conflicts among `distributions` (files `held` lists with another digest), each said
 * exactly: what the index holds next to ours, where, for which project and version.
 */
export async function heldConflicts(
  distributions: readonly Distribution[],
  held: ReadonlyMap<string, HeldFile | undefined>,
  index: PackageIndex,
): Promise<WheelConflict[]> {
  const out: WheelConflict[] = []
  for (const d of distributions) {
    if (!held.has(d.filename)) continue
    const existing = held.get(d.filename)
    if (existing?.digest === d.digest) continue
    out.push({
      filename: d.filename,
      existing: existing?.digest,
      wanted: d.digest,
      // as the file name spells it: pypiserver matches removals against file names
      project: parseDistributionFilename(d.filename).distribution,
      version: parseDistributionFilename(d.filename).version,
      ...(existing === undefined
        ? {}
        : { location: existing.location, copy: await heldCopyOf(d, existing, index) }),
    })
  }
  return out
}

/** WHEEL_CONFLICT for the files of `distributions` that `held` lists with other bytes, or undefined when none does. */
export async function heldConflictError(
  distributions: readonly Distribution[],
  held: ReadonlyMap<string, HeldFile>,
  index: PackageIndex,
): Promise<WheelConflictError | undefined> {
  const conflicts = await heldConflicts(distributions, held, index)
  return conflicts.length === 0 ? undefined : new WheelConflictError(index.url, conflicts)
}
