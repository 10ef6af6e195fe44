import { Readable } from 'node:stream'
import { type Digest, isDigest, readAll, sha256 } from '@polyship/core'
import { digestMismatch, verified } from '../blob-stream.ts'
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
import type {
  AttachOutcome,
  BlobOutcome,
  BlobSource,
  OciStore,
  PublishOutcome,
  PushBlobOptions,
  PutManifestOptions,
} from '../store.ts'
import type { RegistryClient, RegistryRequest } from './client.ts'
import { blobResponse, downloadBlob } from './download.ts'
import { discard, type HttpResponse, header, readJson } from './http.ts'
import { attachToRegistry, listRegistryReferrers } from './referrers.ts'
import { registryError } from './registry-error.ts'
import { uploadBlob } from './upload.ts'

/** One repository of a registry, as an OciStore. Get one from `RegistryClient.repository(name)`. */
export class RegistryStore implements OciStore {
  readonly client: RegistryClient
  readonly registry: string
  readonly repository: string
  readonly location: string

  constructor(client: RegistryClient, registry: string, repository: string) {
    this.client = client
    this.registry = registry
    this.repository = repository
    this.location = `${registry}/${repository}`
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    const what = `check blob ${digest} in ${this.location}`
    const res = await this.send('HEAD', `/blobs/${digest}`, 'pull', what, { redirects: true })
    await discard(res)
    if (res.status === 200) return true
    if (res.status === 404) return false
    throw await registryError(res, what)
  }

  async pushBlob(
    descriptor: Descriptor,
    source: BlobSource,
    options: PushBlobOptions = {},
  ): Promise<BlobOutcome> {
    // the same blob pushed twice at once (the empty config of several referrers) is checked and sent once
    const { result, first } = this.client.once(`${this.location}@${descriptor.digest}`, async () => {
      if (await this.hasBlob(descriptor.digest)) return 'exists'
      const mountFrom = options.mountFrom === this.repository ? undefined : options.mountFrom
      return uploadBlob(this, descriptor, source, mountFrom)
    })
    const outcome = await result
    return first ? outcome : 'exists'
  }

  /** Streams the blob, resuming with a Range request when the connection drops; checked against the descriptor. */
  async fetchBlob(descriptor: Descriptor): Promise<Readable> {
    const what = `fetch blob ${descriptor.digest} from ${this.location}`
    const first = await blobResponse(this, descriptor, 0, what)
    return Readable.from(verified(downloadBlob(this, descriptor, first, what), descriptor, what))
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
      await this.putManifestAt(content, descriptor.digest)
    }
    if (tag !== undefined) await this.putManifestAt(content, tag)
    return { status: 'published', location, descriptor }
  }

  /**
   * PUTs manifest bytes under a digest or tag and checks the digest the registry echoes.
   * Returns the `OCI-Subject` header, present when the registry has the referrers API.
   * (Package plumbing: use putManifest.)
   */
  async putManifestAt(content: ManifestContent, reference: string): Promise<string | undefined> {
    const digest = sha256(content.bytes)
    const what = `push manifest ${digest} to ${this.location}${isDigest(reference) ? '' : `:${reference}`}`
    checkManifestSize(content.bytes.length, what)
    const res = await this.send('PUT', `/manifests/${reference}`, 'push', what, {
      headers: { 'content-type': content.mediaType },
      body: content.bytes,
    })
    if (res.status !== 201 && res.status !== 200) throw await registryError(res, what)
    await discard(res)
    const echoed = header(res, 'docker-content-digest')
    if (echoed !== undefined && echoed !== digest) {
      throw new OciError('OCI_DIGEST_MISMATCH', `${what}: registry stored ${echoed} instead of ${digest}`, {
        hint: 'the registry rewrote or received other bytes; nothing was tagged. Push to a registry that stores OCI manifests as is',
      })
    }
    return header(res, 'oci-subject')
  }

  async getManifest(tagOrDigest: string): Promise<ManifestContent & { readonly descriptor: Descriptor }> {
    const reference = this.#reference(tagOrDigest)
    const what = `get manifest ${this.location}${isDigest(reference) ? '@' : ':'}${reference}`
    const res = await this.send('GET', `/manifests/${reference}`, 'pull', what, {
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
    const bytes = await this.readManifestBody(res, what)
    const actual = sha256(bytes)
    const expected = isDigest(reference) ? reference : header(res, 'docker-content-digest')
    if (isDigest(expected) && expected !== actual) throw digestMismatch(what, expected, actual)
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
    const res = await this.send('HEAD', `/manifests/${reference}`, 'pull', what, {
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
        scopes: [{ repository: this.repository, actions: ['pull'] }],
        what,
      })
      if (res.status === 404) {
        await discard(res)
        return []
      }
      if (res.status !== 200) throw await registryError(res, what)
      const page = (await readJson(res, what)) as { tags?: string[] | null }
      tags.push(...(page.tags ?? []))
      next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(res, 'link') ?? '')?.[1]
    }
    return tags.sort()
  }

  /**
   * Fallback index updates are serialized per subject within this client (a read-modify-write
   * that distribution cannot make conditional) and coalesced for referrers attached together.
   */
  attachReferrer(content: ManifestContent): Promise<AttachOutcome> {
    return attachToRegistry(this, content)
  }

  listReferrers(subject: Digest, artifactType?: string): Promise<Descriptor[]> {
    return listRegistryReferrers(this, subject, artifactType)
  }

  /** Sends a request under `/v2/<repository>` needing pull or push access. (Package plumbing.) */
  send(
    method: RegistryRequest['method'],
    path: string,
    access: 'pull' | 'push',
    what: string,
    extra: Pick<RegistryRequest, 'headers' | 'body' | 'redirects' | 'retry'> = {},
  ): Promise<HttpResponse> {
    return this.client.request(this.registry, {
      method,
      target: `/v2/${this.repository}${path}`,
      scopes: [{ repository: this.repository, actions: access === 'pull' ? ['pull'] : ['pull', 'push'] }],
      what,
      ...extra,
    })
  }

  /** A manifest-sized response body, refusing more than 4 MiB. (Package plumbing.) */
  readManifestBody(res: HttpResponse, what: string): Promise<Buffer> {
    const declared = Number(header(res, 'content-length') ?? 0)
    if (declared > MAX_MANIFEST_BYTES) res.body.destroy()
    checkManifestSize(declared, what)
    return readAll(
      res.body,
      MAX_MANIFEST_BYTES,
      () =>
        new OciError(
          'OCI_MANIFEST_TOO_LARGE',
          `${what}: the registry sent more than ${MAX_MANIFEST_BYTES} bytes`,
          {
            hint: 'registries must accept manifests up to 4 MiB; this one is refused',
          },
        ),
    )
  }

  #reference(tagOrDigest: string): string {
    return isDigest(tagOrDigest) ? tagOrDigest : parseTag(tagOrDigest, `tag for ${this.location}`)
  }
}
