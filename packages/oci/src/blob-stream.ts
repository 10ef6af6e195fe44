import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import type { Digest } from '@polyship/core'
import { OciError } from './errors.ts'
import type { Descriptor } from './manifest.ts'
import type { BlobSource } from './store.ts'

const CHUNK = 1 << 20

/**
 * Bytes [start, end) of a blob source. File chunks are read into one reused buffer: a
 * chunk is valid only until the next one is pulled (that keeps memory flat for any blob
 * size), so consumers write or hash it before asking for more, never queue it.
 */
export async function* sourceChunks(
  source: BlobSource,
  start: number,
  end: number,
): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source.subarray(start, end)
    return
  }
  if ('path' in source) {
    yield* fileChunks(source.path, start, end)
    return
  }
  const stream = await source.open(start)
  let left = end - start
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Uint8Array
      yield bytes.length > left ? bytes.subarray(0, left) : bytes
      left -= Math.min(left, bytes.length)
      if (left === 0) return
    }
  } finally {
    stream.destroy()
  }
}

async function* fileChunks(path: string, start: number, end: number): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
    throw new OciError('OCI_BLOB_UNKNOWN', `${path} does not exist`, {
      hint: 'the blob file is gone (an incomplete OCI layout or a cleaned build directory); rebuild it',
      cause: error,
    })
  })
  try {
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, end - start)))
    for (let position = start; position < end; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - position), position)
      if (bytesRead === 0) {
        throw new OciError(
          'OCI_SIZE_MISMATCH',
          `${path} ends at ${position} bytes, before the ${end} its descriptor says`,
          {
            hint: 'the file changed after it was digested; rebuild it',
          },
        )
      }
      position += bytesRead
      yield buffer.subarray(0, bytesRead)
    }
  } finally {
    await handle.close()
  }
}

/**
 * Passes chunks through, hashing them; throws instead of ending when the bytes do not
 * match `expected`, so a consumer never sees a clean end on wrong content.
 */
export async function* verified(
  source: AsyncIterable<Uint8Array>,
  expected: Descriptor,
  where: string,
): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of source) {
    size += chunk.length
    if (size > expected.size) throw sizeMismatch(where, expected, size, 'more than')
    hash.update(chunk)
    yield chunk
  }
  if (size !== expected.size) throw sizeMismatch(where, expected, size, 'only')
  const actual: Digest = `sha256:${hash.digest('hex')}`
  if (actual !== expected.digest) throw digestMismatch(where, expected.digest, actual)
}

/** Skips the first `count` bytes of a stream: resuming a copy from a source that can only start at 0. */
export async function* skip(source: AsyncIterable<Uint8Array>, count: number): AsyncGenerator<Uint8Array> {
  let left = count
  for await (const chunk of source) {
    if (left >= chunk.length) {
      left -= chunk.length
      continue
    }
    yield left === 0 ? chunk : chunk.subarray(left)
    left = 0
  }
}

/** Writes chunks to a new file one at a time (safe for reused chunk buffers). */
export async function writeChunks(path: string, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  const handle = await open(path, 'wx')
  try {
    for await (const chunk of chunks) {
      for (let offset = 0; offset < chunk.length; ) {
        offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten
      }
    }
  } finally {
    await handle.close()
  }
}

export function digestMismatch(where: string, expected: Digest, actual: Digest): OciError {
  return new OciError('OCI_DIGEST_MISMATCH', `${where}: content has digest ${actual}, expected ${expected}`, {
    hint: 'the content changed after it was digested or was corrupted in storage or transit; rebuild it or re-push it',
  })
}

function sizeMismatch(where: string, expected: Descriptor, got: number, how: string): OciError {
  return new OciError(
    'OCI_SIZE_MISMATCH',
    `${where}: expected ${expected.size} bytes for ${expected.digest}, got ${how} ${got}`,
    {
      hint: 'the descriptor size is wrong or the content was truncated; rebuild the manifest or re-push the blob',
    },
  )
}
