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
  /** `nx run-many -t polyship-build` (the compile step through Nx) failed. */
  | 'RELEASE_NX_BUILD_FAILED'

export class ReleaseError extends PolyshipError<ReleaseErrorCode> {}
