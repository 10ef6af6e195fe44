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
  unlisted,
  withReferrers,
} from '../referrers/fallback.ts'
import type { AttachOutcome } from '../store.ts'
import { discard, header } from './http.ts'
import { registryError } from './registry-error.ts'
import type { RegistryStore } from './registry-store.ts'

const FALLBACK_UPDATE_TRIES = 8

/** Referrers of one subject attached at the same time, whose fallback index is written once for all. */
interface Batch {
  /** Attach calls that joined; the batch closes when every one has stored its manifest (or failed). */
  calls: number
  settled: number
  readonly entries: { readonly ticket: number; readonly entry: Descriptor }[]
  /** The digests the fallback index did not list before this batch's update. */
  readonly listed: PromiseWithResolvers<ReadonlySet<Digest>>
}

/**
 * Coalesces the `sha256-<hex>` fallback updates of one client: referrers of a subject whose
 * attach calls overlap (an image's signature, SBOMs and provenance) are pushed by digest
 * concurrently, then added to the index in one read, PUT and read-back, in the order the
 * calls were made. Updates of one subject still run one after another (`serialize`).
 */
export class ReferrerBatches {
  readonly #open = new Map<string, Batch>()

  join(key: string): { readonly batch: Batch; readonly ticket: number } {
    let batch = this.#open.get(key)
    if (batch === undefined) {
      batch = { calls: 0, settled: 0, entries: [], listed: Promise.withResolvers() }
      // a failed update is reported to every caller that waits for it, not as unhandled
      batch.listed.promise.catch(() => undefined)
      this.#open.set(key, batch)
    }
    return { batch, ticket: batch.calls++ }
  }

  /** One call is done storing its manifest: with `entry` to list, or without (failed, or the referrers API). */
  settle(
    store: RegistryStore,
    key: string,
    subject: Digest,
    batch: Batch,
    joined?: Batch['entries'][number],
  ) {
    if (joined !== undefined) batch.entries.push(joined)
    if (++batch.settled < batch.calls) return
    if (this.#open.get(key) === batch) this.#open.delete(key)
    const entries = batch.entries.sort((a, b) => a.ticket - b.ticket).map((e) => e.entry)
    if (entries.length === 0) {
      batch.listed.resolve(new Set())
      return
    }
    store.client
      .serialize(key, () => addToFallback(store, subject, entries))
      .then(batch.listed.resolve, batch.listed.reject)
  }
}

/**
 * Pushes a referrer by digest. When the registry answers `OCI-Subject` it indexes referrers
 * itself (referrers API); otherwise the `sha256-<hex>` fallback index is updated, together
 * with the other referrers of the subject being attached at the same time (ReferrerBatches).
 */
export async function attachToRegistry(
  store: RegistryStore,
  content: ManifestContent,
): Promise<AttachOutcome> {
  const { subject, entry } = parseReferrer(content, `referrer for ${store.location}`)
  const descriptor = descriptorOf(content)
  const key = `${store.location}@${subject.digest}`
  const batches = store.client.referrerBatches
  const { batch, ticket } = batches.join(key)
  let existed: boolean
  try {
    existed = (await store.resolve(descriptor.digest)) !== undefined
    const subjectHeader = existed ? undefined : await store.putManifestAt(content, descriptor.digest)
    const viaApi =
      subjectHeader !== undefined || (existed && (await referrersApi(store, subject.digest)) !== undefined)
    if (viaApi) {
      batches.settle(store, key, subject.digest, batch)
      return { descriptor, via: 'referrers-api', added: !existed }
    }
  } catch (error) {
    batches.settle(store, key, subject.digest, batch)
    throw error
  }
  batches.settle(store, key, subject.digest, batch, { ticket, entry })
  const newlyListed = await batch.listed.promise
  return { descriptor, via: 'tag-fallback', added: !existed || newlyListed.has(descriptor.digest) }
}

/**
 * Adds `entries` to the fallback index: read, append what it lacks, PUT with If-Match when
 * the registry gave an ETag, then read back until every entry is there (a concurrent writer
 * without conditional PUT may have replaced it). Returns the digests it had to add.
 */
async function addToFallback(
  store: RegistryStore,
  subject: Digest,
  entries: readonly Descriptor[],
): Promise<ReadonlySet<Digest>> {
  const tag = fallbackTag(subject)
  const what = `update referrers tag ${store.location}:${tag}`
  let added: ReadonlySet<Digest> | undefined
  for (let attempt = 0; attempt < FALLBACK_UPDATE_TRIES; attempt++) {
    const current = await fallbackIndex(store, subject)
    added ??= new Set(unlisted(current.index, entries).map((d) => d.digest))
    const next = withReferrers(current.index, entries)
    if (next === undefined) return added
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
