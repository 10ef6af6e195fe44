import { ARCHIVE_NAME_FIELDS, type ArchiveFormat, type Platform } from '@polyship/core'
import { BinaryError } from './errors.ts'

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

/** How a project names its archives: `polyship.binary.archiveName` and the binary `{{ .Binary }}` stands for. */
export interface ArchiveNaming {
  readonly template?: string
  /** The first binary's name (`{{ .Binary }}`); default the project slug. */
  readonly binary?: string
  /** The field as errors name it (default `polyship.binary.archiveName`), prefixed with the manifest. */
  readonly where?: string
}

/**
 * `<project>_<version>_<os>_<arch>.tar.gz` (`.zip` on windows), or `naming.template`
 * rendered (see `renderArchiveName`) with the extension appended.
 */
export function archiveFileName(
  projectName: string,
  version: string,
  platform: Platform,
  naming: ArchiveNaming = {},
): string {
  const base =
    naming.template === undefined
      ? `${projectSlug(projectName)}_${releaseVersion(version)}_${platform.os}_${archLabel(platform)}`
      : renderArchiveName(
          naming.template,
          archiveNameFields(projectName, version, platform, naming.binary),
          naming.where,
        )
  return `${base}.${archiveFormatFor(platform)}`
}

/** The values of an archive name template's fields, as GoReleaser fills them. */
export function archiveNameFields(
  projectName: string,
  version: string,
  platform: Platform,
  binary?: string,
): Record<(typeof ARCHIVE_NAME_FIELDS)[number], string> {
  const { os, architecture, variant } = platform
  return {
    ProjectName: projectSlug(projectName),
    Version: releaseVersion(version),
    Os: os,
    Arch: architecture,
    Arm: architecture === 'arm' ? (variant ?? '').replace(/^v/, '') : '',
    Amd64: architecture === 'amd64' ? (variant ?? 'v1') : '',
    Binary: binary ?? projectSlug(projectName),
  }
}

/**
 * Renders GoReleaser's template subset: `{{ .Field }}`, `{{ if .Field }}...{{ end }}`,
 * `{{ with .Field }}...{{ . }}...{{ end }}` (nestable; `{{-`/`-}}` trim markers are accepted and
 * trim nothing, as file names hold no spaces). An unknown field or action, an unclosed block
 * or a result that is no file name is BINARY_PROJECT_INVALID naming `where` and the placeholder.
 */
export function renderArchiveName(
  template: string,
  fields: Readonly<Record<string, string>>,
  where = 'polyship.binary.archiveName',
): string {
  const known = `known: ${ARCHIVE_NAME_FIELDS.map((f) => `{{ .${f} }}`).join(', ')}, {{ if .Field }}...{{ end }}, {{ with .Field }}...{{ . }}...{{ end }}`
  const fail = (message: string): never => {
    throw new BinaryError('BINARY_PROJECT_INVALID', `${where}: ${message} in ${JSON.stringify(template)}`, {
      hint: known,
    })
  }
  const field = (name: string, whole: string): string => {
    const value = fields[name]
    return value === undefined ? fail(`unknown placeholder ${whole}`) : value
  }
  const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g
  if (/[{}]/.test(template.replace(ACTION, ''))) fail('a brace outside {{ ... }}')
  // Each open block: whether its text is kept, and the value `{{ . }}` stands for inside it.
  const blocks: { keep: boolean; dot: string | undefined; open: string }[] = []
  const keeping = () => blocks.every((b) => b.keep)
  let out = ''
  let last = 0
  for (const match of template.matchAll(ACTION)) {
    const [whole, action = ''] = match
    if (keeping()) out += template.slice(last, match.index)
    last = match.index + whole.length
    const block = /^(if|with)\s+\.([A-Za-z0-9]+)$/.exec(action)
    if (block !== null) {
      const value = field(block[2]!, `{{ .${block[2]} }}`)
      blocks.push({ keep: value !== '', dot: block[1] === 'with' ? value : blocks.at(-1)?.dot, open: whole })
    } else if (action === 'end') {
      if (blocks.pop() === undefined) fail(`${whole} closes no {{ if }} or {{ with }}`)
    } else if (action === '.') {
      const dot = blocks.at(-1)?.dot
      if (dot === undefined) fail(`${whole} outside a {{ with }} block`)
      if (keeping()) out += dot
    } else if (/^\.[A-Za-z0-9]+$/.test(action)) {
      const value = field(action.slice(1), whole)
      if (keeping()) out += value
    } else {
      fail(`unknown placeholder ${whole}`)
    }
  }
  if (blocks.length > 0) fail(`${blocks.at(-1)!.open} has no {{ end }}`)
  out += template.slice(last)
  if (out === '' || /[/\\]/.test(out) || out === '.' || out === '..')
    fail(`renders ${JSON.stringify(out)}, which is not a file name`)
  return out
}

/** `<project>_<version>_checksums.txt`. */
export function checksumsFileName(projectName: string, version: string): string {
  return `${projectSlug(projectName)}_${releaseVersion(version)}_checksums.txt`
}
