export { BinaryError, type BinaryErrorCode } from './errors.ts'
export { assertCleanTree, type GitStamp, readGitStamp, rfc3339 } from './git.ts'
export { defaultGoBinaryName, type GoBinary, resolveGoBinaries } from './go/binaries.ts'
export { buildGoBinaries, goLdflags, readonlyGoflags } from './go/build.ts'
export { type GoBuildInfo, type GoModule, parseGoBuildInfo, readGoBuildInfo } from './go/build-info.ts'
export { compareGoVersions, type GoMod, parseGoMod, readGoMod, readGoModFile } from './go/go-mod.ts'
export { type GoTarget, goPlatforms, goTarget } from './go/target.ts'
export {
  checkGoToolchain,
  type GoReport,
  type GoToolchain,
  goReport,
} from './go/toolchain.ts'
export {
  type ArchiveNaming,
  archiveFileName,
  archiveFormatFor,
  archiveNameFields,
  archLabel,
  buildDirName,
  checksumsFileName,
  DEFAULT_PLATFORMS,
  executableName,
  projectSlug,
  releaseVersion,
  renderArchiveName,
} from './names.ts'
export { type BinaryBuildOptions, type Env, type Slots, unlimitedSlots } from './options.ts'
export {
  archiveBinaries,
  archiveNaming,
  checkArchiveNames,
  type PackageOptions,
  packageBinaries,
} from './package/archives.ts'
export { formatChecksums, writeChecksums } from './package/checksums.ts'
export { type BinaryPlan, type PlannedTarget, planBinaries } from './plan.ts'
export { type BinaryRelease, buildBinaryRelease } from './release.ts'
export type { BinaryBuild, BinaryDependencies, BinaryPackages, BuiltBinary, SkippedTarget } from './result.ts'
export { binstallMetadata } from './rust/binstall.ts'
export { buildRustBinaries, encodedRustflags, type RustBuildOptions } from './rust/build.ts'
export {
  type LockedPackage,
  parseCargoLock,
  type RustCrate,
  type RustDependencies,
  readRustDependencies,
} from './rust/dependencies.ts'
export { planRustTarget, type RustTargetFacts, type RustTargetPlan, rustTriples } from './rust/target.ts'
export {
  findZigbuild,
  type RustToolchain,
  readRustToolchain,
  type Zigbuild,
} from './rust/toolchain.ts'
