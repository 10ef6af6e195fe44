import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { throwWriteFailure } from './write-failure.ts'

/** A hidden temp name beside `file`, unique to this process and moment. */
export function tempNameFor(file: string): string {
  // pid and a per-process counter: two writes of one file at the same moment, by two
  // processes or by two tasks of one process, never share a temp file
  temps += 1
  return join(dirname(file), `.${basename(file)}.${process.pid}.${temps}.tmp`)
}

let temps = 0

/**
 * Writes `data` to `file` through a temp file beside it and a rename: readers (and a re-run)
 * see the old file or the whole new one, never a torn one. When the write fails (no space,
 * read-only, a kill) the temp file is removed and the error is FS_WRITE_FAILED naming `file`.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = tempNameFor(file)
  try {
    await makeDirectory(dirname(file))
    await writeFile(temp, data)
    await rename(temp, file)
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {})
    throwWriteFailure(error, file)
  }
}

/**
 * `mkdir -p dir`; a refusal is FS_WRITE_FAILED naming the directory, with the real reason
 * where Node's recursive mkdir says ENOENT (a read-only filesystem).
 */
export async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true })
  } catch (error) {
    throwWriteFailure(error, dir)
  }
}
