export { addChangeset, type BumpType, type ChangesetInput, parseBump } from './changeset.ts'
export type { ValueEdit } from './edit/splice.ts'
export { editToml, parseToml } from './edit/toml-edit.ts'
export { scanToml, type TomlSpan, type ValuePath } from './edit/toml-scan.ts'
export { editYaml, parseYaml } from './edit/yaml-edit.ts'
export { VersioningError, type VersioningErrorCode } from './errors.ts'
export type { ManifestChange } from './manifests/edit-set.ts'
export { type ManifestSyncInput, planManifestChanges } from './manifests/sync.ts'
export { type PendingRelease, type ReleasePlanning, readReleasePlanning } from './plan/read-plan.ts'
export {
  followPythonRequirement,
  type PythonRequirement,
  parsePythonRequirement,
} from './python-requirement.ts'
export { followRequirement, isPythonVersion, isSemver, pythonVersionOf } from './semver.ts'
export {
  createReleaseTags,
  goModuleTag,
  parseReleaseTag,
  releaseTag,
  type TagResult,
  type TagSigner,
} from './tags.ts'
export {
  type ReleaseStatus,
  releaseStatus,
  type VersionOptions,
  type VersionResult,
  versionWorkspace,
} from './version.ts'
