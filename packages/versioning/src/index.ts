export { VersioningError, type VersioningErrorCode } from './errors.ts'
export { type ManifestChange, ManifestEdits } from './manifests/edit-set.ts'
export { type ManifestSyncInput, planManifestChanges } from './manifests/sync.ts'
export { type PendingRelease, type ReleasePlanning, readReleasePlanning } from './plan/read-plan.ts'
export { isSemver, pythonVersionOf } from './semver.ts'
export { createReleaseTags, parseReleaseTag, releaseTag, type TagResult } from './tags.ts'
export {
  type ReleaseStatus,
  releaseStatus,
  type VersionOptions,
  type VersionResult,
  versionWorkspace,
} from './version.ts'
