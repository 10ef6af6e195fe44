import { type Digest, formatDuration, isNetError } from '@polyship/core'
import { sourceChunks } from '../blob-stream.ts'
import { OciError } from '../errors.ts'
import type { Descriptor } from '../manifest.ts'
import type { BlobOutcome, BlobSource } from '../store.ts'
import type { Scope } from './auth/authenticator.ts'
import { discard, type HttpResponse, header } from './http.ts'
import { registryError } from './registry-error.ts'
import type { RegistryStore } from './registry-store.ts'
import { isRetryableError, isRetryableStatus } from './retry.ts'

/** The repository an upload goes to. */
type UploadTarget = Pick<RegistryStore, 'client' | 'registry' | 'repository' | 'location' | 'hasBlob'>

/** An upload session that broke in a way a fresh session can fix. */
class RestartUpload extends Error {}

/**
 * Uploads a blob the registry does not have: mount from `mountFrom` when given, else a
 * streamed monolithic PUT, or resumable PATCH chunks for blobs over the client's chunk
 * size. A broken session is restarted (after checking the blob did not land meanwhile).
 */
export async function uploadBlob(
  target: UploadTarget,
  descriptor: Descriptor,
  source: BlobSource,
  mountFrom: string | undefined,
): Promise<BlobOutcome> {
  const { client } = target
  const what = `push blob ${descriptor.digest} to ${target.location}`
  const budget = client.retryBudget()
  for (let restart = 0; ; restart++) {
    try {
      return await uploadOnce(target, descriptor, source, restart === 0 ? mountFrom : undefined, what)
    } catch (error) {
      const restartable =
        error instanceof RestartUpload ||
        (error instanceof OciError && error.code === 'OCI_UNAVAILABLE') ||
        (isNetError(error) && error.retryable)
      if (
        !restartable ||
        restart + 1 >= client.retry.attempts ||
        !(await client.waitBeforeRetry(restart, undefined, what, budget, error))
      ) {
        if (error instanceof RestartUpload) {
          throw new OciError('OCI_UPLOAD_FAILED', `${what}: ${error.message}`, {
            hint: 'the registry kept dropping the upload session; check its logs and storage, then push again',
          })
        }
        throw error
      }
      if (await target.hasBlob(descriptor.digest)) return 'uploaded'
    }
  }
}

async function uploadOnce(
  target: UploadTarget,
  descriptor: Descriptor,
  source: BlobSource,
  mountFrom: string | undefined,
  what: string,
): Promise<BlobOutcome> {
  const { client, registry, repository } = target
  const push: Scope[] = [{ repository, actions: ['pull', 'push'] }]
  const scopes: Scope[] =
    mountFrom === undefined ? push : [...push, { repository: mountFrom, actions: ['pull'] }]
  const query =
    mountFrom === undefined ? '' : `?mount=${descriptor.digest}&from=${encodeURIComponent(mountFrom)}`
  const started = await client.request(registry, {
    method: 'POST',
    target: `/v2/${repository}/blobs/uploads/${query}`,
    headers: { 'content-length': '0' },
    scopes,
    what,
  })
  if (started.status === 201 && mountFrom !== undefined) {
    await discard(started)
    checkDigestHeader(started, descriptor.digest, what)
    return 'mounted'
  }
  let location = await sessionLocation(started, what)
  if (descriptor.size <= client.chunkSize) {
    const res = await client.request(registry, {
      method: 'PUT',
      target: withDigest(location, descriptor.digest),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(descriptor.size) },
      body: () => sourceChunks(source, 0, descriptor.size),
      scopes: push,
      what,
      transferBytes: descriptor.size,
      commitBytes: descriptor.size,
    })
    return finish(res, descriptor.digest, what)
  }

  let offset = 0
  let failures = 0
  const budget = client.retryBudget()
  while (offset < descriptor.size) {
    const end = Math.min(offset + client.chunkSize, descriptor.size)
    const start = offset
    let res: HttpResponse | undefined
    let failure: unknown
    try {
      res = await client.request(registry, {
        method: 'PATCH',
        target: location,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(end - start),
          'content-range': `${start}-${end - 1}`,
        },
        body: () => sourceChunks(source, start, end),
        scopes: push,
        what,
        retry: false,
        transferBytes: end - start,
      })
    } catch (error) {
      if (!(error instanceof OciError && error.code === 'OCI_UNAVAILABLE') && !isRetryableError(error))
        throw error
      failure = error
    }
    if (res !== undefined && res.status === 202) {
      await discard(res)
      location = await sessionLocation(res, what)
      offset = rangeEnd(res) ?? end
      failures = 0
      continue
    }
    if (res !== undefined && !isRetryableStatus(res.status)) {
      if (res.status === 404 || res.status === 416) {
        await discard(res)
        throw new RestartUpload(`chunk ${start}-${end - 1} was refused (${res.status})`)
      }
      throw await registryError(res, what)
    }
    if (
      ++failures >= client.retry.attempts ||
      !(await client.waitBeforeRetry(failures - 1, res, what, budget, failure))
    ) {
      if (res !== undefined) throw await registryError(res, what)
      if (isNetError(failure)) throw failure.gaveUp(failures, formatDuration(budget.elapsedMs()))
      throw new RestartUpload(`chunk ${start}-${end - 1} failed ${failures} times`)
    }
    if (res !== undefined) await discard(res)
    offset = await resumeOffset(target, location, what, offset)
  }
  const res = await client.request(registry, {
    method: 'PUT',
    target: withDigest(location, descriptor.digest),
    headers: { 'content-type': 'application/octet-stream', 'content-length': '0' },
    scopes: push,
    what,
    commitBytes: descriptor.size,
  })
  return finish(res, descriptor.digest, what)
}

/**
 * Asks the registry how much of the session it holds (`Range: 0-<last>`), to resume right
 * after it. `confirmed` is what it acknowledged before; distribution writes `0-0` for an
 * empty session too, which is read as 0 when nothing was acknowledged.
 */
async function resumeOffset(
  target: UploadTarget,
  location: URL,
  what: string,
  confirmed: number,
): Promise<number> {
  const res = await target.client.request(target.registry, {
    method: 'GET',
    target: location,
    scopes: [{ repository: target.repository, actions: ['pull', 'push'] }],
    what: `${what} (upload status)`,
  })
  await discard(res)
  if (res.status !== 204 && res.status !== 202)
    throw new RestartUpload(`the upload session is gone (${res.status})`)
  const reported = rangeEnd(res) ?? confirmed
  const offset = reported === 1 && confirmed === 0 && header(res, 'range')?.endsWith('0-0') ? 0 : reported
  if (offset < confirmed)
    throw new RestartUpload(`the registry holds ${offset} bytes after acknowledging ${confirmed}`)
  return offset
}

/** The offset after a `Range: 0-<last>` header (the next byte to send). */
function rangeEnd(res: HttpResponse): number | undefined {
  const match = /^(?:bytes=)?0-(\d+)$/.exec(header(res, 'range') ?? '')
  return match === null ? undefined : Number(match[1]) + 1
}

async function sessionLocation(res: HttpResponse, what: string): Promise<URL> {
  if (res.status !== 202) {
    if (res.status === 404) {
      await discard(res)
      throw new RestartUpload(`the upload session is gone (${res.status})`)
    }
    throw await registryError(res, what)
  }
  await discard(res)
  const location = header(res, 'location')
  if (location === undefined) {
    throw new OciError('OCI_REGISTRY_ERROR', `${what}: registry started an upload without a Location`, {
      hint: 'the registry does not follow the distribution spec',
    })
  }
  return new URL(location, res.url)
}

/** Appends `digest=` to the session URL as is: re-encoding its query could break opaque state tokens. */
function withDigest(location: URL, digest: Digest): URL {
  return new URL(`${location.href}${location.search === '' ? '?' : '&'}digest=${encodeURIComponent(digest)}`)
}

async function finish(res: HttpResponse, digest: Digest, what: string): Promise<BlobOutcome> {
  if (res.status === 404) {
    await discard(res)
    throw new RestartUpload(`the upload session is gone (${res.status})`)
  }
  if (res.status !== 201 && res.status !== 204) throw await registryError(res, what)
  await discard(res)
  checkDigestHeader(res, digest, what)
  return 'uploaded'
}

/** The registry echoes the digest it stored; a different one means it received other bytes. */
function checkDigestHeader(res: HttpResponse, digest: Digest, what: string): void {
  const echoed = header(res, 'docker-content-digest')
  if (echoed !== undefined && echoed !== digest) {
    throw new OciError('OCI_DIGEST_MISMATCH', `${what}: registry stored ${echoed} instead of ${digest}`, {
      hint: 'the bytes were altered on the way (a proxy?) or the registry is broken; nothing was tagged',
    })
  }
}
