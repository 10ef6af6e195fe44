import type { Transform } from 'node:stream'

/**
 * Feeds `source` through a zlib transform one chunk at a time: each input chunk is fully
 * consumed (write callback) before the next is pulled, so sources may reuse their buffer,
 * and output is yielded as it comes, so nothing queues.
 */
export async function* throughZlib(
  zlib: Transform,
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<Buffer> {
  const output: Buffer[] = []
  let failure: Error | undefined
  zlib.on('data', (chunk: Buffer) => output.push(chunk))
  zlib.on('error', (error: Error) => {
    failure = error
  })
  const ended = new Promise<void>((resolve, reject) => {
    zlib.once('end', resolve)
    zlib.once('error', reject)
  })
  ended.catch(() => {})
  try {
    for await (const chunk of source) {
      await new Promise<void>((resolve, reject) =>
        zlib.write(chunk, (error) => (error ? reject(error) : resolve())),
      )
      if (failure) throw failure
      while (output.length > 0) yield output.shift()!
    }
    zlib.end()
    await ended
    while (output.length > 0) yield output.shift()!
  } finally {
    zlib.destroy()
  }
}
