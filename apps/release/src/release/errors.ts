import { PolyshipError } from '@polyship/core'

export type ReleaseErrorCode =
  | 'RELEASE_LOCKED'
  | 'RELEASE_CONFLICT'
  | 'RELEASE_CREDENTIALS_MISSING'
  | 'RELEASE_UNKNOWN_PROJECT'
  | 'RELEASE_GITHUB_FAILED'
  | 'RELEASE_SHARD_INVALID'
  | 'RELEASE_MERGE_INVALID'
  | 'RELEASE_UNSIGNED'
  | 'RELEASE_OUTDIR_INVALID'
  | 'RELEASE_DIRTY_TREE'
  | 'RELEASE_PROJECT_INVALID'
  | 'RELEASE_IMAGE_MISSING'
  /** Two artifacts of one release would be written to the same repository:tag. */
  | 'RELEASE_DESTINATION_COLLISION'
  /** Signed git tags need a tagger: git has no user.name / user.email. */
  | 'RELEASE_GIT_IDENTITY_MISSING'
  /** The vulnerability gate found advisories at or above `scan.failOn` in the release's SBOMs. */
  | 'RELEASE_VULNERABLE'
  /** nx.json's `release` block would also version and publish projects polyship releases. */
  | 'RELEASE_NX_OVERLAP'
  /** `nx run-many -t polyship-build` (the compile step through Nx) failed. */
  | 'RELEASE_NX_BUILD_FAILED'

export class ReleaseError extends PolyshipError<ReleaseErrorCode> {}
