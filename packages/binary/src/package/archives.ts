import { readdir, stat } from 'node:fs/promises'
import { join, posix } from 'node:path'
import {
  type ArchiveEntry,
  formatPlatform,
  mapLimit,
  type Platform,
  type Project,
  parsePlatform,
  type Reporter,
  realPathInside,
  silentReporter,
  sourceDateEpoch,
  treeEntries,
  writeArchive,
} from '@polyship/core'
import { BinaryError } from '../errors.ts'
import {
  type ArchiveNaming,
  archiveFileName,
  archiveFormatFor,
  checksumsFileName,
  DEFAULT_PLATFORMS,
  projectSlug,
} from '../names.ts'
import type { Env } from '../options.ts'
import type { BinaryBuild, BinaryPackages, BuiltBinary } from '../result.ts'
import { writeChecksums } from './checksums.ts'

export interface PackageOptions {
  /** Archives and the checksums file are written here. */
  readonly outDir: string
  /** Read for SOURCE_DATE_EPOCH; default this process's environment. */
  readonly env?: Env
  /** Archives written at once. Default 1. */
  readonly concurrency?: number
  readonly reporter?: Reporter
}

/**
 * zlib level of archives, tar.gz and zip alike: zlib's (and Go's) default. Level 9 costs
 * three times the CPU for about 0.3 % smaller Go binaries.
 */
const ARCHIVE_LEVEL = 6

/** GoReleaser's default extra files: LICENSE*, README*, CHANGELOG* at the project root, any case. */
const DEFAULT_EXTRA = /^(licen[cs]e|readme|changelog)([.-].*)?$/i

/**
 * Archives the binaries of a build, GoReleaser style: `<project>_<version>_<os>_<arch>.tar.gz`
 * (zip for windows) per platform, holding each executable of it (0755) with LICENSE/README/CHANGELOG and
 * `polyship.binary.archiveFiles`, then `<project>_<version>_checksums.txt` over the
 * archives. Reproducible: every entry carries SOURCE_DATE_EPOCH, else the build's commit date.
 */
export async function packageBinaries(
  project: Project,
  build: BinaryBuild,
  options: PackageOptions,
): Promise<BinaryPackages> {
  const reporter = options.reporter ?? silentReporter
  const archives = await archiveBinaries(project, build, options)
  const checksumsName = checksumsFileName(build.project, build.version)
  const written = await writeChecksums(options.outDir, checksumsName, archives)
  const checksums = {
    kind: 'checksums' as const,
    name: checksumsName,
    project: build.project,
    version: build.version,
    ...written,
    mediaType: 'text/plain; charset=utf-8',
  }
  reporter.emit({ type: 'artifact', artifact: checksums })
  return { archives, checksums }
}

/**
 * The archives of `packageBinaries` without the checksums file: one per platform of
 * `build`, in the order of its binaries. A build of one platform (`onPlatform`) gives that
 * platform's archive, so archives can be written while other platforms compile.
 */
export async function archiveBinaries(
  project: Project,
  build: BinaryBuild,
  options: PackageOptions,
): Promise<ArchiveArtifact[]> {
  const env = options.env ?? process.env
  const reporter = options.reporter ?? silentReporter
  const mtime = env.SOURCE_DATE_EPOCH ? sourceDateEpoch(env) : Math.floor(Date.parse(build.date) / 1000) || 0
  const extras = await extraEntries(project)
  // One archive per platform, holding every binary built for it (GoReleaser's default archive).
  const groups = new Map<string, BuiltBinary[]>()
  for (const binary of build.binaries) {
    const key = formatPlatform(binary.artifact.platform)
    groups.set(key, [...(groups.get(key) ?? []), binary])
  }
  assertDistinctNames(
    project,
    build.project,
    build.version,
    build.binaryName,
    build.binaries.map((b) => b.artifact.platform),
  )
  return mapLimit([...groups.values()], options.concurrency ?? 1, async (binaries) => {
    const platform = binaries[0]!.artifact.platform
    const name = archiveFileName(
      build.project,
      build.version,
      platform,
      archiveNaming(project, build.binaryName),
    )
    const path = join(options.outDir, name)
    const format = archiveFormatFor(platform)
    const { digest, size } = await writeArchive(path, [...binaries.map(binaryEntry), ...extras], {
      format,
      mtime,
      gzipLevel: ARCHIVE_LEVEL,
    })
    const [first] = binaries
    const artifact = {
      kind: 'archive' as const,
      name,
      project: build.project,
      version: build.version,
      platform,
      path,
      digest,
      size,
      mediaType: format === 'zip' ? 'application/zip' : 'application/gzip',
      extra: {
        format,
        binary: first!.artifact.name,
        binaryDigest: first!.artifact.digest,
        binaries: binaries.map((b) => ({ name: b.artifact.name, digest: b.artifact.digest })),
      },
    }
    reporter.emit({ type: 'artifact', artifact })
    return artifact
  })
}

type ArchiveArtifact = BinaryPackages['archives'][number]

/** How `project` names its archives (`polyship.binary.archiveName`), for `archiveFileName`. */
export function archiveNaming(project: Project, binary: string): ArchiveNaming {
  const template = project.config.binary?.archiveName
  return template === undefined
    ? {}
    : { template, binary, where: `${project.manifestPath}: polyship.binary.archiveName` }
}

/**
 * The archive names of `project` for each of `platforms` (its configured ones by default),
 * refused before anything compiles: a template that does not render (an unclosed block, a
 * result that is no file name; unknown placeholders are refused when the config loads) or
 * two platforms under one name is BINARY_PROJECT_INVALID naming the manifest, the field
 * `polyship.binary.archiveName` and the placeholder. `binary` is `{{ .Binary }}` (default
 * the first configured bin, else the project slug).
 */
export function checkArchiveNames(
  project: Project,
  options: { readonly binary?: string; readonly platforms?: readonly Platform[] } = {},
): void {
  const config = project.config.binary
  if (config === undefined) return
  const platforms =
    options.platforms ??
    (config.platforms ?? DEFAULT_PLATFORMS).map((text, i) =>
      parsePlatform(text, `${project.manifestPath}: polyship.binary.platforms[${i}]`),
    )
  const binary = options.binary ?? config.bins?.[0] ?? projectSlug(project.name)
  assertDistinctNames(project, project.name, project.version, binary, platforms)
}

/** Two platforms whose archives would share a name (a template without `{{ .Arch }}`) are refused before any is written. */
function assertDistinctNames(
  project: Project,
  name: string,
  version: string,
  binary: string,
  platforms: readonly Platform[],
): void {
  const seen = new Map<string, string>()
  for (const each of platforms) {
    const platform = formatPlatform(each)
    const file = archiveFileName(name, version, each, archiveNaming(project, binary))
    const other = seen.get(file)
    if (other !== undefined && other !== platform) {
      throw new BinaryError(
        'BINARY_PROJECT_INVALID',
        `${project.manifestPath}: polyship.binary.archiveName names the archives of ${other} and ${platform} both ${file}`,
        {
          hint: 'put {{ .Os }} and {{ .Arch }} (and {{ .Arm }} or {{ .Amd64 }} for variants) in the template',
        },
      )
    }
    seen.set(file, platform)
  }
}

function binaryEntry(binary: BuiltBinary): ArchiveEntry {
  return { type: 'file', path: binary.artifact.name, source: binary.artifact.path, mode: 0o755 }
}

/**
 * LICENSE/README/CHANGELOG files plus `archiveFiles` (files or directories, kept at their
 * project-relative paths); `archiveFiles: []` ships none of them.
 */
async function extraEntries(project: Project): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = []
  const listed = project.config.binary?.archiveFiles
  if (listed !== undefined && listed.length === 0) return entries
  for (const entry of await readdir(project.root, { withFileTypes: true })) {
    if (entry.isFile() && DEFAULT_EXTRA.test(entry.name))
      entries.push({ type: 'file', path: entry.name, source: join(project.root, entry.name) })
  }
  for (const [i, file] of (listed ?? []).entries()) {
    const path = posix.normalize(file.replaceAll('\\', '/'))
    const full = join(project.root, path)
    const missing = (cause: NodeJS.ErrnoException): never => {
      if (cause.code !== 'ENOENT') throw cause
      throw new BinaryError(
        'BINARY_PROJECT_INVALID',
        `${project.manifestPath}: polyship.binary.archiveFiles[${i}] "${file}" does not exist in ${project.root}`,
        { cause, hint: 'list files relative to the project directory, or remove the entry' },
      )
    }
    const real = await realPathInside(project.root, full).catch(missing)
    if (real === undefined) {
      throw new BinaryError(
        'BINARY_PROJECT_INVALID',
        `${project.manifestPath}: polyship.binary.archiveFiles[${i}] "${file}" resolves outside ${project.root} (a symlink?)`,
        {
          hint: 'archives ship files of the project only: copy the file into the project instead of linking it',
        },
      )
    }
    const info = await stat(full).catch(missing)
    if (entries.some((e) => e.path === path)) continue
    if (info.isDirectory()) entries.push(...(await treeEntries(full, { prefix: path })))
    else entries.push({ type: 'file', path, source: full, mode: info.mode & 0o111 ? 0o755 : 0o644 })
  }
  return entries
}
