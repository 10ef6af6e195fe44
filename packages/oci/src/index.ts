export { blobSourceOf, mountFromOf } from './blob-source.ts'
export { type CopyOptions, copyImage } from './copy.ts'
export { nodeDeps, type OciDeps } from './deps.ts'
export { insecureHostsOf, openStore, repositoryStore } from './destination.ts'
export { OciError, type OciErrorCode } from './errors.ts'
export { LayoutStore } from './layout/layout-store.ts'
export {
  childrenOf,
  type Descriptor,
  descriptorOf,
  EMPTY_DESCRIPTOR,
  EMPTY_JSON,
  encodeManifest,
  type ImageIndex,
  type ImageManifest,
  MAX_MANIFEST_BYTES,
  type ManifestContent,
  type ParsedManifest,
  parseManifest,
  referrerManifest,
  subjectOf,
} from './manifest.ts'
export {
  isIndexMediaType,
  isManifestMediaType,
  MANIFEST_ACCEPT,
  type ManifestMediaType,
  MEDIA_TYPES,
  REF_NAME_ANNOTATION,
} from './media-types.ts'
export {
  DOCKER_HUB,
  formatReference,
  type ImageReference,
  parseReference,
  parseTag,
  versionTag,
} from './reference.ts'
export { fallbackTag } from './referrers/fallback.ts'
export {
  type AuthFileLocation,
  type AuthKey,
  authFileLocations,
  type Credential,
  type CredentialLookup,
  type ExplicitCredentials,
  findCredential,
  parseAuthKey,
} from './registry/auth/credentials.ts'
export { RegistryClient, type RegistryClientOptions } from './registry/client.ts'
export { RegistryStore } from './registry/registry-store.ts'
export { DEFAULT_RETRY, type RetryPolicy } from './registry/retry.ts'
export { isLoopback, registryOrigin } from './registry/url.ts'
export type {
  AttachOutcome,
  BlobOutcome,
  BlobSource,
  BlobStore,
  ManifestStore,
  OciStore,
  PublishOutcome,
  PushBlobOptions,
  PutManifestOptions,
  ReferrerStore,
} from './store.ts'
export { rejectConflict } from './store.ts'
