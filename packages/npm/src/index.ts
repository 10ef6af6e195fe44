export { type NpmConflict, NpmConflictError, NpmError, type NpmErrorCode } from './errors.ts'
export { type ResolvedDependency, resolvedDependencies } from './package/dependencies.ts'
export {
  encodedName,
  type PackageName,
  packageNameProblem,
  parsePackageName,
  scopeOf,
  tarballFileName,
} from './package/name.ts'
export { type PackOptions, packPackage } from './package/pack.ts'
export {
  hashTarball,
  type Integrity,
  inspectTarball,
  integrityHex,
  type NpmTarball,
  type PackedManifest,
  parsePackedManifest,
} from './package/tarball.ts'
export {
  compareSemVer,
  distTagFor,
  PRERELEASE_FALLBACK_TAG,
  parseSemVer,
  type SemVer,
} from './package/version.ts'
export type {
  AddResult,
  CredentialCheck,
  DistTagWriter,
  HeldVersion,
  NpmDestination,
  PackageLookup,
} from './publish/destination.ts'
export { tarballDirectory } from './publish/directory.ts'
export {
  type NpmAttachment,
  type ProvenanceOutcome,
  type ProvenanceSigner,
  type ProvenanceSupport,
  provenanceAttachment,
  registryTakesProvenance,
} from './publish/provenance.ts'
export {
  addPlanned,
  type DistTagMove,
  type NpmPlan,
  type NpmPublishOutcome,
  type NpmState,
  type PlannedProvenance,
  type PublishOptions,
  planPublish,
  planTag,
  provenanceOf,
  publishTarballs,
  stateOf,
} from './publish/publish.ts'
export {
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  type HttpRequest,
  type HttpResponse,
  nodeTransport,
  type RetryPolicy,
  type Timeouts,
  type Transport,
} from './registry/http.ts'
export {
  credentialFor,
  type NpmConfig,
  nerfDart,
  npmConfigOf,
  parseNpmrc,
  type RegistryCredential,
  readNpmConfig,
  scopeRegistryFor,
  TOKEN_ENV_NAMES,
} from './registry/npmrc.ts'
export {
  normalizeRegistryUrl,
  npmRegistry,
  publishDocument,
  type RegistryOptions,
  tarballUrl,
} from './registry/registry.ts'
