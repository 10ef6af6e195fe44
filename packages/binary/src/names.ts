import type { ArchiveFormat, Platform } from '@polyship/core'

/** GoReleaser's default targets; what a project without `platforms` gets. */
export const DEFAULT_PLATFORMS: readonly string[] = [
  'linux/amd64',
  'linux/arm64',
  'darwin/amd64',
  'darwin/arm64',
  'windows/amd64',
]

/** The version as release file names spell it: no leading `v` (GoReleaser's `.Version`). */
export function releaseVersion(version: string): string {
  return version.replace(/^v(?=\d)/, '')
}

/** The project name usable in file names: an npm scope is dropped (`@acme/tool` -> `tool`). */
export function projectSlug(projectName: string): string {
  return projectName.replace(/^@[^/]+\//, '')
}

/**
 * `amd64`, `arm64`, `armv7`, `amd64v3`: GoReleaser's
 * `{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}{{ if not (eq .Amd64 "v1") }}{{ .Amd64 }}{{ end }}`.
 */
export function archLabel(platform: Platform): string {
  const { architecture, variant } = platform
  if (architecture === 'arm' && variant !== undefined) return `arm${variant}`
  if (architecture === 'amd64' && variant !== undefined && variant !== 'v1') return `amd64${variant}`
  return architecture
}

export function executableName(binary: string, platform: Platform): string {
  return platform.os === 'windows' ? `${binary}.exe` : binary
}

/** Directory of one platform's binary under the output dir: `<binary>_<os>_<arch>`. */
export function buildDirName(binary: string, platform: Platform): string {
  return `${binary}_${platform.os}_${archLabel(platform)}`
}

/** zip for windows, tar.gz everywhere else (GoReleaser's `format_overrides` convention). */
export function archiveFormatFor(platform: Platform): Extract<ArchiveFormat, 'zip' | 'tar.gz'> {
  return platform.os === 'windows' ? 'zip' : 'tar.gz'
}

/** `<project>_<version>_<os>_<arch>.tar.gz` (`.zip` on windows). */
export function archiveFileName(projectName: string, version: string, platform: Platform): string {
  const base = `${projectSlug(projectName)}_${releaseVersion(version)}_${platform.os}_${archLabel(platform)}`
  return `${base}.${archiveFormatFor(platform)}`
}

/** `<project>_<version>_checksums.txt`. */
export function checksumsFileName(projectName: string, version: string): string {
  return `${projectSlug(projectName)}_${releaseVersion(version)}_checksums.txt`
}
