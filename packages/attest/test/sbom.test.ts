import {
  buildSbom,
  cargoPackage,
  fileComponent,
  goModule,
  goStdlib,
  helmChart,
  helmSubchart,
  isAttestError,
  ociImage,
  parseRequirement,
  pythonRequirement,
  type SbomSubject,
  sbomSerialNumber,
  validateSbom,
} from '@polyship/attest'
import { type Digest, sha256 } from '@polyship/core'
import { describe, expect, it } from 'vitest'

const digest = (seed: string): Digest => sha256(seed)
const env = { SOURCE_DATE_EPOCH: '1700000000' }

const goModules = [
  {
    path: 'github.com/prometheus/client_golang',
    version: 'v1.20.5',
    sum: 'h1:cxppBPuYhUnsO6yo/aoRol4L7q7UFfdm+bR9r+8l63Y=',
  },
  {
    path: 'golang.org/x/sys',
    version: 'v0.26.0',
    replace: { path: 'github.com/acme/sys-fork', version: 'v0.26.1' },
  },
]

function goBinary(): { subject: SbomSubject; components: ReturnType<typeof goModule>[] } {
  return {
    subject: {
      kind: 'binary',
      name: 'time-server-go',
      version: '1.2.0',
      digest: digest('go-binary'),
      purl: 'pkg:golang/github.com/acme/time-server@1.2.0',
      platform: { os: 'linux', architecture: 'arm64' },
    },
    components: [...goModules.map(goModule), goStdlib('go1.24.2')],
  }
}

/** The parts of a CycloneDX document these tests look at. */
interface Document {
  readonly specVersion: string
  readonly serialNumber: string
  readonly metadata: {
    readonly timestamp?: string
    readonly component: { readonly type: string; readonly purl: string }
  }
  readonly dependencies: readonly unknown[]
}

function documentOf(sbom: { document: unknown }): Document {
  return sbom.document as Document
}

function componentsOf(document: Readonly<Record<string, unknown>>) {
  return document.components as {
    purl: string
    hashes?: { alg: string; content: string }[]
    scope?: string
  }[]
}

describe('buildSbom', () => {
  it('describes a Go binary: the binary as metadata component, module purls and hashes', async () => {
    const { subject, components } = goBinary()
    const sbom = await buildSbom(subject, components, { env })
    const document = documentOf(sbom)
    expect(document.specVersion).toBe('1.6')
    expect(document.serialNumber).toBe(sbomSerialNumber(subject.digest))
    expect(document.metadata.timestamp).toBe('2023-11-14T22:13:20.000Z')
    expect(document.metadata.component).toMatchObject({
      type: 'application',
      name: 'time-server-go',
      purl: 'pkg:golang/github.com/acme/time-server@1.2.0',
      hashes: [{ alg: 'SHA-256', content: subject.digest.slice(7) }],
    })
    expect(componentsOf(sbom.document).map((c) => c.purl)).toEqual([
      'pkg:golang/github.com/acme/sys-fork@v0.26.1',
      'pkg:golang/github.com/prometheus/client_golang@v1.20.5',
      'pkg:golang/stdlib@1.24.2',
    ])
    const client = componentsOf(sbom.document).find((c) => c.purl.includes('client_golang'))!
    expect(client.hashes).toEqual([
      {
        alg: 'SHA-256',
        content: Buffer.from('cxppBPuYhUnsO6yo/aoRol4L7q7UFfdm+bR9r+8l63Y=', 'base64').toString('hex'),
      },
    ])
    expect(document.dependencies).toContainEqual({
      ref: 'pkg:golang/github.com/acme/time-server@1.2.0',
      dependsOn: [
        'pkg:golang/github.com/acme/sys-fork@v0.26.1',
        'pkg:golang/github.com/prometheus/client_golang@v1.20.5',
        'pkg:golang/stdlib@1.24.2',
      ],
    })
  })

  it('refuses malformed input with a coded error instead of dropping it', async () => {
    const { subject } = goBinary()
    const bad = cargoPackage({ name: 'serde', version: '1.0.0', checksum: 'abc' })
    const error = await buildSbom(subject, [bad], { env }).catch((e: unknown) => e)
    expect(isAttestError(error) && error.code).toBe('ATTEST_INPUT_INVALID')
    expect((error as Error).message).toContain('pkg:cargo/serde@1.0.0')
  })

  it('is byte-identical across builds, and the serial number follows the artifact digest', async () => {
    const { subject, components } = goBinary()
    const first = await buildSbom(subject, components, { env })
    const second = await buildSbom(subject, [...components].reverse(), { env })
    expect(Buffer.from(second.bytes).equals(Buffer.from(first.bytes))).toBe(true)
    const other = await buildSbom({ ...subject, digest: digest('other') }, components, { env })
    expect(other.serialNumber).not.toBe(first.serialNumber)
    expect(first.serialNumber).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    const untimed = await buildSbom(subject, components, {})
    expect((untimed.document.metadata as Record<string, unknown>).timestamp).toBeUndefined()
  })

  it('describes a wheel from its Rust crates and Python requirements', async () => {
    const crates = [
      cargoPackage({
        name: 'pyo3',
        version: '0.22.5',
        source: 'registry+https://github.com/rust-lang/crates.io-index',
        checksum: 'D922163BA1F79C04BC49073BA7B32FD5A8D3B76A87C955921234B8E77333C51A',
      }),
      cargoPackage({
        name: 'chrono',
        version: '0.4.38',
        source: 'git+https://github.com/chronotope/chrono?rev=abc#abc123',
      }),
      cargoPackage({ name: 'timecore', version: '0.3.0' }),
    ]
    const requires = ['numpy>=1.26', 'tzdata (==2024.2)', 'pytest ; extra == "test"'].map((line) =>
      pythonRequirement(parseRequirement(line)),
    )
    const sbom = await buildSbom(
      {
        kind: 'wheel',
        name: 'time_py-0.3.0-cp39-abi3-manylinux_2_17_x86_64.whl',
        version: '0.3.0',
        digest: digest('wheel'),
      },
      [...crates, ...requires],
      { env },
    )
    const document = documentOf(sbom)
    expect(document.metadata.component.purl).toBe(
      'pkg:pypi/time-py@0.3.0?file_name=time_py-0.3.0-cp39-abi3-manylinux_2_17_x86_64.whl',
    )
    const purls = componentsOf(sbom.document).map((c) => c.purl)
    expect(purls).toEqual([
      'pkg:cargo/chrono@0.4.38?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fchronotope%2Fchrono%3Frev%3Dabc%23abc123',
      'pkg:cargo/pyo3@0.22.5',
      'pkg:cargo/timecore@0.3.0',
      'pkg:pypi/numpy',
      'pkg:pypi/pytest',
      'pkg:pypi/tzdata@2024.2',
    ])
    const pytest = componentsOf(sbom.document).find((c) => c.purl === 'pkg:pypi/pytest')!
    expect(pytest.scope).toBe('optional')
    const pyo3 = componentsOf(sbom.document).find((c) => c.purl === 'pkg:cargo/pyo3@0.22.5')!
    expect(pyo3.hashes?.[0]?.content).toBe('d922163ba1f79c04bc49073ba7b32fd5a8d3b76a87c955921234b8e77333c51a')
  })

  it('describes an image from its base (by digest) and the binary inside, and a chart from its images', async () => {
    const binary = fileComponent({
      name: 'time-server',
      digest: digest('go-binary'),
      version: '1.2.0',
      purl: 'pkg:golang/github.com/acme/time-server@1.2.0',
      dependsOn: goModules.map(goModule),
    })
    const base = ociImage({ repository: 'gcr.io/distroless/static', digest: digest('base'), tag: 'nonroot' })
    const image = await buildSbom(
      {
        kind: 'image-index',
        name: '127.0.0.1:5000/acme/time-server-go',
        version: '1.2.0',
        digest: digest('index'),
      },
      [base, binary],
      { env },
    )
    const imageDoc = documentOf(image)
    expect(imageDoc.metadata.component.type).toBe('container')
    expect(imageDoc.metadata.component.purl).toBe(
      `pkg:oci/time-server-go@${digest('index').replace(':', '%3A')}?repository_url=127.0.0.1%3A5000%2Facme%2Ftime-server-go`.replace(
        '%3A',
        ':',
      ),
    )
    expect(componentsOf(image.document).map((c) => c.purl)).toContain(
      `pkg:oci/static@${digest('base')}?repository_url=gcr.io%2Fdistroless%2Fstatic&tag=nonroot`,
    )
    expect(imageDoc.dependencies).toContainEqual({
      ref: 'pkg:golang/github.com/acme/time-server@1.2.0',
      dependsOn: [
        'pkg:golang/github.com/acme/sys-fork@v0.26.1',
        'pkg:golang/github.com/prometheus/client_golang@v1.20.5',
      ],
    })

    const chart = await buildSbom(
      {
        kind: 'chart',
        name: '127.0.0.1:5000/acme/charts/time',
        version: '0.4.0+build.1',
        digest: digest('chart'),
      },
      [
        ociImage({ repository: '127.0.0.1:5000/acme/time-server-go', digest: digest('index') }),
        helmChart({
          name: 'redis',
          version: '20.1.0',
          digest: digest('redis'),
          repository: 'registry-1.docker.io/bitnamicharts/redis',
        }),
      ],
      { env },
    )
    const chartDoc = documentOf(chart)
    expect(chartDoc.metadata.component.purl).toBe(
      `pkg:oci/time@${digest('chart')}?repository_url=127.0.0.1%3A5000%2Facme%2Fcharts%2Ftime&tag=0.4.0_build.1`,
    )
    expect(componentsOf(chart.document).map((c) => c.purl)).toEqual([
      `pkg:oci/redis@${digest('redis')}?repository_url=registry-1.docker.io%2Fbitnamicharts%2Fredis&tag=20.1.0`,
      `pkg:oci/time-server-go@${digest('index')}?repository_url=127.0.0.1%3A5000%2Facme%2Ftime-server-go`,
    ])
  })

  it("lists an umbrella chart's subcharts as pkg:helm components, nested ones as their dependencies", async () => {
    const sbom = await buildSbom(
      { kind: 'chart', name: 'stack', version: '0.3.0', digest: digest('stack') },
      [
        helmSubchart({
          name: 'redis-lite',
          version: '1.2.0',
          repository: 'http://127.0.0.1:8080',
          digest: digest('redis-lite'),
          subcharts: [],
        }),
        helmSubchart({
          name: 'cache-lite',
          version: '2.0.0',
          repository: 'oci://ghcr.io/acme/charts',
          digest: digest('cache-lite'),
          subcharts: [],
        }),
        helmSubchart({
          name: 'private',
          version: '0.0.1',
          repository: 'https://user:s3cret@charts.example.com/stable',
          subcharts: [],
        }),
        helmSubchart({
          name: 'lib',
          version: '0.4.0',
          repository: 'file://../lib',
          subcharts: [{ name: 'common', version: '2.1.0', repository: '', subcharts: [] }],
        }),
      ],
      { env },
    )
    const components = componentsOf(sbom.document)
    expect(components.map((c) => c.purl)).toEqual([
      'pkg:helm/cache-lite@2.0.0?repository_url=oci%3A%2F%2Fghcr.io%2Facme%2Fcharts',
      'pkg:helm/common@2.1.0',
      'pkg:helm/lib@0.4.0',
      'pkg:helm/private@0.0.1?repository_url=https%3A%2F%2Fcharts.example.com%2Fstable',
      'pkg:helm/redis-lite@1.2.0?repository_url=http%3A%2F%2F127.0.0.1%3A8080',
    ])
    const redis = components.find((c) => c.purl.startsWith('pkg:helm/redis-lite@')) as unknown as {
      hashes: { alg: string; content: string }[]
      version: string
    }
    expect(redis.version).toBe('1.2.0')
    expect(redis.hashes).toEqual([{ alg: 'SHA-256', content: digest('redis-lite').slice('sha256:'.length) }])
    expect(new TextDecoder().decode(sbom.bytes)).not.toContain('s3cret')
    const dependencies = sbom.document.dependencies as { ref: string; dependsOn?: string[] }[]
    expect(dependencies.find((d) => d.ref === 'pkg:helm/lib@0.4.0')?.dependsOn).toEqual([
      'pkg:helm/common@2.1.0',
    ])
  })

  it('describes an archive by the binary inside it', async () => {
    const sbom = await buildSbom(
      {
        kind: 'archive',
        name: 'time-server-go_1.2.0_linux_arm64.tar.gz',
        version: '1.2.0',
        digest: digest('archive'),
      },
      [fileComponent({ name: 'time-server', digest: digest('go-binary'), version: '1.2.0' })],
      { env },
    )
    expect(sbom.document.metadata).toMatchObject({
      component: {
        type: 'file',
        purl: `pkg:generic/time-server-go_1.2.0_linux_arm64.tar.gz@1.2.0?checksum=${encodeURIComponent(digest('archive'))}`,
      },
    })
    expect(new TextDecoder().decode(sbom.bytes)).toMatchInlineSnapshot(`
      "{
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "serialNumber": "urn:uuid:f36bd1fd-69b3-54b4-a656-3bf31ffd0112",
        "metadata": {
          "timestamp": "2023-11-14T22:13:20.000Z",
          "tools": {
            "components": [
              {
                "type": "application",
                "name": "polyship"
              }
            ]
          },
          "component": {
            "type": "file",
            "name": "time-server-go_1.2.0_linux_arm64.tar.gz",
            "version": "1.2.0",
            "bom-ref": "pkg:generic/time-server-go_1.2.0_linux_arm64.tar.gz@1.2.0?checksum=sha256%3A0eb3e36bfb24dcd9bb1d1bece1531216b59539a8fde17ee80224af0653c92aa3",
            "hashes": [
              {
                "alg": "SHA-256",
                "content": "0eb3e36bfb24dcd9bb1d1bece1531216b59539a8fde17ee80224af0653c92aa3"
              }
            ],
            "purl": "pkg:generic/time-server-go_1.2.0_linux_arm64.tar.gz@1.2.0?checksum=sha256%3A0eb3e36bfb24dcd9bb1d1bece1531216b59539a8fde17ee80224af0653c92aa3",
            "properties": [
              {
                "name": "polyship:artifact:kind",
                "value": "archive"
              }
            ]
          }
        },
        "components": [
          {
            "type": "application",
            "name": "time-server",
            "version": "1.2.0",
            "bom-ref": "pkg:generic/time-server@1.2.0?checksum=sha256%3A94007eb87f80a2eb4ebeb902f1fd6cedf3e2c8b81bd161a249c25276a1d6b4fb",
            "hashes": [
              {
                "alg": "SHA-256",
                "content": "94007eb87f80a2eb4ebeb902f1fd6cedf3e2c8b81bd161a249c25276a1d6b4fb"
              }
            ],
            "purl": "pkg:generic/time-server@1.2.0?checksum=sha256%3A94007eb87f80a2eb4ebeb902f1fd6cedf3e2c8b81bd161a249c25276a1d6b4fb"
          }
        ],
        "dependencies": [
          {
            "ref": "pkg:generic/time-server-go_1.2.0_linux_arm64.tar.gz@1.2.0?checksum=sha256%3A0eb3e36bfb24dcd9bb1d1bece1531216b59539a8fde17ee80224af0653c92aa3",
            "dependsOn": [
              "pkg:generic/time-server@1.2.0?checksum=sha256%3A94007eb87f80a2eb4ebeb902f1fd6cedf3e2c8b81bd161a249c25276a1d6b4fb"
            ]
          },
          {
            "ref": "pkg:generic/time-server@1.2.0?checksum=sha256%3A94007eb87f80a2eb4ebeb902f1fd6cedf3e2c8b81bd161a249c25276a1d6b4fb"
          }
        ]
      }
      "
    `)
  })
})

describe('validateSbom', () => {
  it('rejects documents that break the CycloneDX 1.6 schema, naming the problem', async () => {
    const { subject, components } = goBinary()
    const { document } = await buildSbom(subject, components, { env })
    const broken = { ...document, components: [{ type: 'gadget', name: 'x' }] }
    const error = await validateSbom(JSON.stringify(broken), 'broken.cdx.json').catch((e: unknown) => e)
    expect(isAttestError(error) && error.code).toBe('ATTEST_SBOM_INVALID')
    expect((error as Error).message).toContain('broken.cdx.json')
    const spdx = await validateSbom('{"spdxVersion":"SPDX-2.3"}', 'x.spdx.json').catch((e: unknown) => e)
    expect(isAttestError(spdx) && spdx.code).toBe('ATTEST_SBOM_INVALID')
  })
})

describe('parseRequirement', () => {
  it('reads PEP 508 requirement lines', () => {
    expect(parseRequirement('numpy>=1.26,<3')).toEqual({ name: 'numpy', specifier: '>=1.26,<3' })
    expect(parseRequirement('tzdata (==2024.2)')).toEqual({ name: 'tzdata', specifier: '==2024.2' })
    expect(parseRequirement('requests[socks, security] >= 2.0 ; python_version < "3.11"')).toEqual({
      name: 'requests',
      extras: ['socks', 'security'],
      specifier: '>=2.0',
      marker: 'python_version < "3.11"',
    })
    expect(() => parseRequirement('>=1.0')).toThrow(/not a PEP 508 requirement/)
  })
})
