import { constants, createGzip } from 'node:zlib'
import { throughZlib } from './zlib.ts'

/** gzip header byte 9 (OS). zlib writes the build platform; we always write 255 ("unknown"), as Go and Python do. */
const OS_UNKNOWN = 255

export interface GzipOptions {
  /** zlib level 1-9 (default 6, what `gzip` and Go use). */
  readonly level?: number
}

/**
 * Gzips a byte stream reproducibly: no file name, mtime 0, fixed level, normalized OS byte.
 * The deflate bytes depend on Node's bundled zlib, which is why the project pins Node.
 * Same chunk contract as `tarStream`.
 */
export async function* gzipStream(
  source: AsyncIterable<Uint8Array>,
  options: GzipOptions = {},
): AsyncGenerator<Uint8Array> {
  const gzip = createGzip({ level: options.level ?? constants.Z_DEFAULT_COMPRESSION, memLevel: 8 })
  let head: Buffer | undefined = Buffer.alloc(0)
  for await (const chunk of throughZlib(gzip, source)) {
    if (head === undefined) {
      yield chunk
      continue
    }
    head = Buffer.concat([head, chunk])
    if (head.length < 10) continue
    head[9] = OS_UNKNOWN
    yield head
    head = undefined
  }
  if (head !== undefined && head.length > 0) yield head
}
