import { Readable } from 'node:stream'
import { type Digest, isDigest, sha256 } from '@polyship/core'
import { digestMismatch, readAll, verified } from '../blob-stream.ts'
import { OciError } from '../errors.ts'
import {
  checkManifestSize,
  type Descriptor,
  descriptorOf,
  MAX_MANIFEST_BYTES,
  type ManifestContent,
  parseManifest,
} from '../manifest.ts'
import { isManifestMediaType, MANIFEST_ACCEPT } from '../media-types.ts'
import { parseTag } from '../reference.ts'
import {
  EMPTY_REFERRERS,
  fallbackTag,
  filterReferrers,
  parseReferrer,
  parseReferrersIndex,
  withReferrer,
} from '../referrers/fallback.ts'
import type {
  AttachOutcome,
  BlobOutcome,
  BlobSource,
  OciStore,
  PublishOutcome,
  PushBlobOptions,
  PutManifestOptions,
} from '../store.ts'
import type { Scope } from './auth/authenticator.ts'
import type { RegistryClient } from './client.ts'
import { discard, type HttpResponse, header, readText } from './http.ts'
import { registryError } from './registry-error.ts'
import { isRetryableError } from './retry.ts'
import { uploadBlob } from './upload.ts'

const FALLBACK_UPDATE_TRIES = 8

/** One repository of a registry, as an OciStore. Get one from `RegistryClient.repository(name)`. */
export class RegistryStore implements OciStore {
  readonly client: RegistryClient
  readonly registry: string
  readonly repository: string
  readonly location: string
  readonly #pull: Scope[]
  readonly #push: Scope[]

  constructor(client: RegistryClient, registry: string, repository: string) {
    this.client = client
    this.registry = registry
    this.repository = repository
    this.location = `${registry}/${repository}`
    this.#pull = [{ repository, actions: ['pull'] }]
    this.#push = [{ repository, actions: ['pull', 'push'] }]
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    const res = await this.#send(
      'HEAD',
      `/blobs/${digest}`,
      this.#pull,
      `check blob ${digest} in ${this.location}`,
      {
        redirects: true,
      },
    )
    await discard(res)
    if (res.status === 200) return true
    if (res.status === 404) return false
    throw await registryError(res, `check blob ${digest} in ${this.location}`)
  }

  async pushBlob(
    descriptor: Descriptor,
    source: BlobSource,
    options: PushBlobOptions = {},
  ): Promise<BlobOutcome> {
    if (await this.hasBlob(descriptor.digest)) return 'exists'
    const mountFrom = options.mountFrom === this.repository ? undefined : options.mountFrom
    return uploadBlob(
      {
        client: this.client,
        registry: this.registry,
        repository: this.repository,
        name: this.location,
        hasBlob: (digest) => this.hasBlob(digest),
      },
      descriptor,
      source,
      mountFrom,
    )
  }

  /** Streams the blob, resuming with a Range request when the connection drops mid-way; verified at the end. */
  async fetchBlob(descriptor: Descriptor): Promise<Readable> {
    const what = `fetch blob ${descriptor.digest} from ${this.location}`
    const first = await this.#blobResponse(descriptor.digest, 0, what)
    return Readable.from(verified(this.#download(descriptor, first, what), descriptor, what))
  }

  async *#download(descriptor: Descriptor, first: HttpResponse, what: string): AsyncGenerator<Buffer> {
    let res = first
    let received = 0
    for (let failures = 0; ; ) {
      try {
        const skipBytes = received > 0 && res.status === 200 ? received : 0
        let skipped = 0
        for await (const chunk of res.body) {
          const buffer = chunk as Buffer
          if (skipped < skipBytes) {
            const take = Math.min(skipBytes - skipped, buffer.length)
            skipped += take
            if (take === buffer.length) continue
            received += buffer.length - take
            yield buffer.subarray(take)
            continue
          }
          received += buffer.length
          yield buffer
        }
        return
      } catch (error) {
        res.body.destroy()
        if (!isRetryableError(error) || ++failures >= this.client.retry.attempts) {
          throw isRetryableError(error) ? this.client.unavailable(what, error) : error
        }
        await this.client.waitBeforeRetry(failures - 1, undefined, what)
        if (received >= descriptor.size) return
        res = await this.#blobResponse(descriptor.digest, received, what)
      }
    }
  }

  async #blobResponse(digest: Digest, offset: number, what: string): Promise<HttpResponse> {
    const res = await this.#send('GET', `/blobs/${digest}`, this.#pull, what, {
      redirects: true,
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    })
    if (res.status === 200 || res.status === 206) return res
    if (res.status === 404) {
      await discard(res)
      throw new OciError('OCI_BLOB_UNKNOWN', `${what}: the registry does not have it`, {
        hint: 'the image is incomplete in this repository; push it again from its source',
      })
    }
    throw await registryError(res, what)
  }

  async putManifest(content: ManifestContent, options: PutManifestOptions = {}): Promise<PublishOutcome> {
    const descriptor = descriptorOf(content)
    const tag = options.tag === undefined ? undefined : parseTag(options.tag, `tag for ${this.location}`)
    parseManifest(content.bytes, content.mediaType, `manifest ${descriptor.digest} for ${this.location}`)
    const location = `${this.location}${tag === undefined ? `@${descriptor.digest}` : `:${tag}`}`
    const current = await this.resolve(tag ?? descriptor.digest)
    if (current?.digest === descriptor.digest) return { status: 'unchanged', location, descriptor }
    if (current !== undefined && options.moveTag !== true) {
      return { status: 'conflict', location, descriptor, existing: current.digest }
    }
    if (tag === undefined || (await this.resolve(descriptor.digest)) === undefined) {
      await this.#putManifest(content, descriptor, descriptor.digest)
    }
    if (tag !== undefined) await this.#putManifest(content, descriptor, tag)
    return { status: 'published', location, descriptor }
  }

  /** PUTs manifest bytes under a digest or tag; returns the OCI-Subject header (referrers API present). */
  async #putManifest(
    content: ManifestContent,
    descriptor: Descriptor,
    reference: string,
  ): Promise<string | undefined> {
    const what = `push manifest ${descriptor.digest} to ${this.location}${isDigest(reference) ? '' : `:${reference}`}`
    checkManifestSize(content.bytes.length, what)
    const res = await this.#send('PUT', `/manifests/${reference}`, this.#push, what, {
      headers: { 'content-type': content.mediaType },
      body: content.bytes,
    })
    if (res.status !== 201 && res.status !== 200) throw await registryError(res, what)
    await discard(res)
    const echoed = header(res, 'docker-content-digest')
    if (echoed !== undefined && echoed !== descriptor.digest) {
      throw new OciError(
        'OCI_DIGEST_MISMATCH',
        `${what}: registry stored ${echoed} instead of ${descriptor.digest}`,
        {
          hint: 'the registry rewrote the manifest (e.g. converted it); push to a registry that stores OCI manifests as is',
        },
      )
    }
    return header(res, 'oci-subject')
  }

  async getManifest(tagOrDigest: string): Promise<ManifestContent & { readonly descriptor: Descriptor }> {
    const reference = this.#reference(tagOrDigest)
    const what = `get manifest ${this.location}${isDigest(reference) ? '@' : ':'}${reference}`
    const res = await this.#send('GET', `/manifests/${reference}`, this.#pull, what, {
      redirects: true,
      headers: { accept: MANIFEST_ACCEPT },
    })
    if (res.status === 404) {
      await discard(res)
      throw new OciError('OCI_MANIFEST_UNKNOWN', `${what}: not found`, {
        hint: 'check the tag or digest; list the tags to see what the repository holds',
      })
    }
    if (res.status !== 200) throw await registryError(res, what)
    const declaredSize = Number(header(res, 'content-length') ?? 0)
    if (declaredSize > MAX_MANIFEST_BYTES) {
      res.body.destroy()
      checkManifestSize(declaredSize, what)
    }
    const bytes = await readAll(
      res.body,
      MAX_MANIFEST_BYTES,
      () =>
        new OciError('OCI_MANIFEST_TOO_LARGE', `${what}: manifest exceeds ${MAX_MANIFEST_BYTES} bytes`, {
          hint: 'the registry serves a manifest larger than registries must accept; it is refused',
        }),
    )
    const actual = sha256(bytes)
    const expected = isDigest(reference)
      ? reference
      : (header(res, 'docker-content-digest') as Digest | undefined)
    if (expected !== undefined && expected !== actual) throw digestMismatch(what, expected, actual)
    const contentType = header(res, 'content-type')?.split(';')[0]?.trim()
    const parsed = parseManifest(bytes, isManifestMediaType(contentType) ? contentType : undefined, what)
    return {
      bytes,
      mediaType: parsed.mediaType,
      descriptor: { mediaType: parsed.mediaType, digest: actual, size: bytes.length },
    }
  }

  async resolve(tagOrDigest: string): Promise<Descriptor | undefined> {
    const reference = this.#reference(tagOrDigest)
    const what = `resolve ${this.location}${isDigest(reference) ? '@' : ':'}${reference}`
    const res = await this.#send('HEAD', `/manifests/${reference}`, this.#pull, what, {
      redirects: true,
      headers: { accept: MANIFEST_ACCEPT },
    })
    await discard(res)
    if (res.status === 404) return undefined
    if (res.status !== 200) throw await registryError(res, what)
    const digest = header(res, 'docker-content-digest')
    const mediaType = header(res, 'content-type')?.split(';')[0]?.trim()
    const size = Number(header(res, 'content-length'))
    if (!isDigest(digest) || !isManifestMediaType(mediaType) || !Number.isSafeInteger(size)) {
      return (await this.getManifest(reference)).descriptor
    }
    if (isDigest(reference) && digest !== reference) throw digestMismatch(what, reference, digest)
    return { mediaType, digest, size }
  }

  async listTags(): Promise<string[]> {
    const what = `list tags of ${this.location}`
    const tags: string[] = []
    let next: string | undefined = `/v2/${this.repository}/tags/list?n=1000`
    while (next !== undefined) {
      const res = await this.client.request(this.registry, {
        method: 'GET',
        target: next,
        scopes: this.#pull,
        what,
      })
      if (res.status === 404) {
        await discard(res)
        return []
      }
      if (res.status !== 200) throw await registryError(res, what)
      const page = JSON.parse(await readText(res, 16 * 1024 * 1024)) as { tags?: string[] | null }
      tags.push(...(page.tags ?? []))
      next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(res, 'link') ?? '')?.[1]
    }
    return tags.sort()
  }

  /**
   * Attaches are serialized per subject within this client: the tag fallback is a
   * read-modify-write that distribution does not make conditional. Across processes the
   * registry's ETag/If-Match is used where offered, and the update is read back.
   */
  async attachReferrer(content: ManifestContent): Promise<AttachOutcome> {
    const { subject } = parseReferrer(content, `referrer for ${this.location}`)
    return this.client.serialize(`${this.location}@${subject.digest}`, () => this.#attach(content))
  }

  async #attach(content: ManifestContent): Promise<AttachOutcome> {
    const where = `referrer for ${this.location}`
    const { subject, entry } = parseReferrer(content, where)
    const descriptor = descriptorOf(content)
    const existed = (await this.resolve(descriptor.digest)) !== undefined
    const subjectHeader = existed
      ? undefined
      : await this.#putManifest(content, descriptor, descriptor.digest)
    if (subjectHeader !== undefined) return { descriptor, via: 'referrers-api', added: true }
    if (existed && (await this.#referrersApi(subject.digest)) !== undefined) {
      return { descriptor, via: 'referrers-api', added: false }
    }
    const tag = fallbackTag(subject.digest)
    for (let attempt = 0; attempt < FALLBACK_UPDATE_TRIES; attempt++) {
      const current = await this.#fallbackIndex(subject.digest)
      const next = withReferrer(current.index, entry)
      if (next === undefined) return { descriptor, via: 'tag-fallback', added: attempt > 0 || !existed }
      const what = `update referrers tag ${this.location}:${tag}`
      const res = await this.#send('PUT', `/manifests/${tag}`, this.#push, what, {
        headers: {
          'content-type': next.mediaType,
          ...(current.etag === undefined ? {} : { 'if-match': current.etag }),
        },
        body: next.bytes,
      })
      if (res.status === 412) {
        await discard(res)
        continue
      }
      if (res.status !== 201 && res.status !== 200) throw await registryError(res, what)
      await discard(res)
      // Without conditional PUT support a concurrent writer may have replaced our update: read it back.
    }
    throw new OciError(
      'OCI_REGISTRY_ERROR',
      `${where}: the referrers tag kept changing under concurrent updates`,
      {
        hint: 'another process is attaching referrers to the same subject; run again',
      },
    )
  }

  async listReferrers(subject: Digest, artifactType?: string): Promise<Descriptor[]> {
    const viaApi = await this.#referrersApi(subject, artifactType)
    if (viaApi !== undefined) return viaApi
    return filterReferrers((await this.#fallbackIndex(subject)).index.manifests, artifactType)
  }

  /** GET /v2/<name>/referrers/<digest>; undefined when the registry has no referrers API (404). */
  async #referrersApi(subject: Digest, artifactType?: string): Promise<Descriptor[] | undefined> {
    const what = `list referrers of ${this.location}@${subject}`
    const query = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`
    const res = await this.#send('GET', `/referrers/${subject}${query}`, this.#pull, what, {
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    })
    if (res.status === 404) {
      await discard(res)
      return undefined
    }
    if (res.status !== 200) throw await registryError(res, what)
    const bytes = await readAll(
      res.body,
      MAX_MANIFEST_BYTES,
      () =>
        new OciError(
          'OCI_MANIFEST_TOO_LARGE',
          `${what}: referrers index exceeds ${MAX_MANIFEST_BYTES} bytes`,
          {
            hint: 'the subject has too many referrers for one page',
          },
        ),
    )
    const index = parseReferrersIndex({ bytes, mediaType: 'application/vnd.oci.image.index.v1+json' }, what)
    return filterReferrers(index.manifests, artifactType)
  }

  async #fallbackIndex(subject: Digest) {
    const tag = fallbackTag(subject)
    const what = `get referrers tag ${this.location}:${tag}`
    const res = await this.#send('GET', `/manifests/${tag}`, this.#pull, what, {
      headers: { accept: MANIFEST_ACCEPT },
    })
    if (res.status === 404) {
      await discard(res)
      return { index: EMPTY_REFERRERS, etag: undefined }
    }
    if (res.status !== 200) throw await registryError(res, what)
    const bytes = await readAll(
      res.body,
      MAX_MANIFEST_BYTES,
      () =>
        new OciError(
          'OCI_MANIFEST_TOO_LARGE',
          `${what}: referrers index exceeds ${MAX_MANIFEST_BYTES} bytes`,
          {
            hint: 'the subject has too many referrers for the tag fallback',
          },
        ),
    )
    const index = parseReferrersIndex({ bytes, mediaType: 'application/vnd.oci.image.index.v1+json' }, what)
    return { index, etag: header(res, 'etag') }
  }

  #reference(tagOrDigest: string): string {
    return isDigest(tagOrDigest) ? tagOrDigest : parseTag(tagOrDigest, `tag for ${this.location}`)
  }

  #send(
    method: 'GET' | 'HEAD' | 'PUT',
    path: string,
    scopes: readonly Scope[],
    what: string,
    extra: { headers?: Record<string, string>; body?: Uint8Array; redirects?: boolean } = {},
  ): Promise<HttpResponse> {
    return this.client.request(this.registry, {
      method,
      target: `/v2/${this.repository}${path}`,
      scopes,
      what,
      ...extra,
    })
  }
}
