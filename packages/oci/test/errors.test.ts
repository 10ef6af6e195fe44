import { readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { collectingReporter, digestHex, sha256 } from '@polyship/core'
import {
  EMPTY_DESCRIPTOR,
  EMPTY_JSON,
  encodeManifest,
  MAX_MANIFEST_BYTES,
  MEDIA_TYPES,
  type OciError,
  RegistryClient,
  rejectConflict,
} from '@polyship/oci'
import { pushTestImage, startRegistry, type TestRegistry } from '@polyship/oci/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { failure } from './helpers.ts'

const { host } = inject('ociRegistry')
const client = new RegistryClient()
afterAll(() => client.close())

function requestsOf(reporter: ReturnType<typeof collectingReporter>): string[] {
  return reporter.events.flatMap((e) => (e.type === 'log' ? [e.message] : []))
}

describe('bad input is a coded error with a hint, and nothing lands under a tag', () => {
  it('refuses a manifest over 4 MiB before uploading anything', async () => {
    const reporter = collectingReporter()
    const counting = new RegistryClient({ deps: { reporter } })
    const store = counting.repository(`${host}/oci-test/too-large`)
    const content = encodeManifest({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: EMPTY_DESCRIPTOR,
      layers: [],
      annotations: { padding: 'x'.repeat(MAX_MANIFEST_BYTES) },
    })
    const error = await failure(store.putManifest(content, { tag: 'big' }))
    counting.close()
    expect(error.code).toBe('OCI_MANIFEST_TOO_LARGE')
    expect(error.hint).toContain('blob')
    expect(requestsOf(reporter).filter((r) => r.startsWith('PUT'))).toEqual([])
  })

  it('reports the blob a manifest references but the registry lacks, and leaves the tag absent', async () => {
    const store = client.repository(`${host}/oci-test/blob-unknown`)
    await store.pushBlob(EMPTY_DESCRIPTOR, EMPTY_JSON)
    const layer = { mediaType: MEDIA_TYPES.ociLayerGzip, digest: sha256('never pushed'), size: 12 }
    const content = encodeManifest({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: EMPTY_DESCRIPTOR,
      layers: [layer],
    })
    const error = await failure(store.putManifest(content, { tag: 'v1' }))
    expect(error.code).toBe('OCI_MANIFEST_BLOB_UNKNOWN')
    expect(error.message).toContain(layer.digest)
    expect(error.hint).toContain('before the manifest')
    expect(await store.resolve('v1')).toBeUndefined()
  })

  it('reports bytes that do not match their digest, and stores nothing under that digest', async () => {
    const store = client.repository(`${host}/oci-test/digest-mismatch`)
    const claimed = { mediaType: 'application/octet-stream', digest: sha256('what we said'), size: 11 }
    const error = await failure(store.pushBlob(claimed, new TextEncoder().encode('what we did')))
    expect(error.code).toBe('OCI_DIGEST_MISMATCH')
    expect(await store.hasBlob(claimed.digest)).toBe(false)
  })

  it('refuses an invalid tag before talking to the registry', async () => {
    const error = await failure(
      client
        .repository(`${host}/oci-test/tags`)
        .putManifest(encodeManifest({ schemaVersion: 2, config: EMPTY_DESCRIPTOR, layers: [] }), {
          tag: '1.0.0+build',
        }),
    )
    expect(error.code).toBe('OCI_REFERENCE_INVALID')
    expect(error.hint).toContain('1.0.0_build')
    expect(() => client.repository('ghcr.io/Acme/app')).toThrowError(
      expect.objectContaining({ code: 'OCI_REFERENCE_INVALID' }),
    )
  })

  it('turns a tag conflict into OCI_TAG_CONFLICT when asked', async () => {
    const store = client.repository(`${host}/oci-test/conflict`)
    const image = await pushTestImage(store, {
      seed: 'conflict-a',
      tag: '1.0.0',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
    })
    const other = await pushTestImage(store, {
      seed: 'conflict-b',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
    })
    const outcome = await store.putManifest(other.rootContent, { tag: '1.0.0' })
    let error: OciError | undefined
    try {
      rejectConflict(outcome)
    } catch (e) {
      error = e as OciError
    }
    expect(error?.code).toBe('OCI_TAG_CONFLICT')
    expect(error?.message).toContain(`${host}/oci-test/conflict:1.0.0 already points at ${image.root.digest}`)
    expect(rejectConflict(await store.putManifest(image.rootContent, { tag: '1.0.0' })).status).toBe(
      'unchanged',
    )
  })
})

it('stops before the tag when a registry (fake) says it stored another digest than sent', async () => {
  const puts: string[] = []
  const fake = createServer((req, res) => {
    if (req.method === 'PUT') puts.push(req.url ?? '')
    req.resume()
    if (req.url === '/v2/') res.writeHead(200)
    else if (req.method === 'PUT') res.writeHead(201, { 'docker-content-digest': sha256('something else') })
    else res.writeHead(404)
    res.end()
  })
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve))
  const local = new RegistryClient()
  const store = local.repository(`127.0.0.1:${(fake.address() as { port: number }).port}/app`)
  const content = encodeManifest({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: EMPTY_DESCRIPTOR,
    layers: [],
  })
  const error = await failure(store.putManifest(content, { tag: 'v1' }))
  local.close()
  fake.close()
  expect(error.code).toBe('OCI_DIGEST_MISMATCH')
  expect(puts.map((p) => p.split('/').pop())).toEqual([sha256(content.bytes)])
})

describe('a registry serving corrupted content (its storage altered on disk)', () => {
  let registry: TestRegistry
  beforeAll(async () => {
    registry = await startRegistry()
  })
  afterAll(() => registry.stop())

  const dataFile = (digest: string) =>
    join(
      registry.storageDir,
      'docker/registry/v2/blobs/sha256',
      digestHex(digest as `sha256:${string}`).slice(0, 2),
      digestHex(digest as `sha256:${string}`),
      'data',
    )

  it('fails blob and manifest reads with OCI_DIGEST_MISMATCH instead of returning wrong bytes', async () => {
    const local = new RegistryClient()
    const store = local.repository(`${registry.host}/corrupt/app`)
    const image = await pushTestImage(store, {
      seed: 'corrupt-registry',
      tag: 'v1',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
    })
    const layer = image.blobs[1]!
    const bytes = await readFile(dataFile(layer.digest))
    bytes[10]! ^= 0xff
    await writeFile(dataFile(layer.digest), bytes)
    const read = async () => {
      for await (const _ of await store.fetchBlob(layer)) {
      }
    }
    await expect(read()).rejects.toMatchObject({ code: 'OCI_DIGEST_MISMATCH' })

    const manifest = await readFile(dataFile(image.root.digest), 'utf8')
    await writeFile(dataFile(image.root.digest), manifest.replace('"schemaVersion":2', '"schemaVersion": 2'))
    const error = await failure(store.getManifest(image.root.digest))
    expect(error.code).toBe('OCI_DIGEST_MISMATCH')
    expect(error.message).toContain(image.root.digest)
    local.close()
  })
})
