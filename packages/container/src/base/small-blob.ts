import type { Descriptor, OciStore } from '@polyship/oci'
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
