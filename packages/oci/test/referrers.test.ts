import { join } from 'node:path'
import { collectingReporter, run, sha256 } from '@polyship/core'
import {
  type Descriptor,
  EMPTY_DESCRIPTOR,
  EMPTY_JSON,
  encodeManifest,
  fallbackTag,
  LayoutStore,
  MEDIA_TYPES,
  type OciError,
  type OciStore,
  RegistryClient,
  referrerManifest,
} from '@polyship/oci'
import { pushTestImage, startReferrersFake } from '@polyship/oci/testing'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { tempDir } from './helpers.ts'

const { host, url } = inject('ociRegistry')
const SIGNATURE = 'application/vnd.dev.sigstore.bundle.v0.3+json'
const SBOM = 'application/vnd.cyclonedx+json'
const work = tempDir('referrers')
const client = new RegistryClient()

afterAll(() => client.close())

/** Pushes a one-layer referrer of `artifactType` (layer = `payload`) to `subject`; returns its manifest. */
async function referrer(store: OciStore, subject: Descriptor, artifactType: string, payload: string) {
  const bytes = new TextEncoder().encode(payload)
  const layer = { mediaType: artifactType, digest: sha256(bytes), size: bytes.length }
  await store.pushBlob(EMPTY_DESCRIPTOR, EMPTY_JSON)
  await store.pushBlob(layer, bytes)
  return referrerManifest({
    subject,
    artifactType,
    layers: [layer],
    annotations: { 'dev.polyship.payload': payload },
  })
}

describe('referrers through the sha256-<hex> tag fallback (docker-registry 2.8 has no referrers API)', () => {
  it('attaches, dedupes, filters and lists; skopeo sees the fallback index', async () => {
    const store = client.repository(`${host}/oci-test/referrers`)
    const image = await pushTestImage(store, { seed: 'referrers', tag: 'v1' })
    const signature = await referrer(store, image.root, SIGNATURE, 'sig')
    const sbom = await referrer(store, image.root, SBOM, 'sbom')

    expect(await store.attachReferrer(signature)).toMatchObject({ via: 'tag-fallback', added: true })
    expect(await store.attachReferrer(sbom)).toMatchObject({ via: 'tag-fallback', added: true })
    expect(await store.attachReferrer(signature)).toMatchObject({ via: 'tag-fallback', added: false })

    const all = await store.listReferrers(image.root.digest)
    expect(all.map((d) => d.artifactType)).toEqual([SIGNATURE, SBOM])
    expect(all[0]).toMatchObject({
      mediaType: MEDIA_TYPES.ociManifest,
      annotations: { 'dev.polyship.payload': 'sig' },
    })
    expect(await store.listReferrers(image.root.digest, SBOM)).toHaveLength(1)
    expect(await store.listReferrers(image.manifests[0]!.digest)).toEqual([])
    expect(await store.listTags()).toEqual([fallbackTag(image.root.digest), 'v1'].sort())

    const raw = (
      await run('skopeo', [
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${host}/oci-test/referrers:${fallbackTag(image.root.digest)}`,
      ])
    ).stdout
    expect((JSON.parse(raw) as { manifests: Descriptor[] }).manifests).toEqual(all)
  })

  it('keeps every referrer when many are attached at once', async () => {
    const store = client.repository(`${host}/oci-test/referrers-many`)
    const image = await pushTestImage(store, {
      seed: 'referrers-many',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
    })
    const manifests = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) => referrer(store, image.root, SIGNATURE, `sig-${i}`)),
    )
    await Promise.all(manifests.map((m) => store.attachReferrer(m)))
    expect(await store.listReferrers(image.root.digest)).toHaveLength(6)
  })

  it('writes the fallback index once for referrers attached together, listed in call order', async () => {
    const reporter = collectingReporter()
    const counted = new RegistryClient({ deps: { reporter } })
    try {
      const store = counted.repository(`${host}/oci-test/referrers-together`)
      const image = await pushTestImage(store, {
        seed: 'referrers-together',
        platforms: [{ os: 'linux', architecture: 'amd64' }],
      })
      const manifests = await Promise.all(
        [0, 1, 2, 3].map((i) => referrer(store, image.root, SIGNATURE, `together-${i}`)),
      )
      reporter.events.length = 0
      const outcomes = await Promise.all(manifests.map((m) => store.attachReferrer(m)))
      expect(outcomes.map((o) => o.added)).toEqual([true, true, true, true])
      const tag = fallbackTag(image.root.digest)
      const indexPuts = reporter.events.filter(
        (e) => e.type === 'log' && e.message.startsWith('PUT ') && e.message.includes(`/manifests/${tag}`),
      )
      expect(indexPuts).toHaveLength(1)
      expect((await store.listReferrers(image.root.digest)).map((d) => d.digest)).toEqual(
        manifests.map((m) => sha256(m.bytes)),
      )
      const again = await Promise.all(manifests.map((m) => store.attachReferrer(m)))
      expect(again.map((o) => o.added)).toEqual([false, false, false, false])
    } finally {
      counted.close()
    }
  })

  it('works the same in an OCI layout', async () => {
    const layout = new LayoutStore(join(work(), 'layout'))
    const image = await pushTestImage(layout, { seed: 'layout-referrers', tag: 'v1' })
    const signature = await referrer(layout, image.root, SIGNATURE, 'sig')
    expect(await layout.attachReferrer(signature)).toMatchObject({ via: 'tag-fallback', added: true })
    expect(await layout.attachReferrer(signature)).toMatchObject({ added: false })
    expect(await layout.listReferrers(image.root.digest, SIGNATURE)).toHaveLength(1)
    await run('skopeo', [
      'inspect',
      '--raw',
      `oci:${join(work(), 'layout')}:${fallbackTag(image.root.digest)}`,
    ])
  })

  it('refuses a referrer without subject', async () => {
    const store = client.repository(`${host}/oci-test/referrers`)
    const content = encodeManifest({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: EMPTY_DESCRIPTOR,
      layers: [],
    })
    const error = (await store.attachReferrer(content).catch((e: unknown) => e)) as OciError
    expect(error.code).toBe('OCI_MANIFEST_INVALID')
    expect(error.message).toContain('subject')
  })
})

describe('referrers API (fake: GET referrers + OCI-Subject in front of the real registry)', () => {
  it('uses the API when the registry answers OCI-Subject, and writes no fallback tag', async () => {
    const fake = await startReferrersFake({ target: url })
    try {
      const store = client.repository(`${fake.host}/oci-test/referrers-api`)
      const image = await pushTestImage(store, { seed: 'referrers-api', tag: 'v1' })
      const signature = await referrer(store, image.root, SIGNATURE, 'sig')
      const sbom = await referrer(store, image.root, SBOM, 'sbom')
      expect(await store.attachReferrer(signature)).toMatchObject({ via: 'referrers-api', added: true })
      expect(await store.attachReferrer(sbom)).toMatchObject({ via: 'referrers-api', added: true })
      expect(await store.attachReferrer(sbom)).toMatchObject({ via: 'referrers-api', added: false })
      const calls = fake.apiCalls()
      expect((await store.listReferrers(image.root.digest)).map((d) => d.artifactType)).toEqual([
        SIGNATURE,
        SBOM,
      ])
      expect(await store.listReferrers(image.root.digest, SBOM)).toHaveLength(1)
      expect(fake.apiCalls()).toBe(calls + 2)
      expect(await store.listTags()).toEqual(['v1'])
    } finally {
      await fake.stop()
    }
  })
})
