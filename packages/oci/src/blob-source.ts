import { Readable } from 'node:stream'
import { skip } from './blob-stream.ts'
import { LayoutStore } from './layout/layout-store.ts'
import type { Descriptor } from './manifest.ts'
import { RegistryStore } from './registry/registry-store.ts'
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

/**
 * The repository to mount a blob from when `from` and `to` are two repositories of one
 * registry (no bytes travel), else undefined: a layout, or another registry, uploads.
 */
export function mountFromOf(from: OciStore, to: OciStore): string | undefined {
  return from instanceof RegistryStore &&
    to instanceof RegistryStore &&
    from.registry === to.registry &&
    from.repository !== to.repository
    ? from.repository
    : undefined
}
