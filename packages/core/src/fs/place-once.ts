import { copyFile, link, rm } from 'node:fs/promises'
import { tempNameFor } from './write-atomic.ts'
import { throwWriteFailure } from './write-failure.ts'

/**
 * Copies `source` to `path` only if nothing is there yet, atomically: the bytes go to a
 * hidden temp file beside it, then a hard link takes the name (EEXIST when another run took
 * it first). A reader never sees a partial file and an existing file is never overwritten;
 * a copy cut short (no space, read-only) leaves no temp file and is FS_WRITE_FAILED naming
 * `path`. Returns false when `path` already existed.
 */
export async function placeOnce(source: string, path: string): Promise<boolean> {
  const temp = tempNameFor(path)
  try {
    await copyFile(source, temp)
    await link(temp, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    return throwWriteFailure(error, path)
  } finally {
    await rm(temp, { force: true }).catch(() => {})
  }
}
