import { randomBytes } from 'node:crypto'
import { readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run, sha256 } from '@polyship/core'
import {
  type ChartRelease,
  chartStore,
  HELM_MEDIA_TYPES,
  HelmError,
  type PackagedChart,
  packageChart,
  pushChart,
  readPackagedChart,
} from '@polyship/helm'
import { parseManifest, RegistryClient } from '@polyship/oci'
import type {} from '@polyship/oci/testing'
import { pushTestImage, startRegistry, type TestImage } from '@polyship/oci/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { copyExampleChart, MCP_CONFIG, tempDirs } from './helpers.ts'

const temp = tempDirs('push')
const env = { SOURCE_DATE_EPOCH: '1700000000' }
const AMD64 = { os: 'linux', architecture: 'amd64' }

let host: string
let stopRegistry: (() => Promise<void>) | undefined
let client: RegistryClient
/** Repositories unique to this run: the registry is shared by every package's tests. */
const prefix = `helm-test-${randomBytes(4).toString('hex')}`
let images: Record<'time-server-go' | 'echo-server-rust', TestImage>
let release: ChartRelease
let chartDir: string
let chart: PackagedChart

beforeAll(async () => {
  const shared = inject('ociRegistry') as { host: string } | undefined
  if (shared === undefined) {
    const registry = await startRegistry()
    stopRegistry = registry.stop
    host = registry.host
  } else host = shared.host
  client = new RegistryClient()
  const push = (name: string, seed: string) =>
    pushTestImage(client.repository(`${host}/${prefix}/${name}`), {
      seed,
      platforms: [AMD64],
      layers: 1,
      layerSize: 4096,
      tag: '1.4.0',
    })
  images = {
    'time-server-go': await push('time-server-go', 'time'),
    'echo-server-rust': await push('echo-server-rust', 'echo'),
  }
  release = {
    versions: { 'time-server-go': '1.4.0', 'echo-server-rust': '1.4.0' },
    images: Object.fromEntries(
      Object.entries(images).map(([name, image]) => [
        name,
        { repository: `${host}/${prefix}/${name}`, tag: '1.4.0', digest: image.root.digest },
      ]),
    ),
  }
  const root = await temp()
  chartDir = await copyExampleChart(root)
  chart = await packageChart(chartDir, {
    config: MCP_CONFIG,
    version: '0.2.0',
    release,
    env,
    outDir: join(root, 'out'),
  })
})

afterAll(async () => {
  client?.close()
  await stopRegistry?.()
})

const store = (repository = `${prefix}/charts`) =>
  chartStore({ type: 'registry', repository: `${host}/${repository}` }, 'mcp-stack', { baseDir: '/', client })

describe('pushChart to a registry', () => {
  it('publishes what helm pulls back: helm show chart has version and appVersion, helm template the image digests', async () => {
    const again = await packageChart(chartDir, {
      config: MCP_CONFIG,
      version: '0.2.0',
      release,
      env,
      outDir: await temp(),
    })
    expect(Buffer.compare(await readFile(again.file), await readFile(chart.file))).toBe(0)

    const outcome = await pushChart(chart, store())
    expect(outcome).toMatchObject({
      status: 'published',
      location: `${host}/${prefix}/charts/mcp-stack:0.2.0`,
    })

    const ref = `oci://${host}/${prefix}/charts/mcp-stack`
    const pulled = await temp()
    await run('helm', ['pull', ref, '--version', '0.2.0', '--plain-http', '--destination', pulled])
    expect(sha256(await readFile(join(pulled, 'mcp-stack-0.2.0.tgz')))).toBe(chart.digest)

    const shown = (await run('helm', ['show', 'chart', ref, '--version', '0.2.0', '--plain-http'])).stdout
    expect(shown).toContain('\nversion: 0.2.0\n')
    expect(shown).toContain('\nappVersion: 1.4.0\n')

    const rendered = (
      await run('helm', ['template', 'demo', join(pulled, 'mcp-stack-0.2.0.tgz'), '--kube-version', '1.30.0'])
    ).stdout
    for (const [name, image] of Object.entries(images)) {
      expect(rendered).toContain(`image: "${host}/${prefix}/${name}@${image.root.digest}"`)
      expect((await client.repository(`${host}/${prefix}/${name}`).resolve(image.root.digest))?.digest).toBe(
        image.root.digest,
      )
    }
  })

  it('is byte-for-byte what `helm push` writes: same manifest digest, Helm media types and annotations', async () => {
    await utimes(chart.file, Number(env.SOURCE_DATE_EPOCH), Number(env.SOURCE_DATE_EPOCH)) // helm stamps the file mtime as created
    await run('helm', ['push', chart.file, `oci://${host}/${prefix}/by-helm`, '--plain-http'])
    const ours = await store().getManifest('0.2.0')
    const helms = await store(`${prefix}/by-helm`).getManifest('0.2.0')
    expect(helms.descriptor.digest).toBe(ours.descriptor.digest)
    const parsed = parseManifest(ours.bytes, ours.mediaType, 'pushed chart')
    if (parsed.kind !== 'manifest') throw new Error('expected a manifest')
    expect(parsed.manifest.config).toMatchObject({
      mediaType: HELM_MEDIA_TYPES.config,
      digest: sha256(chart.config),
    })
    expect(parsed.manifest.layers).toEqual([
      { mediaType: HELM_MEDIA_TYPES.chart, digest: chart.digest, size: chart.size },
    ])
    expect(parsed.manifest.annotations).toEqual({
      'org.opencontainers.image.created': '2023-11-14T22:13:20Z',
      'org.opencontainers.image.description': chart.metadata.description,
      'org.opencontainers.image.title': 'mcp-stack',
      'org.opencontainers.image.version': '0.2.0',
    })
  })

  it('pushing the same chart again is unchanged; another chart under the same version is a conflict', async () => {
    expect((await pushChart(chart, store())).status).toBe('unchanged')

    const edited = await copyExampleChart(await temp())
    await writeFile(join(edited, 'README.md'), 'another chart, same version\n')
    const other = await packageChart(edited, {
      config: MCP_CONFIG,
      version: '0.2.0',
      release,
      env,
      outDir: await temp(),
    })
    const error = await pushChart(other, store()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HelmError)
    expect((error as HelmError).code).toBe('HELM_TAG_CONFLICT')
    expect((error as HelmError).message).toContain(
      `${host}/${prefix}/charts/mcp-stack:0.2.0 already holds another chart`,
    )

    const reported = await pushChart(other, store(), { onConflict: 'report' })
    const published = await store().resolve('0.2.0')
    expect(reported).toMatchObject({ status: 'conflict', existing: published?.digest })
    expect(await client.repository(`${host}/${prefix}/charts/mcp-stack`).hasBlob(other.digest)).toBe(false)
  })

  it('tags a version with build metadata with _ for +, which helm pull finds, with the provenance layer', async () => {
    const root = await temp()
    const built = await packageChart(chartDir, {
      config: MCP_CONFIG,
      version: '0.3.0+build.7',
      release,
      env,
      outDir: root,
    })
    const prov = join(root, 'mcp-stack-0.3.0+build.7.tgz.prov')
    await writeFile(prov, '-----BEGIN PGP SIGNED MESSAGE-----\nnot really signed\n')
    const outcome = await pushChart(built, store(), { provenance: prov })
    expect(outcome.location).toBe(`${host}/${prefix}/charts/mcp-stack:0.3.0_build.7`)
    const pulled = await temp()
    await run('helm', [
      'pull',
      `oci://${host}/${prefix}/charts/mcp-stack`,
      '--version',
      '0.3.0+build.7',
      '--plain-http',
      '--prov',
      '--destination',
      pulled,
    ])
    expect(sha256(await readFile(join(pulled, 'mcp-stack-0.3.0+build.7.tgz')))).toBe(built.digest)
    expect(await readFile(join(pulled, 'mcp-stack-0.3.0+build.7.tgz.prov'), 'utf8')).toContain(
      'not really signed',
    )
  })
})

describe('readPackagedChart', () => {
  it('reads our package back unchanged', async () => {
    const read = await readPackagedChart(chart.file)
    expect(read).toEqual({ ...chart, artifact: { ...chart.artifact } })
  })

  it('pushes a `helm package` archive exactly as `helm push` does', async () => {
    const out = await temp()
    await run('helm', [
      'package',
      chartDir,
      '--version',
      '0.9.0',
      '--app-version',
      '9.9.9',
      '--destination',
      out,
    ])
    const file = join(out, 'mcp-stack-0.9.0.tgz')
    const packaged = await readPackagedChart(file)
    expect([packaged.version, packaged.appVersion]).toEqual(['0.9.0', '9.9.9'])
    await pushChart(packaged, store(`${prefix}/from-helm-package`))
    await utimes(file, packaged.created, packaged.created)
    await run('helm', ['push', file, `oci://${host}/${prefix}/by-helm`, '--plain-http'])
    const ours = await store(`${prefix}/from-helm-package`).resolve('0.9.0')
    expect((await store(`${prefix}/by-helm`).resolve('0.9.0'))?.digest).toBe(ours?.digest)
  })

  it('refuses archives Helm would refuse', async () => {
    const dir = await temp()
    await writeFile(join(dir, 'not-gzip.tgz'), 'plain text')
    expect(await readPackagedChart(join(dir, 'not-gzip.tgz')).catch((e: unknown) => e)).toMatchObject({
      code: 'HELM_ARCHIVE_INVALID',
    })
    const copy = await copyExampleChart(dir)
    await writeFile(join(dir, 'stray.txt'), 'outside the chart directory')
    await run('tar', ['-czf', join(dir, 'two-roots.tgz'), '-C', dir, 'mcp-stack', 'stray.txt'])
    const error = await readPackagedChart(join(dir, 'two-roots.tgz')).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'HELM_ARCHIVE_INVALID' })
    expect((error as HelmError).message).toContain('entry "stray.txt" is not inside mcp-stack/')
    expect(copy).toBe(join(dir, 'mcp-stack'))
  })
})

describe('pushChart to an OCI layout', () => {
  it('publishes into <path>/<chart>, which skopeo reads; again is unchanged, another chart is a conflict', async () => {
    const layout = await temp()
    const layoutStore = chartStore({ type: 'oci-layout', path: 'oci' }, 'mcp-stack', { baseDir: layout })
    const outcome = await pushChart(chart, layoutStore)
    expect(outcome.status).toBe('published')
    const raw = (await run('skopeo', ['inspect', '--raw', `oci:${join(layout, 'oci', 'mcp-stack')}:0.2.0`]))
      .stdout
    expect(sha256(raw)).toBe((await store().resolve('0.2.0'))?.digest)
    expect((await pushChart(chart, layoutStore)).status).toBe('unchanged')

    const edited = await copyExampleChart(await temp())
    await writeFile(join(edited, 'LICENSE'), 'changed\n')
    const other = await packageChart(edited, { version: '0.2.0', env, outDir: await temp() })
    expect((await pushChart(other, layoutStore, { onConflict: 'report' })).status).toBe('conflict')
  })
})
