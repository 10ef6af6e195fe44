export {
  type AttestedFile,
  attestFile,
  attestFiles,
  bundleBytes,
  FILE_SUFFIXES,
  type FileAttestationRequest,
  type FileAttestOptions,
  sbomStatement,
} from './attach/files.ts'
export { attestationStore } from './attach/oci-store.ts'
export {
  ANNOTATIONS,
  type AttestationStore,
  type AttestedImage,
  attestImage,
  bundleReferrer,
  type ImageAttestRequest,
  type OciDescriptor,
  type ReferrerArtifact,
  readBundles,
  type StoredBundle,
} from './attach/referrers.ts'
export { type AttestDeps, nodeDeps, withDeps } from './deps.ts'
export { AttestError, type AttestErrorCode, isAttestError } from './errors.ts'
export {
  GPG_KEY_ENV,
  GPG_PASSPHRASE_ENV,
  type GpgHome,
  openGpgHome,
} from './gpg/home.ts'
export {
  type CheckedGpgKey,
  checkGpgKey,
  type GpgFingerprint,
  type GpgKey,
  parseKeyListing,
} from './gpg/key.ts'
export { gpgRecordCheck } from './gpg/record-check.ts'
export {
  GPG_KEYS_MEDIA_TYPE,
  GPG_SIGNATURE_MEDIA_TYPE,
  GPG_SIGNATURE_SUFFIX,
  type GpgSigner,
  gpgSigner,
  type OpenedGpgSigner,
  openGpgSigner,
} from './gpg/signer.ts'
export { type GpgVerdict, verifyGpgSignature } from './gpg/verify.ts'
export {
  defaultKeyPath,
  generateSigningKey,
  type KeyOptions,
  publicKeyPathOf,
  type ResolvedKey,
  resolveSigningKey,
} from './key/resolve-key.ts'
export {
  KEY_ENV,
  PASSPHRASE_ENVS,
  parseSigningKey,
  publicKeyHint,
  readSigningKey,
  type SigningKey,
} from './key/signing-key.ts'
export {
  buildSbom,
  buildSboms,
  type CycloneDxSbom,
  SBOM_MEDIA_TYPE,
  type Sbom,
  type SbomOptions,
  type SbomPair,
  type SbomSubject,
  sbomSerialNumber,
  serializeCycloneDx,
} from './sbom/build.ts'
export {
  type CargoPackage,
  type ComponentType,
  cargoPackage,
  fileComponent,
  type GoModule,
  goModule,
  goStdlib,
  type HelmSubchart,
  helmChart,
  helmSubchart,
  type NpmPackageRef,
  npmPackage,
  ociImage,
  ociPurl,
  type PythonRequirement,
  pythonRequirement,
  type SbomComponent,
} from './sbom/component.ts'
export { type SbomGraph, sbomGraph } from './sbom/graph.ts'
export { parseRequirement } from './sbom/requirement.ts'
export { SPDX_MEDIA_TYPE, type SpdxSbom, serializeSpdx, spdxNamespace } from './sbom/spdx.ts'
export { validateSpdx } from './sbom/spdx-validate.ts'
export { validateSbom } from './sbom/validate.ts'
export {
  type EcosystemDatabase,
  ecosystemOfPurl,
  type OsvDatabase,
  openOsvDatabase,
  parseMaxAge,
} from './scan/database.ts'
export {
  parseOsvScannerOutput,
  type ScanFinding,
  type ScanOptions,
  type ScanReport,
  type ScanTarget,
  sbomEcosystems,
  scanSboms,
} from './scan/osv-scanner.ts'
export { SEVERITIES, type Severity, severityRank } from './scan/severity.ts'
export {
  BUNDLE_V03_MEDIA_TYPE,
  type BundleSigner,
  type SigstoreBundle,
  sigstoreBundleSigner,
} from './sign/bundle-signer.ts'
export { hasAmbientIdentityToken, isCi } from './sign/ci.ts'
export { type ConfiguredSigner, signerFromConfig } from './sign/from-config.ts'
export { keySigner } from './sign/key-signer.ts'
export { type KeylessOptions, keylessSigner } from './sign/keyless-signer.ts'
export { type NpmProvenanceSigner, npmProvenanceSigner } from './sign/npm-provenance.ts'
export { type IdentityTokenSource, identityTokenSource, TOKEN_ENV } from './sign/oidc.ts'
export {
  type Pep740Attestation,
  type PublishAttester,
  pep740FromBundle,
  pep740Statement,
  publishAttester,
  signPypiPublishAttestation,
} from './sign/pep740.ts'
export {
  GITHUB_WORKFLOW_BUILD_TYPE,
  npmProvenanceStatement,
  npmPurl,
  sha512HexOf,
} from './statement/npm-provenance.ts'
export {
  BUILD_TYPE,
  type BuilderRun,
  detectBuilder,
  LOCAL_BUILDER_ID,
  type ProvenanceInput,
  provenanceStatement,
  type ResourceDescriptor,
  type SlsaProvenance,
  type SourceInfo,
} from './statement/provenance.ts'
export { PYPI_PUBLISH_PREDICATE_TYPE, pypiPublishStatement } from './statement/pypi-publish.ts'
export {
  cosignSignStatement,
  coversDigest,
  INTOTO_PAYLOAD_TYPE,
  PREDICATE_TYPES,
  type PredicateType,
  parseStatement,
  type Statement,
  type StatementSubject,
  statement,
  subjectOf,
} from './statement/statement.ts'
export { type VerifiedBundle, verifyBundle } from './verify/bundle.ts'
export {
  type CheckName,
  type CheckResult,
  type Expectations,
  expectationsFor,
  runCheck,
} from './verify/checks.ts'
export { verifyOciContent, verifyOciTag } from './verify/content.ts'
export { type FileVerifyOptions, verifyFile } from './verify/file.ts'
export { type ImageVerifyOptions, verifyImage } from './verify/image.ts'
export {
  keyPolicy,
  readPublicKey,
  readTrustedRoot,
  trustMaterialFromJson,
  type VerificationPolicy,
} from './verify/policy.ts'
export {
  PUBLIC_GOOD_TUF,
  type PublicGoodOptions,
  type PublicGoodTrust,
  publicGoodTrust,
} from './verify/public-good.ts'
export {
  type ArtifactCheck,
  type ArtifactLocation,
  type ArtifactLocator,
  artifactName,
  checkPreviousRecord,
  localFileLocation,
  type RecordVerifyOptions,
  recordSignaturePath,
  verifyRecord,
  verifyRecordSignature,
} from './verify/record.ts'
