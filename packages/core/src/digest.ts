import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { CoreError } from './errors.ts'

/** A content digest as OCI and in-toto spell it. Only sha256 is produced or accepted. */
export type Digest = `sha256:${string}`

const DIGEST = /^sha256:[a-f0-9]{64}$/

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST.test(value)
}

export function parseDigest(value: string, where = 'digest'): Digest {
  if (!isDigest(value)) {
    throw new CoreError('DIGEST_INVALID', `${where}: "${value}" is not a sha256 digest`, {
      hint: 'expected sha256: followed by 64 lowercase hex characters',
    })
  }
  return value
}

/** The 64 hex characters of a digest. */
export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length)
}

export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

/** Digest and size of bytes that stream (a file, a download), hashed as they come. */
export async function digestStream(
  chunks: AsyncIterable<Uint8Array>,
): Promise<{ digest: Digest; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of chunks) {
    hash.update(chunk)
    size += chunk.length
  }
  return { digest: `sha256:${hash.digest('hex')}`, size }
}

/**
 * Digest and size of a file, streamed: memory stays constant whatever the size. With
 * `bytes`, of its first `bytes` bytes only.
 */
export function digestFile(path: string, bytes?: number): Promise<{ digest: Digest; size: number }> {
  return digestStream(
    createReadStream(path, {
      highWaterMark: 1 << 20,
      ...(bytes === undefined ? {} : { start: 0, end: bytes - 1 }),
    }),
  )
}
