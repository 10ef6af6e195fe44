import type { Readable } from 'node:stream'
import type { Digest } from '@polyship/core'
import { OciError } from './errors.ts'
import type { Descriptor, ManifestContent } from './manifest.ts'

/**
 * Blob bytes to push, opened only when an upload is really needed and re-opened at an
 * offset when an upload resumes or restarts: bytes in memory, a file, or a stream factory
 * (e.g. another store's `fetchBlob`).
 */
export type BlobSource =
  | Uint8Array
  | { readonly path: string }
  | { readonly open: (offset: number) => Promise<Readable> }

export type BlobOutcome = 'uploaded' | 'exists' | 'mounted'

/** What putting a manifest (and its tag) did. `conflict` wrote nothing under the tag. */
export type PublishOutcome =
  | { readonly status: 'published'; readonly location: string; readonly descriptor: Descriptor }
  | { readonly status: 'unchanged'; readonly location: string; readonly descriptor: Descriptor }
  | {
      readonly status: 'conflict'
      readonly location: string
      readonly descriptor: Descriptor
      /** What the tag points at now; it was left there. */
      readonly existing: Digest
    }

export interface PutManifestOptions {
  /** Tag to point at the manifest once it is stored by digest. */
  readonly tag?: string
  /** Move the tag if it points elsewhere (for moving tags like `latest`); default: report a conflict. */
  readonly moveTag?: boolean
}

export interface PushBlobOptions {
  /** Repository on the same registry to mount the blob from instead of uploading (ignored by layouts). */
  readonly mountFrom?: string
}

/** Blobs by digest: config, layers, any content a manifest points at. */
export interface BlobStore {
  hasBlob(digest: Digest): Promise<boolean>
  /** Ensures the blob is present: skips it when it exists, mounts it when possible, else uploads `source`. */
  pushBlob(descriptor: Descriptor, source: BlobSource, options?: PushBlobOptions): Promise<BlobOutcome>
  /** A stream of the blob that fails with OCI_DIGEST_MISMATCH / OCI_SIZE_MISMATCH instead of ending on wrong bytes. */
  fetchBlob(descriptor: Descriptor): Promise<Readable>
}

/** Manifests and indexes by digest or tag. */
export interface ManifestStore {
  /** Stores the manifest by digest, then (optionally) points a tag at it. Children must already be present. */
  putManifest(content: ManifestContent, options?: PutManifestOptions): Promise<PublishOutcome>
  /** Manifest bytes by tag or digest, checked against their digest; OCI_MANIFEST_UNKNOWN when absent. */
  getManifest(tagOrDigest: string): Promise<ManifestContent & { readonly descriptor: Descriptor }>
  /** The descriptor a tag or digest resolves to, or undefined when absent. */
  resolve(tagOrDigest: string): Promise<Descriptor | undefined>
  listTags(): Promise<string[]>
}

/** Signatures, SBOMs and attestations attached to a subject manifest. */
export interface ReferrerStore {
  /**
   * Stores a manifest that has a `subject` and makes it discoverable from that subject:
   * through the registry's referrers API when it has one, else the `sha256-<hex>` tag index.
   * Referrers of one subject attached at the same time are listed in the order of the calls.
   */
  attachReferrer(content: ManifestContent): Promise<AttachOutcome>
  /** Descriptors of the manifests attached to `subject`, optionally only those of one artifactType. */
  listReferrers(subject: Digest, artifactType?: string): Promise<Descriptor[]>
}

export interface AttachOutcome {
  readonly descriptor: Descriptor
  /** How it was made discoverable. */
  readonly via: 'referrers-api' | 'tag-fallback'
  /** False when the same referrer was already attached. */
  readonly added: boolean
}

/**
 * One repository of a registry, or one OCI image layout directory: callers push, pull,
 * resolve and list the same way to either.
 */
export interface OciStore extends BlobStore, ManifestStore, ReferrerStore {
  /** Where this store is, for messages and release records: `ghcr.io/acme/app` or `oci-layout:dist/oci`. */
  readonly location: string
}

/**
 * Turns a `conflict` outcome into OCI_TAG_CONFLICT (published versions are immutable);
 * other outcomes pass through.
 */
export function rejectConflict(
  outcome: PublishOutcome,
): Exclude<PublishOutcome, { readonly status: 'conflict' }> {
  if (outcome.status !== 'conflict') return outcome
  throw new OciError(
    'OCI_TAG_CONFLICT',
    `${outcome.location} already points at ${outcome.existing}, not ${outcome.descriptor.digest}; a published version is immutable`,
    {
      hint: 'release a new version (add a changeset) instead of overwriting this one; moving tags like latest need moveTag',
    },
  )
}
