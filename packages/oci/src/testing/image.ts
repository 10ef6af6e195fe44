import { createCipheriv, createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type Digest, gzipStream, type Platform, tarStream } from '@polyship/core'
import { type Descriptor, encodeManifest, type ManifestContent } from '../manifest.ts'
import { MEDIA_TYPES } from '../media-types.ts'
import type { OciStore, PublishOutcome } from '../store.ts'

export interface TestImageOptions {
  /** Default: linux/amd64 and linux/arm64. */
  readonly platforms?: readonly Platform[]
  /** Layers per platform (default 2). */
  readonly layers?: number
  /** Random bytes in each layer's file (default 64 KiB); random data does not compress. */
  readonly layerSize?: number
  /** Same seed, same bytes, same digests. */
  readonly seed: string
  /** Tag the index (or the single manifest) gets; default: no tag. */
  readonly tag?: string
  /** gzip level of layers (default 1: fast, the data is random anyway). */
  readonly gzipLevel?: number
}

export interface TestImage {
  /** The index, or the manifest when there is one platform. */
  readonly root: Descriptor
  readonly rootContent: ManifestContent
  readonly manifests: readonly Descriptor[]
  /** Configs and layers. */
  readonly blobs: readonly Descriptor[]
  readonly outcome: PublishOutcome
}

const CREATED = '2024-01-01T00:00:00Z'
const EPOCH = 1_704_067_200

/**
 * Builds a real multi-platform image (gzip tar layers of seeded random bytes, configs with
 * correct diff_ids, one manifest per platform, an index) straight into `store`, streaming
 * large layers through temp files. crane validate, skopeo and umoci accept it.
 */
export async function pushTestImage(store: OciStore, options: TestImageOptions): Promise<TestImage> {
  const platforms = options.platforms ?? [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
  ]
  const work = await mkdtemp(join(tmpdir(), 'polyship-test-image-'))
  try {
    const blobs: Descriptor[] = []
    const manifests: { descriptor: Descriptor; content: ManifestContent }[] = []
    for (const [p, platform] of platforms.entries()) {
      const layers: Descriptor[] = []
      const diffIds: Digest[] = []
      for (let l = 0; l < (options.layers ?? 2); l++) {
        const file = join(work, `layer-${p}-${l}.tar.gz`)
        const random = join(work, `random-${p}-${l}`)
        await pipeline(
          Readable.from(randomBytes(`${options.seed}/${p}/${l}`, options.layerSize ?? 64 * 1024)),
          createWriteStream(random),
        )
        const { diffId, digest, size } = await writeLayer(
          file,
          random,
          `data/${p}-${l}.bin`,
          options.gzipLevel ?? 1,
        )
        const layer = { mediaType: MEDIA_TYPES.ociLayerGzip, digest, size }
        await store.pushBlob(layer, { path: file })
        layers.push(layer)
        diffIds.push(diffId)
      }
      const config = new TextEncoder().encode(
        JSON.stringify({
          created: CREATED,
          architecture: platform.architecture,
          os: platform.os,
          ...(platform.variant === undefined ? {} : { variant: platform.variant }),
          config: {
            Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
            Cmd: ['/bin/sh'],
            Labels: { seed: options.seed },
          },
          rootfs: { type: 'layers', diff_ids: diffIds },
          history: diffIds.map(() => ({ created: CREATED, created_by: 'polyship test image' })),
        }),
      )
      const configDescriptor = { mediaType: MEDIA_TYPES.ociConfig, digest: sha(config), size: config.length }
      await store.pushBlob(configDescriptor, config)
      blobs.push(configDescriptor, ...layers)
      const content = encodeManifest({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: configDescriptor,
        layers,
      })
      const single = platforms.length === 1
      const outcome = await store.putManifest(
        content,
        single && options.tag !== undefined ? { tag: options.tag } : {},
      )
      manifests.push({ descriptor: { ...outcome.descriptor, platform }, content })
      if (single)
        return {
          root: outcome.descriptor,
          rootContent: content,
          manifests: [outcome.descriptor],
          blobs,
          outcome,
        }
    }
    const rootContent = encodeManifest({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: manifests.map((m) => m.descriptor),
    })
    const outcome = await store.putManifest(
      rootContent,
      options.tag === undefined ? {} : { tag: options.tag },
    )
    return {
      root: outcome.descriptor,
      rootContent,
      manifests: manifests.map((m) => m.descriptor),
      blobs,
      outcome,
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

async function writeLayer(file: string, source: string, path: string, level: number) {
  const diff = createHash('sha256')
  const compressed = createHash('sha256')
  let size = 0
  const tar = async function* () {
    for await (const chunk of tarStream([{ type: 'file', path, source }], { mtime: EPOCH })) {
      diff.update(chunk)
      yield chunk
    }
  }
  const counted = async function* (source: AsyncIterable<Uint8Array>) {
    for await (const chunk of source) {
      compressed.update(chunk)
      size += chunk.length
      yield chunk
    }
  }
  await pipeline(Readable.from(counted(gzipStream(tar(), { level }))), createWriteStream(file))
  return {
    diffId: `sha256:${diff.digest('hex')}` as Digest,
    digest: `sha256:${compressed.digest('hex')}` as Digest,
    size,
  }
}

/** Deterministic pseudo-random bytes: AES-256-CTR keystream keyed by the seed. */
export async function* randomBytes(seed: string, size: number): AsyncGenerator<Buffer> {
  const key = createHash('sha256').update(seed).digest()
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  const zeros = Buffer.alloc(1 << 20)
  for (let left = size; left > 0; left -= zeros.length) {
    yield cipher.update(left >= zeros.length ? zeros : zeros.subarray(0, left))
  }
}

function sha(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}
