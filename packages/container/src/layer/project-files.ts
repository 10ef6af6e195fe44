import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import {
  type ArchiveEntry,
  type Artifact,
  formatPlatform,
  type ImageConfig,
  type Platform,
  realPathInside,
  samePlatform,
  treeEntries,
} from '@polyship/core'
import { ContainerError } from '../errors.ts'
import { fileIn, imagePath, insidePath } from './image-path.ts'

/** Entries of one layer, each path with the config field or artifact it came from (for duplicate messages). */
export interface SourcedEntries {
  readonly entries: ArchiveEntry[]
  readonly origins: Map<string, string>
}

/**
 * `polyship.image.files` as archive entries: each `from` inside the project (a file, or a
 * directory copied whole), each `to` inside the image (relative to `workdir`; a `to` ending
 * in `/` receives the file under its own name), with the given mode and numeric owner.
 */
export async function projectFileEntries(
  files: NonNullable<ImageConfig['files']>,
  projectRoot: string,
  workdir: string,
): Promise<SourcedEntries> {
  const entries: ArchiveEntry[] = []
  const origins = new Map<string, string>()
  for (const [i, file] of files.entries()) {
    const where = `polyship.image.files[${i}]`
    const from = join(projectRoot, insidePath(file.from, `${where}.from`, projectRoot))
    const missing = (error: NodeJS.ErrnoException): never => {
      if (error.code !== 'ENOENT') throw error
      throw new ContainerError(
        'CONTAINER_CONFIG_INVALID',
        `${where}.from: ${file.from} does not exist in ${projectRoot}`,
        {
          hint: 'paths in files[].from are relative to the project directory',
        },
      )
    }
    if ((await realPathInside(projectRoot, from).catch(missing)) === undefined) {
      throw new ContainerError(
        'CONTAINER_PATH_ESCAPES',
        `${where}.from: ${file.from} resolves outside ${projectRoot} (a symlink?)`,
        {
          hint: 'images get files of the project only: copy the file into the project instead of linking it',
        },
      )
    }
    const info = await stat(from).catch(missing)
    const owner = parseOwner(file.owner)
    const mode = file.mode === undefined ? undefined : Number.parseInt(file.mode, 8)
    const origin = `${where} (${file.from})`
    const push = (entry: ArchiveEntry) => {
      entries.push(entry)
      origins.set(entry.path, origin)
    }
    if (info.isDirectory()) {
      const to = imagePath(file.to, `${where}.to`, workdir)
      if (to !== '') push({ type: 'directory', path: to, ...owner })
      for (const entry of await treeEntries(from, to === '' ? {} : { prefix: to })) {
        push(
          entry.type === 'file' && mode !== undefined ? { ...entry, mode, ...owner } : { ...entry, ...owner },
        )
      }
      continue
    }
    const target = file.to.endsWith('/') ? `${file.to}${basename(from)}` : file.to
    const to = imagePath(target, `${where}.to`, workdir)
    if (to === '') {
      throw new ContainerError(
        'CONTAINER_PATH_ESCAPES',
        `${where}.to: "${file.to}" is the image root, not a file path`,
        {
          hint: 'give the file a path, e.g. /etc/app/config.toml, or end a directory with / to keep the name',
        },
      )
    }
    push({
      type: 'file',
      path: to,
      source: from,
      mode: mode ?? (info.mode & 0o111 ? 0o755 : 0o644),
      ...owner,
    })
  }
  return { entries, origins }
}

/**
 * The binary artifacts of one platform, each at `<binaryDir>/<name>` with mode 0755. When
 * the project has binaries but none for this platform, the image cannot be built for it.
 */
export function binaryEntries(
  artifacts: readonly Artifact[],
  platform: Platform,
  binaryDir: string,
): SourcedEntries {
  const binaries = artifacts.filter((a) => a.kind === 'binary')
  const mine = binaries.filter((a) => a.platform === undefined || samePlatform(a.platform, platform))
  if (binaries.length > 0 && mine.length === 0) {
    const built = [
      ...new Set(binaries.map((a) => (a.platform === undefined ? 'any' : formatPlatform(a.platform)))),
    ].join(', ')
    throw new ContainerError(
      'CONTAINER_ARTIFACT_MISSING',
      `no ${formatPlatform(platform)} binary of ${binaries[0]!.project} for the ${formatPlatform(platform)} image (binaries: ${built})`,
      { hint: 'add the platform to polyship.binary.platforms, or remove it from polyship.image.platforms' },
    )
  }
  const entries: ArchiveEntry[] = []
  const origins = new Map<string, string>()
  for (const artifact of mine) {
    if (artifact.path === undefined) throw new Error(`binary artifact ${artifact.name} has no path`)
    const path = fileIn(
      binaryDir,
      artifact.name,
      `binary artifact of ${artifact.project}: name`,
      'give the binary a plain file name (polyship.binary.name, or the package name it defaults to)',
    )
    entries.push({ type: 'file', path, source: artifact.path, mode: 0o755 })
    origins.set(path, `binary artifact ${artifact.name} (${formatPlatform(platform)})`)
  }
  return { entries, origins }
}

function parseOwner(owner: string | undefined): { uid?: number; gid?: number } {
  if (owner === undefined) return {}
  const [uid, gid] = owner.split(':').map(Number) as [number, number | undefined]
  if (uid > 0o7777777 || (gid ?? uid) > 0o7777777) {
    throw new ContainerError('CONTAINER_CONFIG_INVALID', `owner "${owner}" is out of range`, {
      hint: 'uids and gids go up to 2097151',
    })
  }
  return { uid, gid: gid ?? uid }
}
