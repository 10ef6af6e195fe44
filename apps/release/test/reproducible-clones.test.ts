import { createHash } from 'node:crypto'
import { glob, readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { run } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * Two clones of one commit in different directories, released with the same
 * SOURCE_DATE_EPOCH to the embedded destinations: every artifact (archives, checksums,
 * wheels, sdists, images, charts, SBOMs, npm tarballs, build units) must be byte-identical.
 * Only what a signature makes differ may differ: each clone signs with its own key.
 */

const EPOCH = '1767323045'
const CONFIG = { repository: 'https://github.com/polyship/polyship', bases: { python: 'scratch' } }
const FILES = {
  'packages/lib/package.json': `${JSON.stringify({ name: 'repro-lib', version: '1.0.0', license: 'MIT', polyship: { npm: {} } }, null, 2)}\n`,
  'packages/lib/index.js': 'module.exports = "lib"\n',
}

let one: TestWorkspace
let two: TestWorkspace

const clone = () =>
  exampleWorkspace({
    platforms: { 'time-server-go': ['linux/amd64', 'linux/arm64'], 'echo-server-rust': ['linux/amd64'] },
    config: CONFIG,
    files: FILES,
    globs: ['packages/*'],
  })

/** Every file under `dir`, by path relative to it, with its sha256. */
async function tree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    files.set(
      relative(dir, path),
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    )
  }
  return files
}

/** A sigstore bundle as an OCI artifact, or the tag-fallback index listing them. */
const SIGSTORE = /^application\/vnd\.dev\.sigstore/

interface OciJson {
  readonly artifactType?: string
  readonly config?: { readonly digest: string }
  readonly layers?: readonly { readonly digest: string }[]
  readonly manifests?: readonly {
    readonly artifactType?: string
    readonly annotations?: Record<string, string>
  }[]
}

/**
 * The OCI blobs that exist because of signatures: referrer manifests holding a sigstore
 * bundle (with their layers), and the referrers tag-fallback indexes that list them. Each
 * clone signs with its own key, so these, and only these, may differ.
 */
async function signatureBlobs(dist: string): Promise<Set<string>> {
  const blobs = new Set<string>()
  for await (const file of glob('oci/**/blobs/sha256/*', { cwd: dist })) {
    const bytes = await readFile(join(dist, file))
    if (bytes[0] !== 0x7b) continue
    let json: OciJson
    try {
      json = JSON.parse(bytes.toString('utf8')) as OciJson
    } catch {
      continue
    }
    const blobsDir = dirname(file)
    const referrer = json.artifactType !== undefined && SIGSTORE.test(json.artifactType)
    const fallback =
      json.manifests !== undefined &&
      json.manifests.length > 0 &&
      json.manifests.every((m) => m.artifactType !== undefined && SIGSTORE.test(m.artifactType))
    if (!referrer && !fallback) continue
    blobs.add(file)
    for (const d of [json.config, ...(json.layers ?? [])])
      if (d !== undefined) blobs.add(join(blobsDir, d.digest.split(':')[1]!))
  }
  return blobs
}

/** A layout's index.json without the referrers fallback tags (`sha256-<hex>`), which point at signatures. */
async function withoutAttestations(file: string): Promise<string> {
  const entries = JSON.parse(await readFile(file, 'utf8')) as { type: string; path: string }[]
  return JSON.stringify(
    entries.filter((e) => !['Signature', 'Certificate', 'SBOM', 'SLSA Provenance'].includes(e.type)),
  )
}

async function indexWithoutSignatures(file: string): Promise<string> {
  const index = JSON.parse(await readFile(file, 'utf8')) as OciJson
  const kept = (index.manifests ?? []).filter(
    (m) => !/^sha256-[0-9a-f]{64}/.test(m.annotations?.['org.opencontainers.image.ref.name'] ?? ''),
  )
  return JSON.stringify({ ...index, manifests: kept })
}

/** Files whose bytes a signature decides: bundles, the signed release record, the public key. */
const SIGNATURE_FILE =
  /(\.sigstore(\.json)?|\.sig|\.bundle|\.pub|\.pem|release\.json(\.[a-z.]+)?|\.polyship\.lock)$/

beforeAll(async () => {
  one = await clone()
  two = await clone()
})
afterAll(async () => {
  await one?.remove()
  await two?.remove()
})

describe('two clones of one commit in different directories', () => {
  it(
    'release byte-identical artifacts with the same SOURCE_DATE_EPOCH; only signatures differ',
    async () => {
      const head = async (ws: TestWorkspace) =>
        (await run('git', ['rev-parse', 'HEAD'], { cwd: ws.root })).stdout
      expect(await head(one)).toBe(await head(two))
      expect(one.root).not.toBe(two.root)
      for (const ws of [one, two]) {
        const result = await polyship(['release'], {
          root: ws.root,
          env: { ...ws.env, SOURCE_DATE_EPOCH: EPOCH },
        })
        expect(result.code, result.stderr).toBe(0)
      }
      const [distA, distB] = [join(one.root, 'dist'), join(two.root, 'dist')]
      const [a, b] = [await tree(distA), await tree(distB)]
      // signature blobs are content-addressed: each clone's have their own names
      const [sigA, sigB] = [await signatureBlobs(distA), await signatureBlobs(distB)]
      const kept = (files: Map<string, string>, sig: Set<string>) =>
        [...files.keys()].filter((f) => !sig.has(f)).sort()
      expect(sigA.size).toBeGreaterThan(0)
      expect(kept(a, sigA)).toEqual(kept(b, sigB))
      const differing = kept(a, sigA).filter((f) => a.get(f) !== b.get(f))
      const unexplained: string[] = []
      for (const file of differing) {
        if (SIGNATURE_FILE.test(file)) continue
        // artifacts.json lists the signatures and attestations too (GoReleaser's Signature,
        // SBOM and SLSA Provenance entries): the rest must be equal
        if (file === 'artifacts.json') {
          const [x, y] = [
            await withoutAttestations(join(distA, file)),
            await withoutAttestations(join(distB, file)),
          ]
          if (x === y) continue
        }
        if (file.endsWith('index.json') && file.startsWith('oci')) {
          const [x, y] = [
            await indexWithoutSignatures(join(distA, file)),
            await indexWithoutSignatures(join(distB, file)),
          ]
          if (x === y) continue
        }
        unexplained.push(file)
      }
      expect(unexplained).toEqual([])
      // every kind of artifact was compared
      const same = kept(a, sigA).filter((f) => !differing.includes(f))
      for (const kind of [
        /\.whl$/,
        /\.tar\.gz$/,
        /_checksums\.txt$/,
        /build\.json$/,
        /\.tgz$/,
        /blobs\/sha256\//,
      ])
        expect(
          same.some((f) => kind.test(f)),
          String(kind),
        ).toBe(true)
    },
    45 * 60_000,
  )
})
