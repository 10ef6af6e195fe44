import { PolyshipError } from '@polyship/core'

export type VersioningErrorCode =
  /** A changeset names a package that is not in the workspace. */
  | 'VERSION_UNKNOWN_PROJECT'
  /** A changeset file cannot be parsed (frontmatter, bump type). */
  | 'VERSION_CHANGESET_INVALID'
  /** A native manifest (Cargo.toml, Cargo.lock, pyproject.toml, Chart.yaml, VERSION, package.json) is unusable. */
  | 'VERSION_MANIFEST_INVALID'
  /** `.changeset/config.json` is missing, not JSON, or rejected by changesets. */
  | 'VERSION_CONFIG_INVALID'
  /** Two projects need different values in one shared manifest field. */
  | 'VERSION_CONFLICT'
  /** A git tag could not be created. */
  | 'VERSION_TAG_FAILED'

export class VersioningError extends PolyshipError<VersioningErrorCode> {}
