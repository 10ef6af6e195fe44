import { join } from 'node:path'
import { run, sha256 } from '@polyship/core'
import { LayoutStore, type OciError, RegistryClient } from '@polyship/oci'
import { type FaultProxy, pushTestImage, randomBytes, startFaultProxy } from '@polyship/oci/testing'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { tempDir } from './helpers.ts'

const { host, url } = inject('ociRegistry')
const work = tempDir('faults')
let proxy: FaultProxy | undefined
const sleeps: number[] = []
/** Fast retries (no real waiting), so faults cost no test time; the delays asked for are recorded. */
const fastDeps = {
  sleep: async (ms: number) => {
    sleeps.push(ms)
  },
}

afterEach(async () => {
  await proxy?.stop()
  proxy = undefined
})

async function bytesOf(size: number, seed: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of randomBytes(seed, size)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

describe('fault injection (seeded resets and 503s between client and the real registry)', () => {
  it('completes a chunked multi-platform push and skopeo reads back the exact content', async () => {
    proxy = await startFaultProxy({
      target: url,
      seed: 42,
      reset: 0.12,
      unavailable: 0.12,
      resetMidBody: 0.12,
      retryAfterSeconds: 0,
    })
    const client = new RegistryClient({ chunkSize: 256 * 1024, retry: { attempts: 8 }, deps: fastDeps })
    const image = await pushTestImage(client.repository(`${proxy.host}/oci-test/faults`), {
      seed: 'faults',
      tag: 'v1',
      layerSize: 700 * 1024,
    })
    client.close()
    expect(image.outcome.status).toBe('published')
    const actions = new Set(proxy.log.map((entry) => entry.action))
    expect(actions).toEqual(new Set(['pass', 'reset', 'unavailable', 'reset-mid-body']))

    const dir = join(work(), 'faults-copy')
    await run('skopeo', [
      'copy',
      '--all',
      '--preserve-digests',
      '--src-tls-verify=false',
      `docker://${host}/oci-test/faults:v1`,
      `oci:${dir}:v1`,
    ])
    const copied = new LayoutStore(dir)
    expect((await copied.resolve('v1'))?.digest).toBe(image.root.digest)
    for (const blob of image.blobs) {
      const chunks: Buffer[] = []
      for await (const chunk of await copied.fetchBlob(blob)) chunks.push(chunk as Buffer)
      expect(sha256(Buffer.concat(chunks))).toBe(blob.digest)
    }
  })

  it('resumes a chunked upload from the Range the registry reports, in one session', async () => {
    proxy = await startFaultProxy({
      target: url,
      seed: 7,
      reset: 0.3,
      unavailable: 0.3,
      applies: (method) => method === 'PATCH',
    })
    const client = new RegistryClient({ chunkSize: 128 * 1024, deps: fastDeps })
    const data = await bytesOf(1024 * 1024 + 17, 'resume')
    const blob = { mediaType: 'application/octet-stream', digest: sha256(data), size: data.length }
    expect(await client.repository(`${proxy.host}/oci-test/resume`).pushBlob(blob, data)).toBe('uploaded')
    client.close()
    const log = proxy.log
    expect(log.filter((e) => e.method === 'POST')).toHaveLength(1)
    expect(log.filter((e) => e.action !== 'pass').length).toBeGreaterThan(2)
    const statusQueries = log.filter((e) => e.method === 'GET' && e.path.includes('/blobs/uploads/'))
    expect(statusQueries.length).toBe(log.filter((e) => e.action !== 'pass').length)
    const sentRanges = log.filter((e) => e.action === 'pass' && e.method === 'PATCH').map((e) => e.range)
    expect(sentRanges).toEqual(
      [...Array(9).keys()].map((i) => `${i * 131072}-${Math.min((i + 1) * 131072, data.length) - 1}`),
    )
  })

  it('resumes a download cut mid-body with a Range request and verifies the digest', async () => {
    const data = await bytesOf(3 * 1024 * 1024, 'download')
    const blob = { mediaType: 'application/octet-stream', digest: sha256(data), size: data.length }
    const direct = new RegistryClient()
    await direct.repository(`${host}/oci-test/download`).pushBlob(blob, data)
    direct.close()
    proxy = await startFaultProxy({ target: url, seed: 3, reset: 0, unavailable: 0, resetMidResponse: 0.6 })
    const client = new RegistryClient({ deps: fastDeps })
    const chunks: Buffer[] = []
    for await (const chunk of await client.repository(`${proxy.host}/oci-test/download`).fetchBlob(blob))
      chunks.push(chunk as Buffer)
    client.close()
    expect(sha256(Buffer.concat(chunks))).toBe(blob.digest)
    expect(proxy.log.filter((e) => e.action === 'reset-mid-response').length).toBeGreaterThan(0)
  })

  it('honours Retry-After, and gives up with OCI_UNAVAILABLE after the bounded number of tries', async () => {
    proxy = await startFaultProxy({
      target: url,
      seed: 1,
      reset: 0,
      unavailable: 1,
      retryAfterSeconds: 3,
      maxConsecutiveFaults: 1,
    })
    sleeps.length = 0
    const client = new RegistryClient({ deps: fastDeps })
    expect(await client.repository(`${proxy.host}/oci-test/retry-after`).hasBlob(sha256('none'))).toBe(false)
    expect(sleeps).toEqual([3000])
    client.close()
    await proxy.stop()

    proxy = await startFaultProxy({
      target: url,
      seed: 1,
      reset: 0.5,
      unavailable: 0.5,
      maxConsecutiveFaults: 1000,
    })
    const failing = new RegistryClient({ retry: { attempts: 4 }, deps: fastDeps })
    const error = (await failing
      .repository(`${proxy.host}/oci-test/retry-after`)
      .hasBlob(sha256('none'))
      .catch((e: unknown) => e)) as OciError
    failing.close()
    expect(error.code).toBe('OCI_UNAVAILABLE')
    expect(proxy.log.filter((e) => e.path !== '/v2/')).toHaveLength(4)
  })
})
