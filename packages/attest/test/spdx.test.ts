import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  attestationStore,
  attestImage,
  buildSboms,
  type CheckResult,
  cargoPackage,
  fileComponent,
  goModule,
  goStdlib,
  helmSubchart,
  isAttestError,
  keyPolicy,
  keySigner,
  ociImage,
  parseRequirement,
  pythonRequirement,
  readPublicKey,
  resolveSigningKey,
  type SbomComponent,
  type SbomSubject,
  spdxNamespace,
  validateSpdx,
  verifyImage,
} from '@polyship/attest'
import { type Digest, run, sha256 } from '@polyship/core'
import { RegistryClient } from '@polyship/oci'
import { pushTestImage } from '@polyship/oci/testing'
import { describe, expect, inject, it } from 'vitest'
import { cosign, tempDir, testDeps } from './helpers.ts'

const dir = tempDir('spdx')
const digest = (seed: string): Digest => sha256(seed)
const env = { SOURCE_DATE_EPOCH: '1700000000' }

interface SpdxDocument {
  readonly documentNamespace: string
  readonly creationInfo: { readonly created: string; readonly creators: readonly string[] }
  readonly packages: readonly {
    readonly SPDXID: string
    readonly name: string
    readonly versionInfo?: string
    readonly licenseDeclared: string
    readonly primaryPackagePurpose: string
    readonly checksums?: readonly { algorithm: string; checksumValue: string }[]
    readonly externalRefs: readonly {
      referenceCategory: string
      referenceType: string
      referenceLocator: string
    }[]
  }[]
  readonly relationships: readonly {
    readonly spdxElementId: string
    readonly relationshipType: string
    readonly relatedSpdxElement: string
  }[]
}

/** Runs the SPDX project's validator (pyspdxtools, from spdx-tools in the venv) on a document. */
async function pyspdxtools(name: string, bytes: Uint8Array): Promise<{ valid: boolean; output: string }> {
  const path = join(dir(), name)
  await writeFile(path, bytes)
  const result = await run('pyspdxtools', ['-i', path], { okExitCodes: [1], timeoutMs: 120_000 })
  return { valid: result.exitCode === undefined, output: `${result.stdout}${result.stderr}` }
}

const purlOf = (pkg: SpdxDocument['packages'][number]) =>
  pkg.externalRefs.find((r) => r.referenceType === 'purl')?.referenceLocator

/** SPDX relationships as `<purl> <TYPE> <purl>` lines, the document itself as DOCUMENT. */
function edgesOf(document: SpdxDocument): string[] {
  const purls = new Map(document.packages.map((p) => [p.SPDXID, purlOf(p)]))
  const name = (id: string) => (id === 'SPDXRef-DOCUMENT' ? 'DOCUMENT' : purls.get(id))
  return document.relationships
    .map((r) => `${name(r.spdxElementId)} ${r.relationshipType} ${name(r.relatedSpdxElement)}`)
    .sort()
}

/** CycloneDX dependencies as `<ref> -> <ref>` lines. */
function cyclonedxEdges(document: Readonly<Record<string, unknown>>): string[] {
  const dependencies = document.dependencies as { ref: string; dependsOn?: string[] }[]
  return dependencies.flatMap((d) => (d.dependsOn ?? []).map((to) => `${d.ref} -> ${to}`)).sort()
}

const goModules = [
  {
    path: 'github.com/prometheus/client_golang',
    version: 'v1.20.5',
    sum: 'h1:cxppBPuYhUnsO6yo/aoRol4L7q7UFfdm+bR9r+8l63Y=',
  },
  { path: 'golang.org/x/sys', version: 'v0.26.0' },
]
const goSubject: SbomSubject = {
  kind: 'binary',
  name: 'time-server-go',
  version: '1.2.0',
  digest: digest('go-binary'),
  purl: 'pkg:golang/github.com/acme/time-server@1.2.0',
  platform: { os: 'linux', architecture: 'arm64' },
}
const goComponents = (): SbomComponent[] => [...goModules.map(goModule), goStdlib('go1.24.2')]

describe('SPDX 2.3 SBOMs, from the same graph as CycloneDX', () => {
  it('describe a Go binary: purls, SHA256, DESCRIBES and DEPENDS_ON; pyspdxtools accepts it', async () => {
    const { cyclonedx, spdx } = await buildSboms(goSubject, goComponents(), { env, toolVersion: '0.9.0' })
    const document = spdx.document as unknown as SpdxDocument
    expect(document.documentNamespace).toBe(spdxNamespace('time-server-go', goSubject.digest))
    expect(document.creationInfo).toEqual({
      created: '2023-11-14T22:13:20Z',
      creators: ['Tool: polyship-0.9.0'],
    })
    const root = document.packages.find((p) => purlOf(p) === goSubject.purl)!
    expect(root).toMatchObject({
      name: 'time-server-go',
      versionInfo: '1.2.0',
      primaryPackagePurpose: 'APPLICATION',
      licenseDeclared: 'NOASSERTION',
      checksums: [{ algorithm: 'SHA256', checksumValue: goSubject.digest.slice(7) }],
      externalRefs: [
        { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: goSubject.purl },
      ],
    })
    const client = document.packages.find((p) => purlOf(p)?.includes('client_golang'))!
    expect(client.name).toBe('github.com/prometheus/client_golang')
    expect(client.checksums).toEqual([
      {
        algorithm: 'SHA256',
        checksumValue: Buffer.from('cxppBPuYhUnsO6yo/aoRol4L7q7UFfdm+bR9r+8l63Y=', 'base64').toString('hex'),
      },
    ])
    expect(edgesOf(document)).toEqual([
      `DOCUMENT DESCRIBES ${goSubject.purl}`,
      `${goSubject.purl} DEPENDS_ON pkg:golang/github.com/prometheus/client_golang@v1.20.5`,
      `${goSubject.purl} DEPENDS_ON pkg:golang/golang.org/x/sys@v0.26.0`,
      `${goSubject.purl} DEPENDS_ON pkg:golang/stdlib@1.24.2`,
    ])
    // one model: the same purls and the same edges as the CycloneDX document
    const cdxPurls = (cyclonedx.document.components as { purl: string }[]).map((c) => c.purl)
    expect(document.packages.map(purlOf).sort()).toEqual([goSubject.purl, ...cdxPurls].sort())
    expect(
      edgesOf(document)
        .filter((e) => !e.startsWith('DOCUMENT'))
        .map((e) => e.replace(' DEPENDS_ON ', ' -> ')),
    ).toEqual(cyclonedxEdges(cyclonedx.document))

    const validated = await pyspdxtools('go.spdx.json', spdx.bytes)
    expect(validated.valid, validated.output).toBe(true)
  })

  it('are byte-identical across builds under SOURCE_DATE_EPOCH; the namespace follows the artifact digest', async () => {
    const first = await buildSboms(goSubject, goComponents(), { env })
    const second = await buildSboms(goSubject, [...goComponents()].reverse(), { env })
    expect(Buffer.from(second.spdx.bytes).equals(Buffer.from(first.spdx.bytes))).toBe(true)
    expect(second.spdx.digest).toBe(first.spdx.digest)
    const other = await buildSboms({ ...goSubject, digest: digest('other') }, goComponents(), { env })
    expect(other.spdx.namespace).not.toBe(first.spdx.namespace)
    const later = await buildSboms(goSubject, goComponents(), { env: { SOURCE_DATE_EPOCH: '1800000000' } })
    expect((later.spdx.document as unknown as SpdxDocument).creationInfo.created).toBe('2027-01-15T08:00:00Z')
  })

  it('describe an archive, an image, a wheel and a chart with subcharts: CONTAINS where they hold, all valid for pyspdxtools', async () => {
    const binary = fileComponent({
      name: 'time-server',
      digest: digest('go-binary'),
      version: '1.2.0',
      purl: 'pkg:golang/github.com/acme/time-server@1.2.0',
      dependsOn: goModules.map(goModule),
    })
    const base = ociImage({ repository: 'gcr.io/distroless/static', digest: digest('base'), tag: 'nonroot' })
    const archive = await buildSboms(
      {
        kind: 'archive',
        name: 'time-server_1.2.0_linux_arm64.tar.gz',
        version: '1.2.0',
        digest: digest('a'),
      },
      [binary],
      { env },
    )
    const archiveDoc = archive.spdx.document as unknown as SpdxDocument
    const archivePackage = archiveDoc.packages.find((p) => p.primaryPackagePurpose === 'ARCHIVE')!
    expect(edgesOf(archiveDoc)).toContain(
      `${purlOf(archivePackage)} CONTAINS pkg:golang/github.com/acme/time-server@1.2.0`,
    )
    expect(edgesOf(archiveDoc)).toContain(
      'pkg:golang/github.com/acme/time-server@1.2.0 DEPENDS_ON pkg:golang/golang.org/x/sys@v0.26.0',
    )

    const image = await buildSboms(
      {
        kind: 'image-index',
        name: '127.0.0.1:5000/acme/time-server-go',
        version: '1.2.0',
        digest: digest('i'),
      },
      [base, binary],
      { env },
    )
    const imageDoc = image.spdx.document as unknown as SpdxDocument
    expect(imageDoc.packages.find((p) => purlOf(p) === base.purl)?.primaryPackagePurpose).toBe('CONTAINER')
    expect(edgesOf(imageDoc).filter((e) => e.includes(' CONTAINS '))).toHaveLength(2)

    const wheel = await buildSboms(
      {
        kind: 'wheel',
        name: 'time_py-0.3.0-cp39-abi3-manylinux_2_17_x86_64.whl',
        version: '0.3.0',
        digest: digest('w'),
      },
      [
        {
          ...cargoPackage({ name: 'pyo3', version: '0.22.5', checksum: 'd'.repeat(64) }),
          license: 'MIT OR Apache-2.0',
        },
        ...['numpy>=1.26', 'pytest ; extra == "test"'].map((l) => pythonRequirement(parseRequirement(l))),
      ],
      { env },
    )
    const wheelDoc = wheel.spdx.document as unknown as SpdxDocument
    expect(wheelDoc.packages.find((p) => p.name === 'pyo3')?.licenseDeclared).toBe('MIT OR Apache-2.0')
    const pyo3 = (wheel.cyclonedx.document.components as { name: string; licenses?: unknown }[]).find(
      (c) => c.name === 'pyo3',
    )
    expect(pyo3?.licenses).toEqual([{ expression: 'MIT OR Apache-2.0' }])

    const subchart = helmSubchart({
      name: 'postgresql',
      version: '15.5.0',
      repository: 'https://charts.example.com',
      digest: digest('pg'),
      subcharts: [
        { name: 'common', version: '2.20.0', repository: 'https://charts.example.com', subcharts: [] },
      ],
    })
    const chart = await buildSboms(
      { kind: 'chart', name: 'ghcr.io/acme/charts/time', version: '0.4.0+build.1', digest: digest('c') },
      [ociImage({ repository: 'ghcr.io/acme/time-server-go', digest: digest('i') }), subchart],
      { env },
    )
    const chartDoc = chart.spdx.document as unknown as SpdxDocument
    const chartPurl = purlOf(chartDoc.packages.find((p) => p.name === 'ghcr.io/acme/charts/time')!)
    expect(edgesOf(chartDoc)).toEqual(
      [
        `DOCUMENT DESCRIBES ${chartPurl}`,
        `${chartPurl} CONTAINS ${subchart.purl}`,
        `${chartPurl} DEPENDS_ON ${ociImage({ repository: 'ghcr.io/acme/time-server-go', digest: digest('i') }).purl}`,
        `${subchart.purl} CONTAINS ${subchart.dependsOn![0]!.purl}`,
      ].sort(),
    )

    for (const [name, sboms] of Object.entries({ archive, image, wheel, chart })) {
      const validated = await pyspdxtools(`${name}.spdx.json`, sboms.spdx.bytes)
      expect(validated.valid, `${name}: ${validated.output}`).toBe(true)
    }
  })

  it('refuse a broken document with ATTEST_SBOM_INVALID, as pyspdxtools does', async () => {
    const { spdx } = await buildSboms(goSubject, goComponents(), { env })
    const broken = JSON.parse(Buffer.from(spdx.bytes).toString('utf8')) as {
      relationships: { relatedSpdxElement: string }[]
    }
    broken.relationships[1]!.relatedSpdxElement = 'SPDXRef-Package-nowhere'
    const text = JSON.stringify(broken)
    let error: unknown
    try {
      validateSpdx(text, 'broken.spdx.json')
    } catch (caught) {
      error = caught
    }
    expect(isAttestError(error) && error.code).toBe('ATTEST_SBOM_INVALID')
    expect((error as Error).message).toContain('broken.spdx.json')
    expect((error as Error).message).toContain('SPDXRef-Package-nowhere')
    const validated = await pyspdxtools('broken.spdx.json', new TextEncoder().encode(text))
    expect(validated.valid).toBe(false)
    expect(validated.output).toContain('SPDXRef-Package-nowhere')
  })
})

describe('SPDX attestations of an image in a registry', () => {
  it('pass cosign verify-attestation --type spdxjson and polyship verification', async () => {
    const { host } = inject('ociRegistry')
    const resolved = await resolveSigningKey({}, testDeps(join(dir(), 'home')).deps)
    const policy = keyPolicy([await readPublicKey(resolved.publicKeyPath!)])
    const store = new RegistryClient().repository(`${host}/attest-test/spdx`)
    const image = await pushTestImage(store, {
      seed: 'attest-spdx',
      layers: 1,
      layerSize: 4096,
      tag: '1.2.0',
    })
    const sboms = await buildSboms(
      { kind: 'image-index', name: `${host}/attest-test/spdx`, version: '1.2.0', digest: image.root.digest },
      [ociImage({ repository: 'gcr.io/distroless/static', digest: digest('base') })],
      { env },
    )
    const attestations = attestationStore(store)
    const attested = await attestImage(image.root, attestations, keySigner(resolved.key), {
      sbom: sboms.cyclonedx,
      spdx: sboms.spdx,
    })
    expect(attested.spdx?.location).toContain('attest-test/spdx@sha256:')
    const ref = `${host}/attest-test/spdx@${image.root.digest}`
    const verified = await cosign([
      'verify-attestation',
      '--key',
      resolved.publicKeyPath!,
      '--allow-http-registry',
      '--insecure-ignore-tlog',
      '--type',
      'spdxjson',
      ref,
    ])
    expect(verified.ok, verified.output).toBe(true)
    const rows = (results: readonly CheckResult[]) =>
      results.map((r) => `${r.check} ${r.status === 'passed' ? 'ok' : r.code}`)
    const results = await verifyImage(image.root, attestations, policy, {
      expect: { sbom: true, spdx: true, provenance: false },
    })
    expect(rows(results)).toEqual(['signature ok', 'sbom ok', 'spdx ok'])
    expect(results[2]).toMatchObject({ detail: expect.stringContaining('SPDX 2.3, 2 packages') })

    const bare = await pushTestImage(store, { seed: 'attest-spdx-bare', layers: 1, layerSize: 4096 })
    await attestImage(bare.root, attestations, keySigner(resolved.key), { sbom: sboms.cyclonedx })
    const missing = await verifyImage(bare.root, attestations, policy, {
      expect: { sbom: true, spdx: true, provenance: false },
    })
    expect(rows(missing)).toEqual([
      'signature ok',
      'sbom ATTEST_SUBJECT_MISMATCH',
      'spdx ATTEST_SBOM_MISSING',
    ])
  })
})
