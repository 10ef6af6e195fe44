import { isDigest, limiter } from '@polyship/core'
import { blobSourceOf, mountFromOf } from './blob-source.ts'
import { OciError } from './errors.ts'
import { childrenOf, type Descriptor, type ManifestContent, parseManifest } from './manifest.ts'
import type { OciStore, PublishOutcome } from './store.ts'

export interface CopyOptions {
  /** Tag to set in the destination; default: `ref` itself when it is a tag. */
  readonly tag?: string
  /** Move the destination tag when it points elsewhere; default: report a conflict and copy nothing. */
  readonly moveTag?: boolean
  /** Blob transfers in flight at once (default 4). */
  readonly concurrency?: number
}

/**
 * Copies an image or index with everything it points at from one store to another:
 * children before parents, by digest first, the tag last, so the tag never points at
 * something incomplete. Anything the destination already holds by digest is skipped
 * with its whole subtree; blobs between two repositories of one registry are mounted.
 */
export async function copyImage(
  from: OciStore,
  to: OciStore,
  ref: string,
  options: CopyOptions = {},
): Promise<PublishOutcome> {
  const root = await from.resolve(ref)
  if (root === undefined) {
    throw new OciError('OCI_MANIFEST_UNKNOWN', `copy ${from.location} ${ref}: not found in the source`, {
      hint: 'check the tag or digest; list the source tags to see what it holds',
    })
  }
  const tag = options.tag ?? (isDigest(ref) ? undefined : ref)
  const location = `${to.location}${tag === undefined ? `@${root.digest}` : `:${tag}`}`
  if (tag !== undefined) {
    const existing = await to.resolve(tag)
    if (existing?.digest === root.digest) return { status: 'unchanged', location, descriptor: root }
    if (existing !== undefined && options.moveTag !== true) {
      return { status: 'conflict', location, descriptor: root, existing: existing.digest }
    }
  }
  const limit = limiter(options.concurrency ?? 4)
  const mountFrom = mountFromOf(from, to)

  const copyBlob = (blob: Descriptor) =>
    limit.run(() => to.pushBlob(blob, blobSourceOf(from, blob), mountFrom === undefined ? {} : { mountFrom }))

  const copyChildren = async (content: ManifestContent, digest: string): Promise<void> => {
    const parsed = parseManifest(content.bytes, content.mediaType, `${from.location}@${digest}`)
    if (parsed.kind === 'index') await Promise.all(parsed.index.manifests.map(copyTree))
    else await Promise.all(childrenOf(parsed).map(copyBlob))
  }
  const copyTree = async (descriptor: Descriptor): Promise<void> => {
    if ((await to.resolve(descriptor.digest)) !== undefined) return
    const content = await from.getManifest(descriptor.digest)
    await copyChildren(content, descriptor.digest)
    await to.putManifest(content)
  }

  const content = await from.getManifest(root.digest)
  if ((await to.resolve(root.digest)) === undefined) await copyChildren(content, root.digest)
  return to.putManifest(content, {
    ...(tag === undefined ? {} : { tag }),
    ...(options.moveTag === undefined ? {} : { moveTag: options.moveTag }),
  })
}
