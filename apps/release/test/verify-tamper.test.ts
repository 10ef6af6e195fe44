import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Digest, digestHex, parseReleaseRecord, type RecordedArtifact, sha256 } from '@polyship/core'
import { type Descriptor, RegistryClient } from '@polyship/oci'
import { startRegistry, type TestRegistry } from '@polyship/oci/testing'
import { type PypiServer, startPypiServer } from '@polyship/wheel/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliResult, exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * `polyship verify` against tampered releases (issue 14, finding 1). One release of the
 * examples to the embedded destinations (OCI layouts, simple index, assets) and one of
 * the same build to a loopback docker-registry of this file's own (its storage directory
 * is tampered with directly); each case tampers with a fresh copy of the released dist/
 * (or with the registry's storage, restored afterwards) and expects verify to fail naming
 * the artifact and the blob or file, with a stable code.
 */

const PREFIX = 'tamper'
let ws: TestWorkspace
let registry: TestRegistry
let pypi: PypiServer
let cases: string
const client = new RegistryClient()
const dist = (...path: string[]) => join(ws.root, 'dist', ...path)
const registryDist = (...path: string[]) => join(ws.root, 'dist-registry', ...path)

const embedded = { repository: 'https://github.com/polyship/polyship', bases: { python: 'scratch' } }
const toRegistry = () => ({
  ...embedded,
  outDir: 'dist-registry',
  destinations: {
    images: { type: 'registry', repository: `${registry.host}/${PREFIX}` },
    charts: { type: 'registry', repository: `${registry.host}/${PREFIX}/charts` },
    wheels: { type: 'pypi', url: pypi.url },
  },
})

beforeAll(async () => {
  registry = await startRegistry()
  ws = await exampleWorkspace({
    platforms: { 'time-server-go': ['linux/amd64', 'linux/arm64'], 'echo-server-rust': ['linux/amd64'] },
    config: embedded,
  })
  cases = await mkdtemp(join(tmpdir(), 'polyship-tamper-'))
  pypi = await startPypiServer({ dir: join(cases, 'pypiserver') })
  const first = await polyship(['release'], ws)
  expect(first.code, first.stderr).toBe(0)
  // the same build units, released to the registry: nothing is built twice
  await cp(dist('build'), registryDist('build'), { recursive: true })
  await ws.configure(toRegistry())
  const second = await polyship(['release'], ws)
  expect(second.code, second.stderr).toBe(0)
  expect(second.stdout).toMatch(/\n11 published; record: /)
}, 900_000)
afterAll(async () => {
  client.close()
  await registry?.stop()
  await pypi?.stop()
  await ws?.remove()
  if (cases) await rm(cases, { recursive: true, force: true })
})

/** A copy of the embedded release (record, layouts, index, assets; not the build units). */
let copies = 0
async function copyOfDist(): Promise<string> {
  const copy = join(cases, String(copies++))
  await cp(dist(), copy, {
    recursive: true,
    filter: (source) => !/\/dist\/(build|shards)(\/|$)|\.lock$/.test(source),
  })
  return copy
}

const verify = (record: string): Promise<CliResult> => polyship(['verify', record], ws)

async function recordOf(dir: string) {
  const path = join(dir, 'release.json')
  return parseReleaseRecord(JSON.parse(await readFile(path, 'utf8')), path)
}
function artifact(record: { artifacts: readonly RecordedArtifact[] }, kind: string, name: string) {
  const found = record.artifacts.find((a) => a.kind === kind && a.name.endsWith(name))
  if (found === undefined) throw new Error(`no ${kind} ${name} in the record`)
  return found
}

/** The failure lines verify prints: `  <artifact>: <check>: <code>: <reason>`. */
function failures(result: CliResult): string[] {
  return result.stderr.split('\n').filter((line) => /^ {2}\S.*: [a-z]+: [A-Z_]+: /.test(line))
}
function expectFailed(result: CliResult): string[] {
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(1)
  expect(result.stdout).not.toContain('all passed')
  return failures(result)
}

/** The layout directory of a recorded image or chart (`oci-layout:oci/app@sha256:…`) in a copy. */
const layoutOf = (copy: string, a: RecordedArtifact) =>
  join(copy, a.locations[0]!.replace(/^oci-layout:/, '').replace(/@.*$/, ''))
const layoutBlob = (layout: string, digest: Digest) => join(layout, 'blobs', 'sha256', digestHex(digest))
async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T
}
async function flipByte(path: string, at = -1): Promise<void> {
  const bytes = await readFile(path)
  const i = at < 0 ? bytes.length + at : at
  bytes[i] = bytes[i]! ^ 0x01
  await writeFile(path, bytes)
}
interface Manifest {
  readonly manifests?: readonly Descriptor[]
  readonly config?: Descriptor
  readonly layers?: readonly Descriptor[]
}

/** The platform manifests of an image index in a layout, with their configs and layers. */
async function layoutImage(layout: string, index: Digest) {
  const doc = await readJson<Manifest>(layoutBlob(layout, index))
  const platforms = []
  for (const entry of doc.manifests ?? []) {
    const manifest = await readJson<Manifest>(layoutBlob(layout, entry.digest))
    platforms.push({ entry, manifest })
  }
  return platforms
}

describe('verify against an untouched copy', () => {
  it('passes, re-hashing every image and chart, checking tags, the index page and the checksums', async () => {
    const copy = await copyOfDist()
    const result = await verify(join(copy, 'release.json'))
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^record .*release\.json: signed by cosign\.pub/)
    expect(result.stdout).toMatch(/11 artifacts, \d+ checks: all passed/)
    const rows = result.stdout.split('\n')
    const row = (name: string, check: string) =>
      rows.find((r) => r.startsWith(`${name} `) && r.split(/\s{2,}/)[1] === check)
    expect(row('time-server-go', 'content')).toMatch(/3 manifest\(s\) and \d+ blob\(s\) re-hashed/)
    expect(row('time-server-go', 'tag')).toMatch(/:0\.1\.0 → sha256:/)
    expect(row('mcp-stack', 'content')).toMatch(/1 manifest\(s\) and 2 blob\(s\) re-hashed/)
    expect(row('fastjson-0.1.0.tar.gz', 'index')).toContain('links it with its sha256')
    expect(row('time-server-go_0.1.0_checksums.txt', 'content')).toContain('2 archive(s) listed')
    // the record pins every SPDX attestation: a file's bundle, an image's or chart's referrer
    const spdx = (name: string) =>
      rows.filter((r) => r.startsWith(`${name} `) && r.split(/\s{2,}/)[1] === 'spdx').join('\n')
    expect(spdx('time-server-go')).toContain('the recorded SPDX referrer')
    expect(spdx('fastjson-0.1.0.tar.gz')).toContain('the recorded SPDX attestation')
  })

  it('passes against the registry release too', async () => {
    const result = await verify(registryDist('release.json'))
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/11 artifacts, \d+ checks: all passed/)
    expect(result.stdout).toMatch(
      /\nfastjson-0\.1\.0\.tar\.gz +index +ok +http:\/\/127\.0\.0\.1:\d+\/ lists it/,
    )
    expect(result.stdout).toMatch(/\nfastjson-0\.1\.0\.tar\.gz +spdx +ok +the recorded SPDX attestation/)
  })
})

describe('tampered OCI layouts', () => {
  it('a flipped byte in an image layer fails naming the image and the layer', async () => {
    const copy = await copyOfDist()
    const image = artifact(await recordOf(copy), 'image-index', 'time-server-go')
    const layout = join(copy, 'oci', 'time-server-go')
    const arm64 = (await layoutImage(layout, image.digest)).find(
      (p) => p.entry.platform?.architecture === 'arm64',
    )!
    const layer = arm64.manifest.layers!.at(-1)!
    await flipByte(layoutBlob(layout, layer.digest), 100)
    const lines = expectFailed(await verify(join(copy, 'release.json')))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('time-server-go: content: OCI_DIGEST_MISMATCH: ')
    expect(lines[0]).toContain(`oci-layout:oci/time-server-go@${image.digest} (time-server-go 0.1.0)`)
    expect(lines[0]).toContain(`layer ${arm64.manifest.layers!.length} of linux/arm64 manifest`)
    expect(lines[0]).toContain(`${layer.digest} (${layer.mediaType}, ${layer.size} bytes)`)
  })

  it('verifying the image by its layout tag re-hashes it too', async () => {
    const copy = await copyOfDist()
    const layout = join(copy, 'oci', 'echo-server-rust')
    const image = artifact(await recordOf(copy), 'image-index', 'echo-server-rust')
    const clean = await polyship(['verify', `oci-layout:${layout}:0.1.0`], ws)
    expect(clean.code, clean.stderr).toBe(0)
    expect(clean.stdout).toMatch(/ content +ok +2 manifest\(s\) and \d+ blob\(s\) re-hashed/)
    const [platform] = await layoutImage(layout, image.digest)
    await flipByte(layoutBlob(layout, platform!.manifest.config!.digest), 5)
    const lines = expectFailed(await polyship(['verify', `oci-layout:${layout}:0.1.0`], ws))
    expect(lines).toEqual([
      expect.stringContaining(
        `: content: OCI_DIGEST_MISMATCH: oci-layout:${layout}:0.1.0: config of linux/amd64 manifest ${platform!.entry.digest.slice(0, 19)}…`,
      ),
    ])
  })

  it('a flipped byte in an image index fails naming the index', async () => {
    const copy = await copyOfDist()
    const image = artifact(await recordOf(copy), 'image-index', 'time-server-go')
    await flipByte(layoutBlob(join(copy, 'oci', 'time-server-go'), image.digest), 10)
    const lines = expectFailed(await verify(join(copy, 'release.json')))
    const content = lines.filter((l) => l.includes(': content: '))
    expect(content).toHaveLength(1)
    expect(content[0]).toContain('time-server-go: content: OCI_DIGEST_MISMATCH: ')
    expect(content[0]).toContain(`image index ${image.digest} (application/vnd.oci.image.index.v1+json`)
  })

  it('a flipped byte in a chart layer fails naming the chart and its layer', async () => {
    const copy = await copyOfDist()
    const chart = artifact(await recordOf(copy), 'chart', 'mcp-stack')
    const layout = layoutOf(copy, chart)
    const manifest = await readJson<Manifest>(layoutBlob(layout, chart.digest))
    const layer = manifest.layers![0]!
    await flipByte(layoutBlob(layout, layer.digest), 50)
    const lines = expectFailed(await verify(join(copy, 'release.json')))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('mcp-stack: content: OCI_DIGEST_MISMATCH: ')
    expect(lines[0]).toContain(`layer 1 of manifest ${chart.digest.slice(0, 19)}`)
    expect(lines[0]).toContain(`${layer.digest} (application/vnd.cncf.helm.chart.content.v1.tar+gzip`)
  })

  it('every layer blob deleted fails every image and chart, one line per missing layer', async () => {
    const copy = await copyOfDist()
    const record = await recordOf(copy)
    const deleted: Descriptor[] = []
    for (const a of record.artifacts.filter((x) => x.kind === 'image-index' || x.kind === 'chart')) {
      const layout = layoutOf(copy, a)
      const manifests =
        a.kind === 'chart'
          ? [await readJson<Manifest>(layoutBlob(layout, a.digest))]
          : (await layoutImage(layout, a.digest)).map((p) => p.manifest)
      for (const layer of manifests.flatMap((m) => m.layers ?? [])) {
        await rm(layoutBlob(layout, layer.digest), { force: true })
        if (!deleted.some((d) => d.digest === layer.digest)) deleted.push(layer)
      }
    }
    const lines = expectFailed(await verify(join(copy, 'release.json'))).filter((l) =>
      l.includes(': content: '),
    )
    expect(lines.length).toBeGreaterThanOrEqual(deleted.length)
    for (const layer of deleted) {
      expect(
        lines.some((l) => l.includes(`: OCI_BLOB_UNKNOWN: `) && l.includes(layer.digest)),
        layer.digest,
      ).toBe(true)
    }
    for (const name of ['time-server-go', 'echo-server-rust', 'fastjson', 'mcp-stack'])
      expect(
        lines.some((l) => l.startsWith(`  ${name}: content: OCI_BLOB_UNKNOWN`)),
        name,
      ).toBe(true)
  })

  it('the version tag in index.json retargeted to another manifest fails', async () => {
    const copy = await copyOfDist()
    const image = artifact(await recordOf(copy), 'image-index', 'time-server-go')
    const layout = join(copy, 'oci', 'time-server-go')
    const amd64 = (await layoutImage(layout, image.digest)).find(
      (p) => p.entry.platform?.architecture === 'amd64',
    )!
    const indexFile = join(layout, 'index.json')
    const index = await readJson<{ manifests: Record<string, unknown>[] }>(indexFile)
    const tagged = index.manifests.find(
      (m) => (m.annotations as Record<string, string>)?.['org.opencontainers.image.ref.name'] === '0.1.0',
    )!
    Object.assign(tagged, {
      mediaType: amd64.entry.mediaType,
      digest: amd64.entry.digest,
      size: amd64.entry.size,
    })
    await writeFile(indexFile, JSON.stringify(index))
    const lines = expectFailed(await verify(join(copy, 'release.json')))
    expect(lines).toEqual([
      `  time-server-go: tag: ATTEST_TAG_MISMATCH: oci-layout:${layout}:0.1.0 points at ${amd64.entry.digest}, the release tagged ${image.digest}`,
    ])
  })
})

describe('tampered files', () => {
  it('two platform archives swapped fail, each naming the archive whose bytes it holds', async () => {
    const copy = await copyOfDist()
    const assets = join(copy, 'assets')
    const amd64 = join(assets, 'time-server-go_0.1.0_linux_amd64.tar.gz')
    const arm64 = join(assets, 'time-server-go_0.1.0_linux_arm64.tar.gz')
    await rename(amd64, `${amd64}.swap`)
    await rename(arm64, amd64)
    await rename(`${amd64}.swap`, arm64)
    const lines = expectFailed(await verify(join(copy, 'release.json')))
    const digest = lines.filter((l) => l.includes(': digest: '))
    expect(digest).toHaveLength(2)
    expect(digest[0]).toContain(
      'time-server-go_0.1.0_linux_amd64.tar.gz (linux/amd64): digest: DIGEST_MISMATCH: ',
    )
    expect(digest[0]).toContain(
      'it holds the bytes recorded for time-server-go_0.1.0_linux_arm64.tar.gz (linux/arm64)',
    )
    expect(digest[1]).toContain(
      'time-server-go_0.1.0_linux_arm64.tar.gz (linux/arm64): digest: DIGEST_MISMATCH: ',
    )
    expect(digest[1]).toContain(
      'it holds the bytes recorded for time-server-go_0.1.0_linux_amd64.tar.gz (linux/amd64)',
    )
  })

  it('a checksums file edited to list the archives the other way round fails', async () => {
    const copy = await copyOfDist()
    const checksums = join(copy, 'assets', 'time-server-go_0.1.0_checksums.txt')
    const text = await readFile(checksums, 'utf8')
    const [a, b] = text
      .trim()
      .split('\n')
      .map((l) => l.split('  ')) as [string[], string[]]
    await writeFile(checksums, `${a[0]}  ${b[1]}\n${b[0]}  ${a[1]}\n`)
    const lines = expectFailed(await verify(join(copy, 'release.json')))
    expect(
      lines.some((l) => l.startsWith('  time-server-go_0.1.0_checksums.txt: digest: DIGEST_MISMATCH')),
    ).toBe(true)
  })

  it('an SPDX attestation rewritten (same signed content, other bytes) fails at the digest the record pins', async () => {
    const copy = await copyOfDist()
    const record = await recordOf(copy)
    const archive = artifact(record, 'archive', '_linux_amd64.tar.gz')
    expect(archive.spdx?.location).toBe(`assets/${archive.name}.spdx.sigstore.json`)
    const bundle = join(copy, archive.spdx!.location)
    await writeFile(bundle, JSON.stringify(JSON.parse(await readFile(bundle, 'utf8')), null, 2))
    const lines = expectFailed(await verify(join(copy, 'release.json')))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(
      `  ${archive.name} (linux/amd64): spdx: DIGEST_MISMATCH: ${bundle} has sha256:`,
    )
    expect(lines[0]).toContain(`the release recorded ${archive.spdx!.digest}`)
  })

  it('an SPDX attestation deleted fails as missing, since the record lists it', async () => {
    const copy = await copyOfDist()
    const record = await recordOf(copy)
    const archive = artifact(record, 'archive', '_linux_amd64.tar.gz')
    await rm(join(copy, archive.spdx!.location))
    const lines = expectFailed(await verify(join(copy, 'release.json')))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`  ${archive.name} (linux/amd64): spdx: ATTEST_SBOM_MISSING: `)
  })

  it('the PEP 503 page edited to point at a planted wheel fails naming the page and both hashes', async () => {
    const copy = await copyOfDist()
    const record = await recordOf(copy)
    const wheel = artifact(record, 'wheel', '.whl')
    const project = join(copy, 'pypi', 'simple', 'fastjson')
    const planted = Buffer.concat([await readFile(join(project, wheel.name)), Buffer.from('planted')])
    await rm(join(project, 'planted'), { recursive: true, force: true })
    await cp(join(project, wheel.name), join(project, 'planted', wheel.name))
    await writeFile(join(project, 'planted', wheel.name), planted)
    const pageFile = join(project, 'index.html')
    const page = await readFile(pageFile, 'utf8')
    const href = `${encodeURIComponent(wheel.name)}#sha256=${digestHex(wheel.digest)}`
    expect(page).toContain(href)
    await writeFile(
      pageFile,
      page.replace(href, `planted/${encodeURIComponent(wheel.name)}#sha256=${digestHex(sha256(planted))}`),
    )
    const lines = expectFailed(await verify(join(copy, 'release.json')))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`  ${wheel.name}: index: ATTEST_INDEX_MISMATCH: ${pageFile}: `)
    expect(lines[0]).toContain(`/planted/${wheel.name}, not to the released file`)
    expect(lines[0]).toContain(
      `with sha256 ${digestHex(sha256(planted))}, the release recorded ${digestHex(wheel.digest)}`,
    )
  })
})

describe('a tampered release record', () => {
  it('a hand-edited release.json fails on its signature before anything else is checked', async () => {
    const copy = await copyOfDist()
    const path = join(copy, 'release.json')
    const record = await readJson<{ artifacts: { name: string; platform?: string }[] }>(path)
    // the attacker's edit: the record now says the arm64 archive is the amd64 one
    for (const a of record.artifacts) {
      if (a.platform === 'linux/amd64' && a.name.startsWith('time-server-go_')) a.platform = 'linux/arm64'
      else if (a.platform === 'linux/arm64' && a.name.startsWith('time-server-go_'))
        a.platform = 'linux/amd64'
    }
    await writeFile(path, `${JSON.stringify(record, null, 2)}\n`)
    const result = await verify(path)
    expect(expectFailed(result)).toEqual([
      expect.stringMatching(
        /^ {2}release\.json: record: ATTEST_RECORD_SIGNATURE_INVALID: .*release\.json does not match its signature/,
      ),
    ])
    expect(result.stderr).toContain('1 of 1 checks failed')
    expect(result.stdout).not.toContain('time-server-go')
  })

  it('a release.json whose signature was removed fails as unsigned', async () => {
    const copy = await copyOfDist()
    await rm(join(copy, 'release.json.sigstore.json'))
    expect(expectFailed(await verify(join(copy, 'release.json')))).toEqual([
      expect.stringMatching(
        /^ {2}release\.json: record: ATTEST_RECORD_UNSIGNED: .*release\.json is not signed/,
      ),
    ])
  })
})

describe('a tampered registry (its storage directory)', () => {
  const storedBlob = (digest: Digest) =>
    join(
      registry.storageDir,
      'docker',
      'registry',
      'v2',
      'blobs',
      'sha256',
      digestHex(digest).slice(0, 2),
      digestHex(digest),
      'data',
    )
  /** Runs `tamper` on the registry's storage, then restores the files it names. */
  async function tampered(files: readonly string[], tamper: () => Promise<void>, check: () => Promise<void>) {
    const saved = await Promise.all(files.map((f) => readFile(f)))
    try {
      await tamper()
      await check()
    } finally {
      await Promise.all(files.map((f, i) => writeFile(f, saved[i]!)))
    }
  }
  async function registryImage(a: RecordedArtifact) {
    const store = client.repository(a.locations[0]!.replace(/@.*$/, ''))
    const index = JSON.parse(Buffer.from((await store.getManifest(a.digest)).bytes).toString()) as Manifest
    const platforms = []
    for (const entry of index.manifests ?? [entry0(a)]) {
      const bytes = (await store.getManifest(entry.digest)).bytes
      platforms.push({ entry, manifest: JSON.parse(Buffer.from(bytes).toString()) as Manifest })
    }
    return { store, platforms }
  }
  const entry0 = (a: RecordedArtifact): Descriptor => ({
    mediaType: a.mediaType!,
    digest: a.digest,
    size: a.size,
  })

  it('a flipped byte in a stored image layer fails naming the registry reference and the layer', async () => {
    const record = await recordOf(registryDist())
    const image = artifact(record, 'image-index', 'time-server-go')
    const { platforms } = await registryImage(image)
    const layer = platforms.find((p) => p.entry.platform?.architecture === 'arm64')!.manifest.layers!.at(-1)!
    await tampered(
      [storedBlob(layer.digest)],
      () => flipByte(storedBlob(layer.digest), 100),
      async () => {
        const lines = expectFailed(await verify(registryDist('release.json')))
        expect(lines).toHaveLength(1)
        expect(lines[0]).toContain(': content: OCI_DIGEST_MISMATCH: ')
        expect(lines[0]).toContain(
          `${registry.host}/${PREFIX}/time-server-go@${image.digest} (time-server-go 0.1.0)`,
        )
        expect(lines[0]).toContain(`${layer.digest} (${layer.mediaType}`)
      },
    )
  })

  it('a flipped byte in the stored chart layer fails naming the chart layer', async () => {
    const record = await recordOf(registryDist())
    const chart = artifact(record, 'chart', 'mcp-stack')
    const { platforms } = await registryImage(chart)
    const layer = platforms[0]!.manifest.layers![0]!
    await tampered(
      [storedBlob(layer.digest)],
      () => flipByte(storedBlob(layer.digest), 50),
      async () => {
        const lines = expectFailed(await verify(registryDist('release.json')))
        expect(lines).toHaveLength(1)
        expect(lines[0]).toMatch(/^ {2}\S*mcp-stack: content: OCI_DIGEST_MISMATCH: /)
        expect(lines[0]).toContain(`${layer.digest} (application/vnd.cncf.helm.chart.content.v1.tar+gzip`)
      },
    )
  })

  it('every stored layer of an image deleted fails naming each missing layer', async () => {
    const record = await recordOf(registryDist())
    const image = artifact(record, 'image-index', 'time-server-go')
    const { platforms } = await registryImage(image)
    const layers = [...new Set(platforms.flatMap((p) => p.manifest.layers!.map((l) => l.digest)))]
    await tampered(
      layers.map(storedBlob),
      async () => {
        for (const digest of layers) await rm(storedBlob(digest))
      },
      async () => {
        // a base layer shared with another image is gone for it too: count this image's lines
        const lines = expectFailed(await verify(registryDist('release.json'))).filter((l) =>
          l.startsWith(`  ${registry.host}/${PREFIX}/time-server-go: content: `),
        )
        expect(lines).toHaveLength(layers.length)
        for (const digest of layers)
          expect(
            lines.some((l) => l.includes(': content: OCI_BLOB_UNKNOWN: ') && l.includes(digest)),
            digest,
          ).toBe(true)
      },
    )
  })

  it('a wheel replaced in the package index fails at its digest and at the index listing', async () => {
    const record = await recordOf(registryDist())
    const wheel = artifact(record, 'wheel', '.whl')
    const stored = join(pypi.dir, wheel.name)
    await tampered(
      [stored],
      async () => writeFile(stored, Buffer.concat([await readFile(stored), Buffer.from('planted')])),
      async () => {
        const result = await verify(registryDist('release.json'))
        // the download is cut at the recorded size; the file alone fails, verify goes on
        expect(result.stderr).toContain('sent more than the')
        const lines = expectFailed(result)
        expect(lines.filter((l) => l.startsWith(`  ${wheel.name}: `)).slice(0, 2)).toEqual([
          expect.stringContaining(`: digest: DIGEST_MISMATCH: `),
          expect.stringMatching(
            new RegExp(
              `: index: ATTEST_INDEX_MISMATCH: .*lists ${wheel.name.replaceAll('.', '\\.')} with sha256:[0-9a-f]{64}, the release recorded ${wheel.digest}`,
            ),
          ),
        ])
      },
    )
  })

  it('the version tag moved to another manifest in the registry fails', async () => {
    const record = await recordOf(registryDist())
    const image = artifact(record, 'image-index', 'time-server-go')
    const { store, platforms } = await registryImage(image)
    const amd64 = platforms.find((p) => p.entry.platform?.architecture === 'amd64')!
    const original = await store.getManifest(image.digest)
    await store.putManifest(await store.getManifest(amd64.entry.digest), { tag: '0.1.0', moveTag: true })
    try {
      const lines = expectFailed(await verify(registryDist('release.json')))
      expect(lines).toEqual([
        `  ${registry.host}/${PREFIX}/time-server-go: tag: ATTEST_TAG_MISMATCH: ${registry.host}/${PREFIX}/time-server-go:0.1.0 points at ${amd64.entry.digest}, the release tagged ${image.digest}`,
      ])
    } finally {
      await store.putManifest(original, { tag: '0.1.0', moveTag: true })
    }
  })
})
