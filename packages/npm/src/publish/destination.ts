import type { PackageName } from '../package/name.ts'
import type { NpmTarball } from '../package/tarball.ts'
import type { NpmAttachment, ProvenanceSupport } from './provenance.ts'

/** What a destination holds under one `name@version`. */
export interface HeldVersion {
  /** `sha512-...` when the destination records one (registries since npm 5, directories always). */
  readonly integrity?: string
  /** sha1 hex. */
  readonly shasum?: string
  /** The tarball URL or file. */
  readonly location: string
}

/** A destination's answer about one package: the version asked for, and the dist-tags. */
export interface PackageLookup {
  readonly held?: HeldVersion
  readonly distTags: Readonly<Record<string, string>>
}

/** The answer to publishing a version the destination did not hold. */
export type AddResult =
  | { readonly status: 'added'; readonly location: string }
  /** Refused because the version exists (a concurrent or interrupted run got there first). */
  | { readonly status: 'exists' }

/**
 * Where npm packages go: a registry or a tarball directory. Reconciliation needs only these
 * two questions answered; dist-tags are moved by a `DistTagWriter`, when there is one.
 */
export interface NpmDestination {
  /** The registry URL or the directory, for messages and outcomes. */
  readonly location: string
  lookup(name: PackageName, version: string): Promise<PackageLookup>
  /**
   * Publishes `tarball` under dist-tag `tag` (registries need one in the publish document),
   * with more `_attachments` (provenance) when given, to a destination whose `provenance` accepts them.
   */
  add(
    tarball: NpmTarball,
    tag: string,
    attachments?: Readonly<Record<string, NpmAttachment>>,
  ): Promise<AddResult>
  /** Whether provenance attached to a publish is kept; undefined: it is not (a directory). */
  readonly provenance?: ProvenanceSupport
}

/** Asks a registry who its credential belongs to (`GET /-/whoami`), so a refused token stops a run before any write. */
export interface CredentialCheck {
  /** The user name; throws NPM_UNAUTHORIZED when the registry refuses the credential. */
  whoami(): Promise<string | undefined>
}

/** Moves a dist-tag (`PUT /-/package/<name>/dist-tags/<tag>`). */
export interface DistTagWriter {
  moveDistTag(name: PackageName, tag: string, version: string): Promise<void>
}
