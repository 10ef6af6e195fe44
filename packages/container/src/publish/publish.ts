import { type Digest, mapLimit, type Reporter, silentReporter } from '@polyship/core'
import { type BlobOutcome, mountFromOf, type OciStore } from '@polyship/oci'
import { ContainerError } from '../errors.ts'
import type { BuiltImage, ImageBlob } from '../image/built-image.ts'
import type { ImageTag } from './tags.ts'

export interface PublishImageOptions {
  /** Tags to point at the index once everything else is stored; see `imageTags`. */
  readonly tags?: readonly ImageTag[]
  /** Blob transfers in flight at once (default 4). */
  readonly concurrency?: number
  readonly reporter?: Reporter
}

/** What a tag ended up as. */
export type TagOutcome = { readonly tag: string; readonly status: 'published' | 'unchanged' | 'moved' }

export interface ImagePublishResult {
  /** `registry/repo@sha256:...` or `oci-layout:DIR@sha256:...`. */
  readonly location: string
  readonly digest: Digest
  readonly blobs: Readonly<Record<BlobOutcome, number>>
  readonly tags: readonly TagOutcome[]
}

/**
 * Publishes a built image as reconciliation: the version tag is checked first (a different
 * image under it is CONTAINER_TAG_CONFLICT, before anything is pushed), then blobs that the
 * destination lacks (mounted from the base's repository when both are on one registry),
 * each platform manifest and the index by digest, and the tags last, the immutable version
 * tag before the moving ones, so a tag never points at something incomplete. Running it
 * again pushes nothing.
 */
export async function publishImage(
  image: BuiltImage,
  store: OciStore,
  options: PublishImageOptions = {},
): Promise<ImagePublishResult> {
  const reporter = options.reporter ?? silentReporter
  const digest = image.index.descriptor.digest
  const tags = [...(options.tags ?? [])].sort((a, b) => Number(a.moving) - Number(b.moving))
  for (const { tag } of tags.filter((t) => !t.moving)) {
    const existing = await store.resolve(tag)
    if (existing !== undefined && existing.digest !== digest)
      throw conflict(store, tag, existing.digest, digest)
  }

  const counts: Record<BlobOutcome, number> = { uploaded: 0, exists: 0, mounted: 0 }
  await mapLimit(image.blobs, options.concurrency ?? 4, async (blob) => {
    counts[await pushBlob(store, blob)]++
  })
  for (const manifest of image.manifests) await store.putManifest(manifest.content)
  await store.putManifest(image.index.content)

  const outcomes: TagOutcome[] = []
  for (const { tag, moving } of tags) {
    const before = moving ? await store.resolve(tag) : undefined
    const outcome = await store.putManifest(image.index.content, { tag, moveTag: moving })
    switch (outcome.status) {
      case 'conflict':
        throw conflict(store, tag, outcome.existing, digest)
      case 'unchanged':
        outcomes.push({ tag, status: 'unchanged' })
        break
      case 'published':
        outcomes.push({ tag, status: before === undefined ? 'published' : 'moved' })
        break
    }
  }
  reporter.emit({
    type: 'log',
    level: 'info',
    message: `${store.location}@${digest}: ${counts.uploaded} blobs uploaded, ${counts.mounted} mounted, ${counts.exists} present; tags ${outcomes.map((t) => `${t.tag} (${t.status})`).join(', ') || 'none'}`,
  })
  return { location: `${store.location}@${digest}`, digest, blobs: counts, tags: outcomes }
}

function pushBlob(store: OciStore, blob: ImageBlob): Promise<BlobOutcome> {
  const mountFrom = blob.origin === undefined ? undefined : mountFromOf(blob.origin, store)
  return store.pushBlob(blob.descriptor, blob.source, mountFrom === undefined ? {} : { mountFrom })
}

function conflict(store: OciStore, tag: string, existing: Digest, wanted: Digest): ContainerError {
  return new ContainerError(
    'CONTAINER_TAG_CONFLICT',
    `${store.location}:${tag} already points at ${existing}, not at this build (${wanted}); versions are immutable`,
    {
      hint: 'release a new version, or rebuild exactly what was published (same sources, SOURCE_DATE_EPOCH and Node version give the same digest)',
    },
  )
}
