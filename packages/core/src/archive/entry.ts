import { lstat, readdir, readlink, realpath } from 'node:fs/promises'
import { isAbsolute, join, posix, relative } from 'node:path'
import { CoreError } from '../errors.ts'

/**
 * Numeric owner of a tar entry (default 0/0, what reproducible archives use). Only tar
 * writes it (container layers need files owned by a non-root user); zip ignores it.
 */
export interface EntryOwner {
  readonly uid?: number
  readonly gid?: number
}

/** One entry of a reproducible archive. Paths are relative POSIX paths, no `..`. */
export type ArchiveEntry =
  | (EntryOwner & {
      readonly type: 'file'
      readonly path: string
      /** Defaults to 0o644. Only the permission bits are kept. */
      readonly mode?: number
      /** Read from disk, streamed... */
      readonly source?: string
      /** ...or given in memory (small files only). */
      readonly content?: Uint8Array | string
    })
  | (EntryOwner & { readonly type: 'directory'; readonly path: string; readonly mode?: number })
  | (EntryOwner & { readonly type: 'symlink'; readonly path: string; readonly target: string })

export interface NormalizedEntry {
  readonly entry: ArchiveEntry
  /** Path without trailing slash. */
  readonly path: string
  readonly mode: number
}

/** Rejects absolute paths, `..` segments and empty names: nothing may land outside the archive root. */
export function checkEntryPath(path: string): string {
  const clean = posix.normalize(path.replaceAll('\\', '/')).replace(/\/+$/, '')
  if (
    path === '' ||
    path.startsWith('/') ||
    clean === '.' ||
    clean === '..' ||
    clean.startsWith('../') ||
    clean.includes('/../')
  ) {
    throw new CoreError('ARCHIVE_INVALID_ENTRY', `archive entry "${path}" escapes the archive root`, {
      hint: 'map files to relative paths inside the archive (no leading / and no ..)',
    })
  }
  return clean.replace(/^\.\//, '')
}

/**
 * Sorts entries by path, adds every missing parent directory explicitly (mode 0755)
 * and rejects duplicates, so the same set of entries always gives the same archive.
 */
export function normalizeEntries(entries: Iterable<ArchiveEntry>): NormalizedEntry[] {
  const byPath = new Map<string, NormalizedEntry>()
  for (const entry of entries) {
    const path = checkEntryPath(entry.path)
    const existing = byPath.get(path)
    if (existing !== undefined && !(existing.entry.type === 'directory' && entry.type === 'directory')) {
      throw new CoreError('ARCHIVE_INVALID_ENTRY', `archive entry "${path}" is given twice`, {
        hint: 'each path may appear once; check for overlapping file mappings',
      })
    }
    const mode =
      entry.type === 'symlink' ? 0o777 : (entry.mode ?? (entry.type === 'directory' ? 0o755 : 0o644)) & 0o7777
    byPath.set(path, { entry, path, mode })
    for (let parent = posix.dirname(path); parent !== '.'; parent = posix.dirname(parent)) {
      const known = byPath.get(parent)
      if (known === undefined)
        byPath.set(parent, { entry: { type: 'directory', path: parent }, path: parent, mode: 0o755 })
      else if (known.entry.type !== 'directory') {
        throw new CoreError(
          'ARCHIVE_INVALID_ENTRY',
          `archive entry "${path}" needs "${parent}" to be a directory, but it is a ${known.entry.type}`,
        )
      }
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

export interface TreeOptions {
  /** Path prefix inside the archive, e.g. `mcp-stack` for a chart. */
  readonly prefix?: string
  /** Return false to leave a relative path (and, for directories, everything below) out. */
  readonly include?: (relativePath: string, isDirectory: boolean) => boolean
}

/**
 * Lists a directory as archive entries, sorted. Executable files become 0755, others 0644;
 * symlinks are kept as symlinks.
 */
export async function treeEntries(root: string, options: TreeOptions = {}): Promise<ArchiveEntry[]> {
  const out: ArchiveEntry[] = []
  const at = (relative: string) => (options.prefix ? posix.join(options.prefix, relative) : relative)
  async function walk(relative: string): Promise<void> {
    const names = (await readdir(join(root, relative))).sort()
    for (const name of names) {
      const rel = relative === '' ? name : posix.join(relative, name)
      const full = join(root, rel)
      const stat = await lstat(full)
      if (options.include && !options.include(rel, stat.isDirectory())) continue
      if (stat.isSymbolicLink()) out.push({ type: 'symlink', path: at(rel), target: await readlink(full) })
      else if (stat.isDirectory()) {
        out.push({ type: 'directory', path: at(rel) })
        await walk(rel)
      } else if (stat.isFile())
        out.push({ type: 'file', path: at(rel), source: full, mode: stat.mode & 0o111 ? 0o755 : 0o644 })
    }
  }
  await walk('')
  return out
}

/**
 * Where `path` really is (symlinks resolved), or undefined when that is outside `root`:
 * a file a project ships must come from the project, never through a link from anywhere
 * on the machine (a CI runner's ~/.ssh, the signing key). Missing files reject with ENOENT.
 */
export async function realPathInside(root: string, path: string): Promise<string | undefined> {
  const [realRoot, real] = await Promise.all([realpath(root), realpath(path)])
  const rel = relative(realRoot, real)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel)) ? real : undefined
}
