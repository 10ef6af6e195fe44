import { type Digest, PolyshipError } from '@polyship/core'

export type NpmErrorCode =
  /** `pnpm pack` failed or did not say which tarball it wrote. */
  | 'NPM_PACK_FAILED'
  /** Not a tarball npm would accept: corrupt gzip/tar, no `package/package.json`, unparseable manifest. */
  | 'NPM_TARBALL_INVALID'
  /** A package name npm refuses (validate-npm-package-name rules for new packages). */
  | 'NPM_NAME_INVALID'
  /** The tarball's name or version differs from the project being released, or the version is not SemVer. */
  | 'NPM_VERSION_MISMATCH'
  /** An .npmrc line polyship cannot use: `${VAR}` of an unset variable, a registry that is not a URL. */
  | 'NPM_CONFIG_INVALID'
  /** The registry refused the credentials (401, 403 on a read or a publish). */
  | 'NPM_UNAUTHORIZED'
  /** Credentials would travel over plain http to a host that is not loopback. */
  | 'NPM_INSECURE_REFUSED'
  | 'NPM_REGISTRY_UNREACHABLE'
  /** The registry answered something unusable: 5xx after retries, a packument that is not JSON. */
  | 'NPM_REGISTRY_ERROR'
  /** The registry refused the publish for another reason than credentials or an existing version. */
  | 'NPM_PUBLISH_REJECTED'
  /** The destination holds other bytes under a version being published. */
  | 'NPM_CONFLICT'
  /** npm provenance could not be signed; nothing was published. */
  | 'NPM_PROVENANCE_FAILED'
  /** `polyship.npm.provenance` is true, but provenance cannot be attached (key signing, not GitHub Actions, a registry that drops it). */
  | 'NPM_PROVENANCE_UNAVAILABLE'

export class NpmError extends PolyshipError<NpmErrorCode> {}

/** One `name@version` a destination holds with other bytes than the ones being published. */
export interface NpmConflict {
  readonly name: string
  readonly version: string
  /** Where it lives: the registry's tarball URL or the file in the directory. */
  readonly location: string
  /** What the destination holds (sha512 integrity, or `sha1-<hex>` when it lists only a shasum). */
  readonly existing: string
  readonly wanted: string
  /** sha256 of the held bytes, when they were read (directories). */
  readonly existingDigest?: Digest
}

/** NPM_CONFLICT, naming every conflicting version; thrown before anything is published. */
export class NpmConflictError extends NpmError {
  readonly conflicts: readonly NpmConflict[]

  constructor(destination: string, conflicts: readonly NpmConflict[]) {
    const lines = conflicts.map(
      (c) => `${c.name}@${c.version}: ${c.location} holds ${c.existing}, this build is ${c.wanted}`,
    )
    super(
      'NPM_CONFLICT',
      `${destination} already has other bytes under these versions; nothing was published:\n  ${lines.join('\n  ')}`,
      {
        hint: 'published npm versions are immutable (npm never lets a version be republished): release a new version with a changeset',
      },
    )
    this.conflicts = conflicts
  }
}
