export {
  type ArchiveEntry,
  checkEntryPath,
  type EntryOwner,
  normalizeEntries,
  realPathInside,
  type TreeOptions,
  treeEntries,
} from './archive/entry.ts'
export { sourceDateEpoch } from './archive/epoch.ts'
export { type GzipOptions, gzipStream } from './archive/gzip.ts'
export { type TarOptions, tarStream } from './archive/tar.ts'
export {
  readTarGz,
  scanTar,
  type TarListing,
  type TarMember,
  type TarScan,
  type TarScanOptions,
} from './archive/tar-reader.ts'
export {
  formatWheelRecordCsv,
  parseWheelRecordCsv,
  parseWheelRecordHash,
  WHEEL_RECORD_ALGORITHMS,
  type WheelRecordHash,
  wheelRecordHash,
} from './archive/wheel-record.ts'
export { type ArchiveFormat, archiveStream, type WriteArchiveOptions, writeArchive } from './archive/write.ts'
export { type ZipOptions, zipStream } from './archive/zip.ts'
export { openZip, ZIP_READ_LIMIT, type ZipEntry, type ZipReader } from './archive/zip-reader.ts'
export type { Artifact, ArtifactKind } from './artifact.ts'
export {
  editorSchemas,
  PACKAGE_SCHEMA_FILE,
  ROOT_SCHEMA_FILE,
  ROOT_SCHEMA_URL,
  SCHEMA_BASE_URL,
} from './config/editor-schema.ts'
export { jsonPointerPosition, jsonSyntaxErrorPosition, type TextPosition } from './config/json-position.ts'
export {
  addWorkspacePackages,
  parseWorkspacePackages,
  readWorkspacePackages,
  simpleWorkspacePackages,
} from './config/pnpm-workspace.ts'
export { ARCHIVE_NAME_FIELDS, type BinaryConfig } from './config/schema/binary.ts'
export type { ChartConfig } from './config/schema/chart.ts'
export type { ImageConfig } from './config/schema/image.ts'
export type { McpConfig, McpEnvironmentVariable, McpTransport } from './config/schema/mcp.ts'
export type { NpmPackageConfig } from './config/schema/npm.ts'
export { FORMATS, type FormatName, type ProjectConfig } from './config/schema/project.ts'
export type {
  FileDestination,
  GpgSigningConfig,
  ImageDestination,
  McpRegistryDestination,
  NpmDestination,
  RootConfig,
  ScanConfig,
  ScanSeverity,
  SigningConfig,
  SigningSettings,
  WheelDestination,
} from './config/schema/root.ts'
export type { WheelConfig } from './config/schema/wheel.ts'
export { checkOptionUrl, checkUrlCredentials } from './config/url-credentials.ts'
export { validateConfig } from './config/validate.ts'
export {
  type ConfigSource,
  findWorkspaceRoot,
  loadWorkspace,
  type Project,
  parseProjectManifest,
  parseRootConfig,
  platformsOf,
  ROOT_CONFIG_FILE,
  type Workspace,
} from './config/workspace.ts'
export {
  type Digest,
  digestFile,
  digestHex,
  digestStream,
  isDigest,
  parseDigest,
  sha256,
} from './digest.ts'
export {
  assertNever,
  CoreError,
  type CoreErrorCode,
  isPolyshipError,
  PolyshipError,
  type SourceLocation,
} from './errors.ts'
export { collectingReporter, type PolyshipEvent, type Reporter, silentReporter } from './events.ts'
export { type FileLock, holdsLock, tryFileLock, type WaitForLock, withFileLock } from './fs/lock-file.ts'
export { placeOnce } from './fs/place-once.ts'
export { makeDirectory, tempNameFor, writeFileAtomic } from './fs/write-atomic.ts'
export { throwWriteFailure, writeFailure } from './fs/write-failure.ts'
export {
  canRequestGithubIdToken,
  type GithubIdToken,
  type GithubIdTokenOptions,
  requestGithubIdToken,
} from './github-oidc.ts'
export {
  type ExchangeBody,
  type ExchangeOptions,
  type ExchangeRequest,
  type ExchangeResponse,
  exchange,
  formatBytes,
  toFetchResponse,
} from './http-exchange.ts'
export {
  exchangeFollowing,
  type FollowOptions,
  isCredentialHeader,
  MAX_REDIRECTS,
  type RedirectedRequest,
  type RedirectHop,
  redirectHop,
  withoutCredentials,
} from './http-redirect.ts'
export {
  type AnswerVerdict,
  backoffMs,
  DEFAULT_RETRY_POLICY,
  defaultVerdict,
  failedBeforeSending,
  header,
  isIdempotentMethod,
  isRetryableError,
  isRetryableStatus,
  nodeRetryDeps,
  type RetriedResponse,
  type RetryAnswer,
  type RetryDeps,
  type RetryingOptions,
  type RetryPolicy,
  type RetryRules,
  retryAfterMs,
  retrying,
  sendWithRetry,
  type Try,
} from './http-retry.ts'
export { type Limiter, limiter, mapLimit, settleAll } from './limit.ts'
export { isLoopbackHostname } from './loopback.ts'
export { networkErrorReason, originOf, readAll } from './net.ts'
export { isNetError, NetError, type NetFailure } from './net-error.ts'
export {
  DEFAULT_NET_LIMITS,
  formatDuration,
  NET_LIMIT_VARIABLES,
  type NetLimits,
  netLimits,
  RetryBudget,
  transferDeadlineMs,
} from './net-limits.ts'
export { formatPlatform, hostPlatform, type Platform, parsePlatform, samePlatform } from './platform.ts'
export { cachedProbe, PROBE_CACHE_ENTRIES, type ProbeSpec, probeCacheDir } from './probe-cache.ts'
export {
  isNormalizedPep440,
  normalizePep440,
  pep440OfSemver,
  samePythonVersion,
  semverOfPep440,
} from './python/pep440.ts'
export {
  admitsPythonVersion,
  comparePythonVersions,
  isPythonPreRelease,
  parseSpecifierClause,
  type SpecifierClause,
  type SpecifierOperator,
} from './python/specifier.ts'
export {
  findVersionInFile,
  type LocatedVersionFile,
  locateVersionFile,
  type PythonBackend,
  type PythonVersionSource,
  pythonBackendOf,
  pythonVersionSource,
  replaceVersionInFile,
  type VcsVersionTool,
  type VersionFileSyntax,
  type VersionSpan,
  vcsVersionEnv,
} from './python/version-source.ts'
export {
  escapePythonName,
  isValidDistributionName,
  normalizePythonName,
  parseDistributionFilename,
  parseWheelFilename,
  type SdistFilename,
  type WheelFilename,
  type WheelTag,
} from './python/wheel-filename.ts'
export {
  assertNoSecrets,
  findLeak,
  isSecretName,
  REDACTED,
  redact,
  registerCredential,
  registerSecret,
  registerSecrets,
  secretValues,
} from './redact.ts'
export {
  type AttestationRef,
  parseReleaseRecord,
  RELEASE_RECORD_SCHEMA,
  type RecordedArtifact,
  type RecordedProject,
  type RecordedScan,
  type ReleaseRecord,
  readReleaseRecord,
  writeJsonAtomic,
  writeReleaseRecord,
} from './release-record.ts'
export { type RustcReport, rustcReport } from './rustc-report.ts'
export { compareSemver, isSemver, parseSemver, SEMVER, type SemverParts } from './semver.ts'
export {
  formatCommand,
  hasTool,
  type RunOptions,
  type RunResult,
  run,
  SubprocessError,
} from './subprocess.ts'
export { GO_BUILD_ENV } from './toolchain-env.ts'
export { hasUrlCredentials, maskUrlCredentials, urlCredentialParts, withoutUserinfo } from './userinfo.ts'
