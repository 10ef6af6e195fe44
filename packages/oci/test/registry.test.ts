import { join } from 'node:path'
import { collectingReporter, run, sha256 } from '@polyship/core'
import {
  encodeManifest,
  insecureHostsOf,
  LayoutStore,
  MEDIA_TYPES,
  openStore,
  RegistryClient,
  type RegistryStore,
} from '@polyship/oci'
import { pushTestImage } from '@polyship/oci/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { tempDir } from './helpers.ts'

const { host } = inject('ociRegistry')
const crane = join(process.env.HOME ?? '/root', '.cache/polyship/bin/crane')
const work = tempDir('registry')
const client = new RegistryClient()

afterAll(() => client.close())

async function skopeo(...args: string[]): Promise<string> {
  return (await run('skopeo', args, { timeoutMs: 120_000 })).stdout
}

describe('RegistryStore against docker-registry 2.8', () => {
  let store: RegistryStore
  let image: Awaited<ReturnType<typeof pushTestImage>>

  beforeAll(async () => {
    store = client.repository(`${host}/oci-test/roundtrip`)
    image = await pushTestImage(store, { seed: 'roundtrip', tag: '1.0.0' })
  })

  it('pushes an index that skopeo reads back byte for byte and crane validates', async () => {
    expect(image.outcome.status).toBe('published')
    const raw = await skopeo(
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${host}/oci-test/roundtrip:1.0.0`,
    )
    expect(Buffer.from(raw)).toEqual(Buffer.from(image.rootContent.bytes))
    expect(sha256(raw)).toBe(image.root.digest)
    await run(crane, ['validate', '--remote', `${host}/oci-test/roundtrip:1.0.0`, '--insecure'])
  })

  it('round-trips through skopeo copy docker:// -> oci:DIR:tag with the same digests', async () => {
    const dir = join(work(), 'skopeo-copy')
    await skopeo(
      'copy',
      '--all',
      '--preserve-digests',
      '--src-tls-verify=false',
      `docker://${host}/oci-test/roundtrip:1.0.0`,
      `oci:${dir}:copied`,
    )
    const layout = new LayoutStore(dir)
    expect(await layout.resolve('copied')).toMatchObject({ digest: image.root.digest })
    for (const blob of image.blobs) expect(await layout.hasBlob(blob.digest)).toBe(true)
  })

  it('resolves, gets and lists what it pushed', async () => {
    expect(await store.resolve('1.0.0')).toEqual(image.root)
    expect(await store.resolve(image.root.digest)).toEqual(image.root)
    expect(await store.resolve('missing')).toBeUndefined()
    const got = await store.getManifest('1.0.0')
    expect(Buffer.from(got.bytes)).toEqual(Buffer.from(image.rootContent.bytes))
    expect(got.mediaType).toBe(MEDIA_TYPES.ociIndex)
    expect(await store.listTags()).toEqual(['1.0.0'])
    expect(await client.repository(`${host}/oci-test/never-pushed`).listTags()).toEqual([])
    const config = image.blobs[0]!
    const chunks: Buffer[] = []
    for await (const chunk of await store.fetchBlob(config)) chunks.push(chunk as Buffer)
    expect(sha256(Buffer.concat(chunks))).toBe(config.digest)
  })

  it('re-putting the same manifest under the tag is unchanged; another one is a conflict that writes nothing', async () => {
    expect(await store.putManifest(image.rootContent, { tag: '1.0.0' })).toMatchObject({
      status: 'unchanged',
    })
    const other = encodeManifest({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: image.manifests,
      annotations: { 'org.opencontainers.image.version': 'other' },
    })
    const outcome = await store.putManifest(other, { tag: '1.0.0' })
    expect(outcome).toMatchObject({ status: 'conflict', existing: image.root.digest })
    expect((await store.resolve('1.0.0'))?.digest).toBe(image.root.digest)
    expect(await store.putManifest(other, { tag: 'latest', moveTag: true })).toMatchObject({
      status: 'published',
    })
    expect(await store.putManifest(image.rootContent, { tag: 'latest', moveTag: true })).toMatchObject({
      status: 'published',
    })
  })

  it('re-pushing blobs that exist costs one HEAD each', async () => {
    const reporter = collectingReporter()
    const counting = new RegistryClient({ deps: { reporter } })
    const again = counting.repository(`${host}/oci-test/roundtrip`)
    for (const blob of image.blobs) expect(await again.pushBlob(blob, new Uint8Array())).toBe('exists')
    const requests = reporter.events.flatMap((e) => (e.type === 'log' ? [e.message] : []))
    expect(requests.filter((r) => r.startsWith('HEAD'))).toHaveLength(image.blobs.length)
    expect(requests.filter((r) => !r.startsWith('HEAD') && !r.endsWith('/v2/ 200'))).toEqual([])
    counting.close()
  })
})

describe('openStore', () => {
  it('opens configured destinations: a layout relative to the workspace, a registry repository', () => {
    const layout = openStore({ type: 'oci-layout', path: 'dist/oci' }, { baseDir: '/ws' })
    expect(layout).toBeInstanceOf(LayoutStore)
    expect((layout as LayoutStore).dir).toBe('/ws/dist/oci')
    const remote = openStore(
      { type: 'registry', repository: 'registry.lan:5000/team/app', insecure: true },
      { baseDir: '/ws' },
    )
    expect(remote.location).toBe('registry.lan:5000/team/app')
    expect((remote as RegistryStore).client.insecureHosts).toEqual(['registry.lan:5000'])
    expect(insecureHostsOf([{ type: 'registry', repository: 'ghcr.io/acme/app' }])).toEqual([])
  })
})
