import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join, resolve as resolvePath } from 'node:path'
import { Readable } from 'node:stream'
import { type Digest, digestHex, isDigest, sha256 } from '@polyship/core'
import { digestMismatch, sourceChunks, verified, writeChunks } from '../blob-stream.ts'
import { OciError } from '../errors.ts'
import {
  checkManifestSize,
  childrenOf,
  type Descriptor,
  descriptorOf,
  type ManifestContent,
  parseManifest,
} from '../manifest.ts'
import { MEDIA_TYPES } from '../media-types.ts'
import { parseTag } from '../reference.ts'
import {
  EMPTY_REFERRERS,
  fallbackTag,
  filterReferrers,
  parseReferrer,
  parseReferrersIndex,
  withReferrers,
} from '../referrers/fallback.ts'
import type {
  AttachOutcome,
  BlobOutcome,
  BlobSource,
  OciStore,
  PublishOutcome,
  PutManifestOptions,
} from '../store.ts'
import { initLayout, type LayoutIndex, readIndex, tagOf, withTag, writeIndex } from './index-file.ts'
import { withLock } from './lock.ts'

/**
 * An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/`) as an
 * OciStore: what skopeo (`oci:DIR:TAG`), umoci, crane and oras read. Tags are
 * `org.opencontainers.image.ref.name` annotations on index.json entries. Blobs land by
 * atomic rename and index.json is rewritten under a lock file, so several processes can
 * publish into one directory. Referrers use the `sha256-<hex>` tag fallback.
 */
export class LayoutStore implements OciStore {
  readonly dir: string
  readonly location: string
  #initialized: Promise<void> | undefined
  #attaching: Promise<unknown> = Promise.resolve()

  constructor(dir: string) {
    this.dir = resolvePath(dir)
    this.location = `oci-layout:${dir}`
  }

  /** Where a blob lives (whether or not it exists). */
  blobPath(digest: Digest): string {
    return join(this.dir, 'blobs', 'sha256', digestHex(digest))
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    try {
      return (await stat(this.blobPath(digest))).isFile()
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw error
    }
  }

  /** Streams the source into a temp file, checks digest and size, then renames it into place. */
  async pushBlob(descriptor: Descriptor, source: BlobSource): Promise<BlobOutcome> {
    if (await this.hasBlob(descriptor.digest)) return 'exists'
    await this.#init()
    const target = this.blobPath(descriptor.digest)
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    const where = `write blob ${descriptor.digest} to ${this.location}`
    try {
      await writeChunks(temp, verified(sourceChunks(source, 0, descriptor.size), descriptor, where))
      await rename(temp, target)
    } catch (error) {
      await rm(temp, { force: true })
      throw error
    }
    return 'uploaded'
  }

  async fetchBlob(descriptor: Descriptor): Promise<Readable> {
    const where = `read blob ${descriptor.digest} from ${this.location}`
    if (!(await this.hasBlob(descriptor.digest))) {
      throw new OciError('OCI_BLOB_UNKNOWN', `${where}: not in the layout`, {
        hint: 'the layout is incomplete; publish the image into it again',
      })
    }
    const file = createReadStream(this.blobPath(descriptor.digest), { highWaterMark: 1 << 20 })
    return Readable.from(verified(file, descriptor, where))
  }

  async putManifest(content: ManifestContent, options: PutManifestOptions = {}): Promise<PublishOutcome> {
    const descriptor = descriptorOf(content)
    const where = `manifest ${descriptor.digest} for ${this.location}`
    const tag = options.tag === undefined ? undefined : parseTag(options.tag, `tag for ${this.location}`)
    await this.#storeManifest(content, descriptor, where)
    const location = `${this.location}${tag === undefined ? `@${descriptor.digest}` : `:${tag}`}`
    if (tag === undefined) return { status: 'published', location, descriptor }
    return this.#update<PublishOutcome>((index) => {
      const current = index.manifests.find((d) => tagOf(d) === tag)
      if (current?.digest === descriptor.digest)
        return [undefined, { status: 'unchanged', location, descriptor }]
      if (current !== undefined && options.moveTag !== true) {
        return [undefined, { status: 'conflict', location, descriptor, existing: current.digest }]
      }
      return [withTag(index, tag, descriptor), { status: 'published', location, descriptor }]
    })
  }

  /** Checks and writes the manifest blob; every child must be present first, as registries require. */
  async #storeManifest(content: ManifestContent, descriptor: Descriptor, where: string): Promise<void> {
    checkManifestSize(content.bytes.length, where)
    const parsed = parseManifest(content.bytes, content.mediaType, where)
    for (const child of childrenOf(parsed)) {
      if (!(await this.hasBlob(child.digest))) {
        throw new OciError(
          'OCI_MANIFEST_BLOB_UNKNOWN',
          `${where}: references ${child.digest} (${child.mediaType}), which is not in the layout`,
          {
            hint: 'push every blob (config, layers) and child manifest before the manifest that references it',
          },
        )
      }
    }
    await this.pushBlob(descriptor, content.bytes)
  }

  async getManifest(tagOrDigest: string): Promise<ManifestContent & { readonly descriptor: Descriptor }> {
    const where = `get manifest ${this.location}${isDigest(tagOrDigest) ? '@' : ':'}${tagOrDigest}`
    const descriptor = await this.resolve(tagOrDigest)
    if (descriptor === undefined) {
      throw new OciError('OCI_MANIFEST_UNKNOWN', `${where}: not found`, {
        hint: 'check the tag or digest; list the tags to see what the layout holds',
      })
    }
    checkManifestSize(descriptor.size, where)
    const bytes = await this.#readVerified(descriptor.digest, where)
    const parsed = parseManifest(bytes, descriptor.mediaType, where)
    return { bytes, mediaType: parsed.mediaType, descriptor: { ...descriptor, mediaType: parsed.mediaType } }
  }

  async resolve(tagOrDigest: string): Promise<Descriptor | undefined> {
    const index = await readIndex(this.dir)
    if (!isDigest(tagOrDigest)) {
      const tag = parseTag(tagOrDigest, `tag for ${this.location}`)
      const entry = index.manifests.find((d) => tagOf(d) === tag)
      return entry === undefined
        ? undefined
        : { mediaType: entry.mediaType, digest: entry.digest, size: entry.size }
    }
    const listed = index.manifests.find((d) => d.digest === tagOrDigest)
    if (listed !== undefined) return { mediaType: listed.mediaType, digest: listed.digest, size: listed.size }
    let bytes: Buffer
    try {
      bytes = await readFile(this.blobPath(tagOrDigest))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    const parsed = parseManifest(bytes, undefined, `${this.location}@${tagOrDigest}`)
    return { mediaType: parsed.mediaType, digest: tagOrDigest, size: bytes.length }
  }

  async listTags(): Promise<string[]> {
    const index = await readIndex(this.dir)
    return index.manifests
      .map(tagOf)
      .filter((tag): tag is string => tag !== undefined)
      .sort()
  }

  /** Attaches run one after another in call order, so referrers attached together are listed in that order. */
  attachReferrer(content: ManifestContent): Promise<AttachOutcome> {
    const attached = this.#attaching.then(() => this.#attach(content))
    this.#attaching = attached.catch(() => undefined)
    return attached
  }

  async #attach(content: ManifestContent): Promise<AttachOutcome> {
    const descriptor = descriptorOf(content)
    const where = `referrer ${descriptor.digest} for ${this.location}`
    const { subject, entry } = parseReferrer(content, where)
    await this.#storeManifest(content, descriptor, where)
    const tag = fallbackTag(subject.digest)
    return this.#update<AttachOutcome>(async (index) => {
      const current = await this.#referrersIndex(index, subject.digest)
      const next = withReferrers(current, [entry])
      if (next === undefined) return [undefined, { descriptor, via: 'tag-fallback', added: false }]
      await this.pushBlob(descriptorOf(next), next.bytes)
      return [withTag(index, tag, descriptorOf(next)), { descriptor, via: 'tag-fallback', added: true }]
    })
  }

  async listReferrers(subject: Digest, artifactType?: string): Promise<Descriptor[]> {
    const index = await readIndex(this.dir)
    return filterReferrers((await this.#referrersIndex(index, subject)).manifests, artifactType)
  }

  async #referrersIndex(index: LayoutIndex, subject: Digest) {
    const tag = fallbackTag(subject)
    const entry = index.manifests.find((d) => tagOf(d) === tag)
    if (entry === undefined) return EMPTY_REFERRERS
    const where = `${this.location}:${tag}`
    const bytes = await this.#readVerified(entry.digest, where)
    return parseReferrersIndex({ bytes, mediaType: MEDIA_TYPES.ociIndex }, where)
  }

  /** A blob read whole (manifests and indexes only), checked against its digest. */
  async #readVerified(digest: Digest, where: string): Promise<Buffer> {
    const bytes = await readFile(this.blobPath(digest)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
      throw new OciError('OCI_BLOB_UNKNOWN', `${where}: ${digest} is listed but not in the layout`, {
        hint: 'the layout is incomplete; publish the image into it again',
      })
    })
    const actual = sha256(bytes)
    if (actual !== digest) throw digestMismatch(where, digest, actual)
    return bytes
  }

  /** Read-modify-write of index.json under the layout lock; `change` returns the new index (or none) and a result. */
  async #update<T>(
    change: (index: LayoutIndex) => Promise<[LayoutIndex | undefined, T]> | [LayoutIndex | undefined, T],
  ): Promise<T> {
    await this.#init()
    return withLock(join(this.dir, 'index.json.lock'), async () => {
      const [next, result] = await change(await readIndex(this.dir))
      if (next !== undefined) await writeIndex(this.dir, next)
      return result
    })
  }

  #init(): Promise<void> {
    this.#initialized ??= mkdir(this.dir, { recursive: true })
      .then(() =>
        withLock(join(this.dir, 'index.json.lock'), async () => {
          await initLayout(this.dir)
          const index = await readIndex(this.dir)
          if (index.raw.length === 0) await writeIndex(this.dir, index)
        }),
      )
      .catch((error: unknown) => {
        this.#initialized = undefined
        throw error
      })
    return this.#initialized
  }
}
