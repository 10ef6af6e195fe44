import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { run, sha256 } from '@polyship/core'
import {
  copyImage,
  encodeManifest,
  LayoutStore,
  MEDIA_TYPES,
  type OciError,
  RegistryClient,
} from '@polyship/oci'
import { pushTestImage } from '@polyship/oci/testing'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { tempDir } from './helpers.ts'

const { host } = inject('ociRegistry')
const work = tempDir('layout')
const client = new RegistryClient()

afterAll(() => client.close())

async function files(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    out[relative(dir, path)] = sha256(await readFile(path))
  }
  return out
}

describe('LayoutStore', () => {
  it('writes a layout skopeo reads and copies to a registry with the same digests', async () => {
    const dir = join(work(), 'skopeo')
    const layout = new LayoutStore(dir)
    const image = await pushTestImage(layout, { seed: 'layout-skopeo', tag: 'v1' })
    const raw = (await run('skopeo', ['inspect', '--raw', `oci:${dir}:v1`])).stdout
    expect(sha256(raw)).toBe(image.root.digest)
    await run('skopeo', [
      'copy',
      '--all',
      '--preserve-digests',
      '--dest-tls-verify=false',
      `oci:${dir}:v1`,
      `docker://${host}/oci-test/from-layout:v1`,
    ])
    expect((await client.repository(`${host}/oci-test/from-layout`).resolve('v1'))?.digest).toBe(
      image.root.digest,
    )
    expect(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    })
  })

  it('writes a single-platform image umoci unpacks into a rootfs', async () => {
    const dir = join(work(), 'umoci')
    const image = await pushTestImage(new LayoutStore(dir), {
      seed: 'layout-umoci',
      tag: 'app',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
      layerSize: 1000,
    })
    expect(image.root.mediaType).toBe(MEDIA_TYPES.ociManifest)
    const bundle = join(work(), 'bundle')
    await run('umoci', ['unpack', '--rootless', '--image', `${dir}:app`, bundle])
    expect((await readFile(join(bundle, 'rootfs', 'data', '0-1.bin'))).length).toBe(1000)
  })

  it('is byte-identical when the same image is written twice', async () => {
    const a = join(work(), 'repro-a')
    const b = join(work(), 'repro-b')
    await pushTestImage(new LayoutStore(a), { seed: 'repro', tag: '1.0.0' })
    await pushTestImage(new LayoutStore(b), { seed: 'repro', tag: '1.0.0' })
    expect(await files(a)).toEqual(await files(b))
  })

  it('keeps every tag when two processes write the same layout at once', async () => {
    const dir = join(work(), 'concurrent')
    const script = join(import.meta.dirname, 'fixtures', 'tag-many.ts')
    await Promise.all(['a', 'b'].map((prefix) => run(process.execPath, [script, dir, prefix, '25'])))
    const tags = await new LayoutStore(dir).listTags()
    expect(tags).toHaveLength(50)
    expect(tags.filter((t) => t.startsWith('a-'))).toHaveLength(25)
    const leftovers = (await readdir(dir, { recursive: true })).filter(
      (f) => f.endsWith('.tmp') || f.endsWith('.lock'),
    )
    expect(leftovers).toEqual([])
  })

  it('refuses a manifest whose blobs are missing and tags nothing', async () => {
    const dir = join(work(), 'missing')
    const layout = new LayoutStore(dir)
    const image = await pushTestImage(new LayoutStore(join(work(), 'missing-src')), {
      seed: 'missing',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
    })
    const error = (await layout
      .putManifest(image.rootContent, { tag: 'v1' })
      .catch((e: unknown) => e)) as OciError
    expect(error.code).toBe('OCI_MANIFEST_BLOB_UNKNOWN')
    expect(error.message).toContain(image.blobs[0]!.digest)
    expect(await layout.listTags()).toEqual([])
  })

  it('detects a corrupted blob when reading it', async () => {
    const dir = join(work(), 'corrupt')
    const layout = new LayoutStore(dir)
    const image = await pushTestImage(layout, {
      seed: 'corrupt',
      tag: 'v1',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
    })
    const layer = image.blobs[1]!
    const bytes = await readFile(layout.blobPath(layer.digest))
    bytes[bytes.length - 100]! ^= 0xff
    await writeFile(layout.blobPath(layer.digest), bytes)
    const read = async () => {
      for await (const _ of await layout.fetchBlob(layer)) {
      }
    }
    await expect(read()).rejects.toMatchObject({ code: 'OCI_DIGEST_MISMATCH' })
  })
})

describe('copyImage', () => {
  it('copies layout -> registry -> layout, children first, and reports unchanged and conflict', async () => {
    const source = new LayoutStore(join(work(), 'copy-src'))
    const image = await pushTestImage(source, { seed: 'copy', tag: '2.0.0' })
    const remote = client.repository(`${host}/oci-test/copy`)
    expect(await copyImage(source, remote, '2.0.0')).toMatchObject({
      status: 'published',
      location: `${host}/oci-test/copy:2.0.0`,
      descriptor: image.root,
    })
    expect(await copyImage(source, remote, '2.0.0')).toMatchObject({ status: 'unchanged' })

    const back = new LayoutStore(join(work(), 'copy-back'))
    expect(await copyImage(remote, back, '2.0.0', { tag: 'copied' })).toMatchObject({ status: 'published' })
    expect(await files(join(work(), 'copy-back', 'blobs'))).toEqual(
      Object.fromEntries(Object.entries(await files(join(work(), 'copy-src', 'blobs')))),
    )

    const other = await pushTestImage(source, { seed: 'copy-other', tag: 'other' })
    const conflict = await copyImage(source, remote, 'other', { tag: '2.0.0' })
    expect(conflict).toMatchObject({ status: 'conflict', existing: image.root.digest })
    expect(await remote.resolve(other.root.digest)).toBeUndefined()
  })

  it('mounts blobs across repositories of one registry instead of uploading them', async () => {
    const from = client.repository(`${host}/oci-test/copy`)
    const to = client.repository(`${host}/oci-test/copy-mounted`)
    const reporter: string[] = []
    const counting = new RegistryClient({
      deps: { reporter: { emit: (e) => void (e.type === 'log' && reporter.push(e.message)) } },
    })
    const outcome = await copyImage(
      counting.repository(from.location),
      counting.repository(to.location),
      '2.0.0',
    )
    counting.close()
    expect(outcome.status).toBe('published')
    expect(reporter.filter((r) => r.startsWith('POST') && r.endsWith(' 201'))).toHaveLength(6)
    expect(
      reporter.filter((r) => r.startsWith('PATCH') || (r.startsWith('PUT') && r.includes('/blobs/'))),
    ).toEqual([])
  })
})

it('encodes manifests compactly with keys in the order given', () => {
  const content = encodeManifest({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] })
  expect(Buffer.from(content.bytes).toString()).toMatchInlineSnapshot(
    `"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"`,
  )
})
