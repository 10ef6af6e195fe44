import { Readable } from 'node:stream'
import { skip } from './blob-stream.ts'
import { LayoutStore } from './layout/layout-store.ts'
import type { Descriptor } from './manifest.ts'
import type { BlobSource, OciStore } from './store.ts'

/**
 * Where the bytes of a store's blob come from when another store pushes it: a layout blob
 * is read from its file (the destination verifies the digest), anything else is streamed
 * from `fetchBlob` and re-read from the start, skipping to the offset, when an upload resumes.
 */
export function blobSourceOf(store: OciStore, descriptor: Descriptor): BlobSource {
  if (store instanceof LayoutStore) return { path: store.blobPath(descriptor.digest) }
  return { open: async (offset) => Readable.from(skip(await store.fetchBlob(descriptor), offset)) }
}
