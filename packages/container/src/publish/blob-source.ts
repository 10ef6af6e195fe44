import { Readable } from 'node:stream'
import { type BlobSource, type Descriptor, LayoutStore, type OciStore } from '@polyship/oci'
import { ContainerError } from '../errors.ts'

const SMALL_BLOB_LIMIT = 16 * 1024 * 1024

/** A config or other small blob of a store, in memory (verified by the store's fetch). */
export async function readSmallBlob(store: OciStore, descriptor: Descriptor, where: string): Promise<Buffer> {
  if (descriptor.size > SMALL_BLOB_LIMIT) {
    throw new ContainerError('CONTAINER_BASE_INVALID', `${where}: config blob is ${descriptor.size} bytes`, {
      hint: 'an image config is a small JSON document; the base image is damaged',
    })
  }
  const chunks: Buffer[] = []
  for await (const chunk of await store.fetchBlob(descriptor)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/**
 * Where the bytes of another store's blob come from when we push it: a layout blob is read
 * from its file, anything else is streamed (and re-opened at an offset when an upload resumes).
 */
export function blobSourceOf(store: OciStore, descriptor: Descriptor): BlobSource {
  if (store instanceof LayoutStore) return { path: store.blobPath(descriptor.digest) }
  return { open: async (offset) => Readable.from(skip(await store.fetchBlob(descriptor), offset)) }
}

async function* skip(source: AsyncIterable<Uint8Array>, count: number): AsyncGenerator<Uint8Array> {
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
