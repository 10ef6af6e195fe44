import { OciError } from '../errors.ts'
import type { Descriptor } from '../manifest.ts'
import { discard, type HttpResponse } from './http.ts'
import { registryError } from './registry-error.ts'
import type { RegistryStore } from './registry-store.ts'
import { isRetryableError } from './retry.ts'

/**
 * The bytes of a blob, following redirects to blob storage; when the connection drops
 * mid-body the download continues with a `Range` request from the last byte received
 * (or skips what it has when the server ignores Range). Digest checking is the caller's.
 */
export async function* downloadBlob(
  store: RegistryStore,
  descriptor: Descriptor,
  first: HttpResponse,
  what: string,
): AsyncGenerator<Buffer> {
  const { client } = store
  const budget = client.retryBudget()
  let res = first
  let received = 0
  for (let failures = 0; ; ) {
    try {
      let skip = received > 0 && res.status === 200 ? received : 0
      for await (const chunk of res.body) {
        let buffer = chunk as Buffer
        if (skip > 0) {
          const dropped = Math.min(skip, buffer.length)
          skip -= dropped
          buffer = buffer.subarray(dropped)
          if (buffer.length === 0) continue
        }
        received += buffer.length
        failures = 0
        yield buffer
      }
      return
    } catch (error) {
      res.body.destroy()
      if (!isRetryableError(error)) throw error
      if (
        ++failures >= client.retry.attempts ||
        !(await client.waitBeforeRetry(failures - 1, undefined, what, budget, error))
      )
        throw client.unavailable(what, error, failures, budget)
      if (received >= descriptor.size) return
      res = await blobResponse(store, descriptor, received, what)
    }
  }
}

/**
 * GET of a blob from `offset`: 200 or 206, OCI_BLOB_UNKNOWN on 404. The answer may not be
 * longer than the blob, and gets the time the blob's size needs.
 */
export async function blobResponse(
  store: RegistryStore,
  descriptor: Pick<Descriptor, 'digest' | 'size'>,
  offset: number,
  what: string,
): Promise<HttpResponse> {
  const res = await store.client.request(store.registry, {
    method: 'GET',
    target: `/v2/${store.repository}/blobs/${descriptor.digest}`,
    scopes: [{ repository: store.repository, actions: ['pull'] }],
    what,
    redirects: true,
    headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    transferBytes: descriptor.size,
    // a little over the size, so that a longer blob is reported as a size mismatch by the reader
    maxBytes: descriptor.size + 64 * 1024,
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
