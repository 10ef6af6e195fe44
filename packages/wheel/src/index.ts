export { distributionArtifact, platformOfTag } from './artifact.ts'
export {
  type BuildOptions,
  buildWheels,
  checkBuilt,
  type Reproducibility,
  type SkippedTarget,
  type WheelBuild,
} from './build/build.ts'
export { relativizeSbomPaths } from './build/sbom-paths.ts'
export { planTargets, type TargetPlan } from './build/targets.ts'
export {
  detectFrontend,
  detectToolchain,
  type Frontend,
  MATURIN_INSTALL_HINT,
  type Toolchain,
  UV_INSTALL_HINT,
} from './build/toolchain.ts'
export {
  type WheelConflict,
  WheelConflictError,
  WheelError,
  type WheelErrorCode,
} from './errors.ts'
export { type Distribution, inspectDistribution } from './inspect/distribution.ts'
export { type CoreMetadata, parseCoreMetadata } from './inspect/metadata.ts'
export { parseRecord, type RecordRow, verifyRecord } from './inspect/record.ts'
export {
  escapedName,
  isValidDistributionName,
  type NormalizedName,
  normalizeName,
  parseDistributionFilename,
  type SdistFilename,
  type WheelFilename,
  type WheelTag,
} from './names.ts'
export {
  cargoVersion,
  type Pyproject,
  type PythonProject,
  parsePyproject,
  readPythonProject,
} from './project/pyproject.ts'
export type { AttestationOutcome, AttestationSupport, UploadAttester } from './publish/attestations.ts'
export { type DestinationOptions, indexFor, publishWheels } from './publish/destination.ts'
export { directoryIndex, PYPI_SIMPLE_URL, pipInstallCommand } from './publish/directory-index.ts'
export {
  EMPTY_SHA256,
  type HeldCopy,
  heldConflictError,
  heldConflicts,
  heldCopyOf,
} from './publish/held-copy.ts'
export {
  DEFAULT_RETRY,
  type HttpDeps,
  type IndexTls,
  nodeHttpDeps,
  type RetryPolicy,
} from './publish/http.ts'
export { parseIndexUrl } from './publish/index-url.ts'
export type { AddResult, HeldFile, PackageIndex } from './publish/package-index.ts'
export { checkPypiPlatformTags, isPypi, pypiRefusedPlatforms } from './publish/platform-tags.ts'
export { type PublishOptions, publishDistributions, type WheelPublishOutcome } from './publish/publish.ts'
export {
  credentialsFor,
  DEFAULT_TOKEN_ENV,
  defaultPypircPath,
  type ResolvedPypiDestination,
  resolvePypiDestination,
  TOKEN_USERNAME,
} from './publish/pypi-destination.ts'
export {
  type IniFile,
  type IniSection,
  type PypircRepository,
  parseIni,
  pypircRepository,
  readPypirc,
} from './publish/pypirc.ts'
export {
  defaultSimpleUrl,
  type IndexCredentials,
  type RemoteIndexOptions,
  remoteIndex,
} from './publish/remote-index.ts'
export { fromHtml, type IndexedFile, listProjectFiles } from './publish/simple-api.ts'
export { mintPypiToken, oidcBase } from './publish/trusted.ts'
export { type UploadBody, uploadBody, uploadFields } from './publish/upload-form.ts'
