import type { Digest } from '@polyship/core'
import { OciError } from '../errors.ts'
import { type Descriptor, descriptorOf, type ManifestContent } from '../manifest.ts'
import { MANIFEST_ACCEPT, MEDIA_TYPES } from '../media-types.ts'
import {
  EMPTY_REFERRERS,
  fallbackTag,
  filterReferrers,
  parseReferrer,
  parseReferrersIndex,
  withReferrer,
} from '../referrers/fallback.ts'
import type { AttachOutcome } from '../store.ts'
import { discard, header } from './http.ts'
import { registryError } from './registry-error.ts'
import type { RegistryStore } from './registry-store.ts'

const FALLBACK_UPDATE_TRIES = 8

/**
 * Pushes a referrer by digest. When the registry answers `OCI-Subject` it indexes referrers
 * itself (referrers API); otherwise the `sha256-<hex>` fallback index is updated: read,
 * append, PUT with If-Match when the registry gave an ETag, then read back until the
 * entry is there (a concurrent writer without conditional PUT may have replaced it).
 */
export async function attachToRegistry(
  store: RegistryStore,
  content: ManifestContent,
): Promise<AttachOutcome> {
  const where = `referrer for ${store.location}`
  const { subject, entry } = parseReferrer(content, where)
  const descriptor = descriptorOf(content)
  const existed = (await store.resolve(descriptor.digest)) !== undefined
  const subjectHeader = existed ? undefined : await store.putManifestAt(content, descriptor.digest)
  if (subjectHeader !== undefined) return { descriptor, via: 'referrers-api', added: true }
  if (existed && (await referrersApi(store, subject.digest)) !== undefined) {
    return { descriptor, via: 'referrers-api', added: false }
  }
  const tag = fallbackTag(subject.digest)
  const what = `update referrers tag ${store.location}:${tag}`
  for (let attempt = 0; attempt < FALLBACK_UPDATE_TRIES; attempt++) {
    const current = await fallbackIndex(store, subject.digest)
    const next = withReferrer(current.index, entry)
    if (next === undefined) return { descriptor, via: 'tag-fallback', added: attempt > 0 || !existed }
    const res = await store.send('PUT', `/manifests/${tag}`, 'push', what, {
      headers: {
        'content-type': next.mediaType,
        ...(current.etag === undefined ? {} : { 'if-match': current.etag }),
      },
      body: next.bytes,
    })
    await discard(res)
    if (res.status === 412) continue
    if (res.status !== 201 && res.status !== 200) throw await registryError(res, what)
  }
  throw new OciError('OCI_REGISTRY_ERROR', `${what}: the index kept changing under concurrent updates`, {
    hint: 'other processes are attaching referrers to the same subject; run again',
  })
}

export async function listRegistryReferrers(
  store: RegistryStore,
  subject: Digest,
  artifactType: string | undefined,
): Promise<Descriptor[]> {
  const viaApi = await referrersApi(store, subject, artifactType)
  if (viaApi !== undefined) return viaApi
  return filterReferrers((await fallbackIndex(store, subject)).index.manifests, artifactType)
}

/** GET /v2/<name>/referrers/<digest>; undefined when the registry has no referrers API (404). */
async function referrersApi(
  store: RegistryStore,
  subject: Digest,
  artifactType?: string,
): Promise<Descriptor[] | undefined> {
  const what = `list referrers of ${store.location}@${subject}`
  const query = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`
  const res = await store.send('GET', `/referrers/${subject}${query}`, 'pull', what, {
    headers: { accept: MEDIA_TYPES.ociIndex },
  })
  if (res.status === 404) {
    await discard(res)
    return undefined
  }
  if (res.status !== 200) throw await registryError(res, what)
  const bytes = await store.readManifestBody(res, what)
  const index = parseReferrersIndex({ bytes, mediaType: MEDIA_TYPES.ociIndex }, what)
  // A registry that did not apply the filter says so by leaving OCI-Filters-Applied out.
  return filterReferrers(index.manifests, artifactType)
}

async function fallbackIndex(store: RegistryStore, subject: Digest) {
  const tag = fallbackTag(subject)
  const what = `get referrers tag ${store.location}:${tag}`
  const res = await store.send('GET', `/manifests/${tag}`, 'pull', what, {
    headers: { accept: MANIFEST_ACCEPT },
  })
  if (res.status === 404) {
    await discard(res)
    return { index: EMPTY_REFERRERS, etag: undefined }
  }
  if (res.status !== 200) throw await registryError(res, what)
  const bytes = await store.readManifestBody(res, what)
  return {
    index: parseReferrersIndex({ bytes, mediaType: MEDIA_TYPES.ociIndex }, what),
    etag: header(res, 'etag'),
  }
}
