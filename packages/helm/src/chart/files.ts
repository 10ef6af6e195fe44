import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import { join, posix, sep } from 'node:path'
import { HelmError } from '../errors.ts'
import type { IgnoreRules } from './helmignore.ts'
import { checkFileSize } from './limits.ts'

/** One file a chart ships. */
export interface ChartFile {
  /** Relative to the chart directory, POSIX separators. */
  readonly path: string
  /** Absolute path of the bytes (a symlink inside the chart is followed, as Helm does). */
  readonly source: string
  readonly size: number
}

export interface ListFilesOptions {
  readonly rules: IgnoreRules
  /** Exclusions applied before the .helmignore rules (see `POLYSHIP_EXCLUDES`). */
  readonly exclude: (relativePath: string, isDirectory: boolean) => boolean
  /** How to show an absolute path in messages. */
  readonly show: (path: string) => string
}

/**
 * Lists the files of a chart directory as `helm package` would (sorted walk, .helmignore,
 * symlinks followed) but refuses what Helm would let leak: a file or symlink target
 * outside the chart (HELM_PATH_ESCAPES), devices, sockets, fifos, dangling links and
 * symlink loops, names with a backslash (HELM_FILE_INVALID), files over Helm's 5 MiB limit (HELM_TOO_LARGE).
 */
export async function listChartFiles(dir: string, options: ListFilesOptions): Promise<ChartFile[]> {
  const root = await realpath(dir)
  const files: ChartFile[] = []
  const fail = (
    code: 'HELM_PATH_ESCAPES' | 'HELM_FILE_INVALID',
    full: string,
    problem: string,
    hint: string,
  ) => new HelmError(code, `${options.show(full)}: ${problem}`, { file: options.show(full), hint })

  async function walk(relative: string, realDirs: readonly string[]): Promise<void> {
    const names = (await readdir(relative === '' ? dir : join(dir, relative))).sort()
    for (const name of names) {
      const rel = relative === '' ? name : posix.join(relative, name)
      const full = join(dir, rel)
      const link = await lstat(full)
      if (name.includes('\\')) {
        if (options.exclude(rel, link.isDirectory()) || options.rules.ignores(rel, link.isDirectory()))
          continue
        throw fail(
          'HELM_FILE_INVALID',
          full,
          'has a backslash in its name, which Helm and tar readers take for a path separator',
          'rename the file, or exclude it in .helmignore',
        )
      }
      let real = full
      if (link.isSymbolicLink()) {
        try {
          real = await realpath(full)
        } catch (error) {
          if (
            (error as NodeJS.ErrnoException).code !== 'ENOENT' &&
            (error as NodeJS.ErrnoException).code !== 'ELOOP'
          )
            throw error
          if (options.exclude(rel, false) || options.rules.ignores(rel, false)) continue
          throw fail(
            'HELM_FILE_INVALID',
            full,
            'is a dangling symlink',
            'remove the link or point it at a file inside the chart',
          )
        }
      }
      const info = link.isSymbolicLink() ? await stat(full) : link
      const isDirectory = info.isDirectory()
      if (options.exclude(rel, isDirectory) || options.rules.ignores(rel, isDirectory)) continue
      if (link.isSymbolicLink() && real !== root && !real.startsWith(root + sep)) {
        throw fail(
          'HELM_PATH_ESCAPES',
          full,
          `is a symlink to ${real}, outside the chart ${root}`,
          'copy the file into the chart (or exclude the link in .helmignore): a chart package holds only its own directory',
        )
      }
      if (isDirectory) {
        if (!link.isSymbolicLink()) real = await realpath(full)
        if (realDirs.includes(real)) {
          throw fail(
            'HELM_FILE_INVALID',
            full,
            'is a symlink loop back to one of its parent directories',
            'remove the link',
          )
        }
        await walk(rel, [...realDirs, real])
      } else if (info.isFile()) {
        checkFileSize(options.show(full), info.size)
        files.push({ path: rel, source: real, size: info.size })
      } else {
        throw fail(
          'HELM_FILE_INVALID',
          full,
          'is not a regular file (device, socket or fifo); Helm cannot load it',
          'remove it from the chart or exclude it in .helmignore',
        )
      }
    }
  }
  await walk('', [root])
  return files
}
