import { copyFile, link, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/**
 * Copies `source` to `path` only if nothing is there yet, atomically: the bytes go to a
 * hidden temp file beside it, then a hard link takes the name (EEXIST when another run took
 * it first). A reader never sees a partial file and an existing file is never overwritten.
 * Returns false when `path` already existed.
 */
export async function placeOnce(source: string, path: string): Promise<boolean> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`)
  await copyFile(source, temp)
  try {
    await link(temp, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return false
  } finally {
    await rm(temp, { force: true })
  }
}
