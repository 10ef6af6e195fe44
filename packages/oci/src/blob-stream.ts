import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import type { Digest } from '@polyship/core'
import { OciError } from './errors.ts'
import type { Descriptor } from './manifest.ts'
import type { BlobSource } from './store.ts'

/** Opens a blob source at `offset` (0 = from the start). */
export async function openSource(source: BlobSource, offset: number): Promise<Readable> {
  if (source instanceof Uint8Array) return Readable.from([Buffer.from(source.subarray(offset))])
  if ('path' in source) return createReadStream(source.path, { start: offset, highWaterMark: 1 << 20 })
  return source.open(offset)
}

/**
 * Passes bytes through, hashing them; throws instead of ending when the bytes do not
 * match `expected`, so a consumer never sees a clean end on wrong content.
 */
export async function* verified(
  source: AsyncIterable<Uint8Array>,
  expected: Descriptor,
  where: string,
): AsyncGenerator<Buffer> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of source) {
    size += chunk.length
    if (size > expected.size) throw sizeMismatch(where, expected, size, 'more than')
    hash.update(chunk)
    yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)
  }
  if (size !== expected.size) throw sizeMismatch(where, expected, size, 'only')
  const actual: Digest = `sha256:${hash.digest('hex')}`
  if (actual !== expected.digest) throw digestMismatch(where, expected.digest, actual)
}

/** The bytes [start, end) of a source, for one chunk of a chunked upload. */
export async function openRange(source: BlobSource, start: number, end: number): Promise<Readable> {
  if (source instanceof Uint8Array) return Readable.from([Buffer.from(source.subarray(start, end))])
  if ('path' in source) return createReadStream(source.path, { start, end: end - 1, highWaterMark: 1 << 20 })
  return Readable.from(take(await source.open(start), end - start))
}

async function* take(stream: Readable, count: number): AsyncGenerator<Buffer> {
  let left = count
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer
      if (buffer.length >= left) {
        yield buffer.subarray(0, left)
        return
      }
      left -= buffer.length
      yield buffer
    }
  } finally {
    stream.destroy()
  }
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

/** Reads a whole stream into memory, refusing more than `limit` bytes. For manifests and small blobs only. */
export async function readAll(
  stream: AsyncIterable<Uint8Array>,
  limit: number,
  onOverflow: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    size += chunk.length
    if (size > limit) {
      if (stream instanceof Readable) stream.destroy()
      throw onOverflow()
    }
    chunks.push(Buffer.from(chunk))
  }
  return Buffer.concat(chunks, size)
}
