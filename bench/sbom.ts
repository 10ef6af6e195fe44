import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSboms, type SbomComponent } from '../packages/attest/src/index.ts'
import type { RecordedArtifact, ReleaseRecord } from '../packages/core/src/index.ts'
import { run } from '../packages/core/src/index.ts'
import { compare, examplesWorkspace, POLYSHIP_BIN, releaseEnv, report, sh } from './harness.ts'

const _repo = join(import.meta.dirname, '..')
const bin = POLYSHIP_BIN

export interface ReleasedExamples {
  readonly work: string
  readonly root: string
  readonly record: ReleaseRecord
  /** Every CycloneDX SBOM of the release, by artifact name. */
  readonly sboms: ReadonlyMap<string, { artifact: RecordedArtifact; document: CycloneDx; bytes: Buffer }>
}

interface CycloneDx {
  metadata: { component: { purl?: string; name: string } }
  components?: {
    purl?: string
    name: string
    version?: string
    type: string
    hashes?: { alg: string; content: string }[]
  }[]
  dependencies?: { ref: string; dependsOn?: string[] }[]
}

/** `polyship release` of a copy of examples/ into a fresh workspace (as bench/release.ts). */
export async function releaseExamples(): Promise<ReleasedExamples> {
  const work = await mkdtemp(join(tmpdir(), 'polyship-bench-sbom-'))
  const root = join(work, 'ws')
  const env = releaseEnv()
  await examplesWorkspace(root, env)
  await sh(process.execPath, [bin, 'release', '--skip', 'scan', '--cwd', root], { cwd: root, env })
  const record = JSON.parse(await readFile(join(root, 'dist', 'release.json'), 'utf8')) as ReleaseRecord
  const sboms = new Map<string, { artifact: RecordedArtifact; document: CycloneDx; bytes: Buffer }>()
  for (const artifact of record.artifacts) {
    if (artifact.sbom === undefined) continue
    const bytes = await sbomBytes(root, artifact)
    if (bytes !== undefined)
      sboms.set(artifact.name, { artifact, document: JSON.parse(bytes.toString()), bytes })
  }
  return { work, root, record, sboms }
}

/** The CycloneDX document of an artifact: beside a file in dist/assets, or the predicate of an image's referrer. */
async function sbomBytes(root: string, artifact: RecordedArtifact): Promise<Buffer | undefined> {
  const beside = join(root, 'dist', 'assets', `${artifact.name}.sbom.cdx.json`)
  const file = await readFile(beside).catch(() => undefined)
  if (file !== undefined) return file
  const digest = artifact.sbom!.digest.replace('sha256:', '')
  for (const layout of await layouts(join(root, 'dist', 'oci'))) {
    const blobOf = (hex: string) => readFile(join(layout, 'blobs', 'sha256', hex)).catch(() => undefined)
    let blob = await blobOf(digest)
    if (blob === undefined) continue
    // the record names the referrer manifest; its one layer is the bundle
    const manifest = JSON.parse(blob.toString()) as { layers?: { digest: string }[] }
    if (manifest.layers?.[0] !== undefined)
      blob = await blobOf(manifest.layers[0].digest.replace('sha256:', ''))
    if (blob === undefined) continue
    const bundle = JSON.parse(blob.toString()) as { dsseEnvelope: { payload: string } }
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString()) as {
      predicate: unknown
    }
    return Buffer.from(JSON.stringify(statement.predicate))
  }
  return undefined
}

async function layouts(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const found: string[] = []
  for (const e of entries) {
    if (!e.isDirectory()) continue
    const path = join(dir, e.name)
    if (e.name === 'blobs') return [dir]
    found.push(...(await layouts(path)))
  }
  return found
}

/** pkg:type/namespace/name@version, lowercase, without qualifiers or subpath; stdlib versions without `go`. */
export function normalisePurl(purl: string): string {
  const bare = decodeURIComponent(purl.split('?')[0]!.split('#')[0]!).toLowerCase()
  return bare.replace(/^pkg:golang\/stdlib@go/, 'pkg:golang/stdlib@')
}

const purlsOf = (document: CycloneDx) =>
  new Set(
    [document.metadata.component.purl, ...(document.components ?? []).map((c) => c.purl)]
      .filter((p): p is string => p !== undefined)
      .map(normalisePurl),
  )

/** The components of a polyship CycloneDX document back as the inputs it was rendered from. */
function inputsOf(document: CycloneDx): SbomComponent[] {
  const byRef = new Map((document.components ?? []).map((c) => [c.purl!, c]))
  const edges = new Map((document.dependencies ?? []).map((d) => [d.ref, d.dependsOn ?? []]))
  const toInput = (purl: string): SbomComponent => {
    const c = byRef.get(purl)!
    const sha256 = c.hashes?.find((h) => h.alg === 'SHA-256')?.content
    return {
      type: c.type as SbomComponent['type'],
      name: c.name,
      purl,
      ...(c.version === undefined ? {} : { version: c.version }),
      ...(sha256 === undefined ? {} : { hashes: { sha256 } }),
      dependsOn: (edges.get(purl) ?? []).map(toInput),
    }
  }
  const top = edges.get(document.metadata.component.purl ?? '') ?? []
  return top.map(toInput)
}

interface Target {
  readonly artifact: string
  readonly what: string
  /** syft's source argument. */
  readonly source: string
  readonly platform?: string
  /** A Go binary: polyship reads `go version -m -json` of it. */
  readonly goBinary?: string
}

async function unpack(archive: string, into: string): Promise<string> {
  await mkdir(into, { recursive: true })
  if (archive.endsWith('.whl') || archive.endsWith('.zip'))
    await sh('unzip', ['-q', '-o', archive, '-d', into])
  else await sh('tar', ['-xzf', archive, '-C', into])
  return into
}

async function targetsOf(released: ReleasedExamples): Promise<Target[]> {
  const assets = join(released.root, 'dist', 'assets')
  const unpacked = join(released.work, 'unpacked')
  const names = [...released.sboms.keys()]
  const targets: Target[] = []
  const goArchive = names.find((n) => /^time-server-go_.*linux_amd64\.tar\.gz$/.test(n))
  if (goArchive) {
    const dir = await unpack(join(assets, goArchive), join(unpacked, 'go'))
    const binary = join(dir, 'time-server-go')
    targets.push({ artifact: goArchive, what: 'Go binary', source: `file:${binary}`, goBinary: binary })
  }
  const rustArchive = names.find((n) => /^echo-server-rust_.*linux_amd64\.tar\.gz$/.test(n))
  if (rustArchive) {
    const dir = await unpack(join(assets, rustArchive), join(unpacked, 'rust'))
    targets.push({
      artifact: rustArchive,
      what: 'Rust binary',
      source: `file:${join(dir, 'echo-server-rust')}`,
    })
  }
  const wheel = names.find((n) => n.endsWith('.whl'))
  if (wheel) {
    const wheelFile = (await run('find', [join(released.root, 'dist'), '-name', wheel])).stdout.split(
      '\n',
    )[0]!
    const dir = await unpack(wheelFile, join(unpacked, 'wheel'))
    targets.push({ artifact: wheel, what: 'wheel (unpacked)', source: `dir:${dir}` })
  }
  // The SBOM is attached to the index (every platform's contents); syft reads one platform of it.
  const image = released.record.artifacts.find(
    (a) => a.kind === 'image-index' && a.name.includes('time-server-go'),
  )
  if (image && released.sboms.has(image.name)) {
    const layout = join(released.root, 'dist', 'oci', 'time-server-go')
    targets.push({
      artifact: image.name,
      what: 'Go image (linux/amd64)',
      source: `oci-dir:${layout}`,
      platform: 'linux/amd64',
    })
  }
  return targets
}

async function syft(target: Target): Promise<CycloneDx> {
  const { stdout } = await run(
    'syft',
    [
      'scan',
      target.source,
      '-o',
      'cyclonedx-json',
      '-q',
      ...(target.platform ? ['--platform', target.platform] : []),
    ],
    { env: { ...process.env, SYFT_CHECK_FOR_APP_UPDATE: 'false' }, timeoutMs: 600_000 },
  )
  return JSON.parse(stdout) as CycloneDx
}

async function polyshipSbom(released: ReleasedExamples, target: Target): Promise<void> {
  if (target.goBinary) await run('go', ['version', '-m', '-json', target.goBinary])
  const { artifact, document } = released.sboms.get(target.artifact)!
  await buildSboms(
    { kind: artifact.kind, name: artifact.name, version: artifact.version, digest: artifact.digest },
    inputsOf(document),
    { epoch: 1_700_000_000 },
  )
}

async function main(runs: number): Promise<void> {
  const released = await releaseExamples()
  try {
    const targets = await targetsOf(released)
    const rows: string[][] = []
    for (const target of targets) {
      const ours = purlsOf(released.sboms.get(target.artifact)!.document)
      const theirs = purlsOf(await syft(target))
      const missing = [...theirs].filter((p) => !ours.has(p))
      const extra = [...ours].filter((p) => !theirs.has(p))
      rows.push([
        target.what,
        String(ours.size),
        String(theirs.size),
        missing.join(' ') || 'none',
        String(extra.length),
      ])
    }
    console.log('\ncomponents (purls, normalised), polyship vs syft on the same artifacts')
    console.log("| artifact | polyship | syft | found by syft, not in polyship's SBOM | only in polyship's |")
    console.log('|---|---|---|---|---|')
    for (const row of rows) console.log(`| ${row.join(' | ')} |`)

    const results = await compare(
      [
        {
          name: `polyship SBOMs (${targets.length} artifacts)`,
          run: async () => {
            for (const t of targets) await polyshipSbom(released, t)
          },
        },
        {
          name: `syft scan (${targets.length} artifacts)`,
          run: async () => {
            for (const t of targets) await syft(t)
          },
        },
      ],
      runs,
    )
    report(
      "SBOM generation on the same artifacts (polyship: from the build's own data; syft: from the bytes)",
      results,
    )
  } finally {
    await rm(released.work, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(Number(process.argv[2] ?? 3))
