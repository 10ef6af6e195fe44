import type { Digest } from '@polyship/core'
import type { Distribution } from '../inspect/distribution.ts'
import type { NormalizedName } from '../names.ts'
import type { AttestationSupport } from './attestations.ts'

/** A file an index already holds. */
export interface HeldFile {
  readonly digest: Digest
  /** Where it can be fetched: a URL or a path. */
  readonly location: string
  /** Its size in bytes, when the index says it without a download. */
  readonly size?: number
}

/** The answer of an index to an upload. */
export type AddResult =
  | { readonly status: 'added'; readonly location: string }
  /** The index refused because the file name is taken (PyPI 400 "File already exists", pypiserver 409, EEXIST). */
  | { readonly status: 'exists' }

/**
 * A destination for wheels and sdists: the remote upload API or an embedded directory.
 * Reconciliation (`publishDistributions`) needs only these two questions answered.
 */
export interface PackageIndex {
  /** Where the index lives, for messages and outcomes. */
  readonly url: string
  /** The files of `project` the index holds, by file name, with their sha256. */
  held(project: NormalizedName, filenames: readonly string[]): Promise<ReadonlyMap<string, HeldFile>>
  /**
   * Uploads a file the index did not hold, with its PEP 740 attestations when given (only
   * to an index whose `attestations` accepts them).
   */
  add(distribution: Distribution, attestations?: readonly object[]): Promise<AddResult>
  /** Whether uploads may carry PEP 740 attestations; undefined: they may not (no reason to tell). */
  readonly attestations?: AttestationSupport
  /**
   * The size of a held file whose `size` the listing did not give; asked only on a conflict,
   * to tell a copy cut off by an interrupted upload from another file.
   */
  heldSize?(file: HeldFile): Promise<number | undefined>
}
