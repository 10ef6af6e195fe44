import { createHash } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Digest } from '../digest.ts'
import type { ArchiveEntry } from './entry.ts'
import { gzipStream } from './gzip.ts'
import { tarStream } from './tar.ts'
import { zipStream } from './zip.ts'

export type ArchiveFormat = 'tar' | 'tar.gz' | 'zip'

export interface WriteArchiveOptions {
  readonly format: ArchiveFormat
  /** Entry mtime in seconds; see `sourceDateEpoch()`. */
  readonly mtime: number
  /** zlib level of the tar.gz stream, or of each zip entry (defaults: 6 and 9). */
  readonly gzipLevel?: number
}

/** Bytes of an archive in the given format, streamed. */
export function archiveStream(
  entries: Iterable<ArchiveEntry>,
  options: WriteArchiveOptions,
): AsyncIterable<Uint8Array> {
  switch (options.format) {
    case 'tar':
      return tarStream(entries, options)
    case 'tar.gz':
      return gzipStream(
        tarStream(entries, options),
        options.gzipLevel === undefined ? {} : { level: options.gzipLevel },
      )
    case 'zip':
      return zipStream(entries, {
        mtime: options.mtime,
        ...(options.gzipLevel === undefined ? {} : { level: options.gzipLevel }),
      })
  }
}

/**
 * Writes an archive to `file` (through a temp file and rename, so a crash never leaves
 * a torn archive under the final name) and returns its digest and size.
 */
export async function writeArchive(
  file: string,
  entries: Iterable<ArchiveEntry>,
  options: WriteArchiveOptions,
): Promise<{ digest: Digest; size: number }> {
  await mkdir(dirname(file), { recursive: true })
  const temp = `${file}.${process.pid}.tmp`
  const hash = createHash('sha256')
  let size = 0
  try {
    // Each chunk is written before the next is pulled: nothing queues, memory stays flat.
    const handle = await open(temp, 'w')
    try {
      for await (const chunk of archiveStream(entries, options)) {
        hash.update(chunk)
        size += chunk.length
        await handle.write(chunk)
      }
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
  return { digest: `sha256:${hash.digest('hex')}`, size }
}
