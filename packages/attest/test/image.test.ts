import { generateKeyPairSync } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type AttestationStore,
  attestationStore,
  attestImage,
  type BundleSigner,
  buildSbom,
  bundleReferrer,
  type CheckResult,
  keyPolicy,
  keySigner,
  ociImage,
  provenanceStatement,
  readBundles,
  readPublicKey,
  resolveSigningKey,
  type SigningKey,
  type SigstoreBundle,
  type VerificationPolicy,
  verifyImage,
} from '@polyship/attest'
import { type Digest, sha256 } from '@polyship/core'
import {
  type Descriptor,
  encodeManifest,
  LayoutStore,
  MEDIA_TYPES,
  type OciStore,
  RegistryClient,
} from '@polyship/oci'
import { pushTestImage } from '@polyship/oci/testing'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { cosign, tempDir, testDeps } from './helpers.ts'

const { host } = inject('ociRegistry')
const client = new RegistryClient()
const dir = tempDir('image')
let key: SigningKey
let publicKeyPath: string
let policy: VerificationPolicy

const HTTP = ['--allow-http-registry', '--insecure-ignore-tlog']

function provenanceFor(name: string, digest: Digest) {
  return provenanceStatement({
    subjects: [{ name, digest }],
    project: 'time-server-go',
    version: '1.2.0',
    source: { repository: 'https://github.com/acme/time', ref: 'refs/heads/main', commit: 'c'.repeat(40) },
    baseImages: [{ reference: 'gcr.io/distroless/static:nonroot', digest: sha256('base') }],
    builder: {
      id: 'https://polyship.dev/builders/local/v1',
      invocationId: 'urn:uuid:1',
      startedOn: new Date(),
      finishedOn: new Date(),
    },
  })
}

/** Pushes a small two-platform image to `repository` and attests it with `signer`. */
async function attestedImage(repository: string, signer: BundleSigner, seed: string) {
  const store = client.repository(`${host}/${repository}`)
  const image = await pushTestImage(store, { seed, layers: 1, layerSize: 4096, tag: '1.2.0' })
  const sbom = await buildSbom(
    { kind: 'image-index', name: `${host}/${repository}`, version: '1.2.0', digest: image.root.digest },
    [ociImage({ repository: 'gcr.io/distroless/static', digest: sha256('base') })],
    { env: { SOURCE_DATE_EPOCH: '1700000000' } },
  )
  const attestations = attestationStore(store)
  const result = await attestImage(image.root, attestations, signer, {
    sbom,
    provenance: provenanceFor(`${host}/${repository}`, image.root.digest),
  })
  return { store, attestations, root: image.root, ref: `${host}/${repository}@${image.root.digest}`, result }
}

/** A minimal Helm chart in OCI form: helm config, one chart layer, tagged with its version. */
async function pushChart(store: OciStore): Promise<Descriptor> {
  const config = new TextEncoder().encode(
    JSON.stringify({ apiVersion: 'v2', name: 'time', version: '0.4.0' }),
  )
  const layer = new TextEncoder().encode('not really a tgz, registries do not look inside')
  const configDescriptor = {
    mediaType: 'application/vnd.cncf.helm.config.v1+json',
    digest: sha256(config),
    size: config.length,
  }
  const layerDescriptor = {
    mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
    digest: sha256(layer),
    size: layer.length,
  }
  await store.pushBlob(configDescriptor, config)
  await store.pushBlob(layerDescriptor, layer)
  const content = encodeManifest({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: configDescriptor,
    layers: [layerDescriptor],
  })
  return (await store.putManifest(content, { tag: '0.4.0' })).descriptor
}

function rows(results: readonly CheckResult[]): string[] {
  return results.map((r) => `${r.check} ${r.status === 'passed' ? 'ok' : r.code}`)
}

/** A key signer whose DSSE signatures have one byte flipped. */
function corrupting(signer: BundleSigner): BundleSigner {
  return {
    signBlob: (data) => signer.signBlob(data),
    async signStatement(value) {
      const bundle = await signer.signStatement(value)
      const envelope = bundle.dsseEnvelope!
      const sig = Buffer.from(envelope.signatures[0]!.sig, 'base64')
      sig[sig.length - 3] = sig[sig.length - 3]! ^ 0x01
      const signatures = [{ ...envelope.signatures[0]!, sig: sig.toString('base64') }]
      return { ...bundle, dsseEnvelope: { ...envelope, signatures } } as SigstoreBundle
    },
  }
}

beforeAll(async () => {
  const resolved = await resolveSigningKey({}, testDeps(join(dir(), 'home')).deps)
  key = resolved.key
  publicKeyPath = resolved.publicKeyPath!
  policy = keyPolicy([await readPublicKey(publicKeyPath)])
})

describe('images and charts signed and attested in a registry (tag fallback, distribution 2.8)', () => {
  let image: Awaited<ReturnType<typeof attestedImage>>
  beforeAll(async () => {
    image = await attestedImage('attest-test/time-server', keySigner(key), 'attest-image')
  })

  it('pass cosign verify and verify-attestation --type slsaprovenance1 / cyclonedx', async () => {
    const signature = await cosign(['verify', '--key', publicKeyPath, ...HTTP, image.ref])
    expect(signature.ok, signature.output).toBe(true)
    expect(signature.output).toContain(`"docker-manifest-digest":"${image.root.digest}"`)
    for (const type of ['slsaprovenance1', 'cyclonedx']) {
      const attestation = await cosign([
        'verify-attestation',
        '--key',
        publicKeyPath,
        ...HTTP,
        '--type',
        type,
        image.ref,
      ])
      expect(attestation.ok, `${type}: ${attestation.output}`).toBe(true)
    }
    const absent = await cosign([
      'verify-attestation',
      '--key',
      publicKeyPath,
      ...HTTP,
      '--type',
      'spdxjson',
      image.ref,
    ])
    expect(absent.ok, 'cosign must not pass a predicate type we did not attach').toBe(false)
  })

  it('pass polyship verification, and re-attesting adds no referrers', async () => {
    expect(rows(await verifyImage(image.root, image.attestations, policy))).toEqual([
      'signature ok',
      'provenance ok',
      'sbom ok',
    ])
    const before = await readBundles(image.attestations, image.root.digest)
    // a re-run signs a provenance with other times: the first one is kept
    const later = provenanceFor(image.ref.split('@')[0]!, image.root.digest)
    const again = await attestImage(image.root, image.attestations, keySigner(key), { provenance: later })
    expect(again.signature).toEqual(image.result.signature)
    expect(again.provenance).toEqual(image.result.provenance)
    expect(await readBundles(image.attestations, image.root.digest)).toHaveLength(before.length)
    expect(before.map((b) => b.predicateType).sort()).toEqual([
      'https://cyclonedx.org/bom',
      'https://sigstore.dev/cosign/sign/v1',
      'https://slsa.dev/provenance/v1',
    ])
  })

  it('sign a chart the same way', async () => {
    const store = client.repository(`${host}/attest-test/charts/time`)
    const chart = await pushChart(store)
    await attestImage(chart, attestationStore(store), keySigner(key), {
      provenance: provenanceFor(`${host}/attest-test/charts/time`, chart.digest),
    })
    const ref = `${host}/attest-test/charts/time@${chart.digest}`
    const signature = await cosign(['verify', '--key', publicKeyPath, ...HTTP, ref])
    expect(signature.ok, signature.output).toBe(true)
    const results = await verifyImage(chart, attestationStore(store), policy, {
      expect: { sbom: false, provenance: true },
    })
    expect(rows(results)).toEqual(['signature ok', 'provenance ok'])
  })

  it('fail in cosign and polyship under another key', async () => {
    const other = join(dir(), 'other.pub')
    await writeFile(
      other,
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }),
    )
    const result = await cosign(['verify', '--key', other, ...HTTP, image.ref])
    expect(result.ok).toBe(false)
    const results = await verifyImage(image.root, image.attestations, keyPolicy([await readPublicKey(other)]))
    expect(rows(results)).toEqual([
      'signature ATTEST_SIGNATURE_INVALID',
      'provenance ATTEST_SIGNATURE_INVALID',
      'sbom ATTEST_SIGNATURE_INVALID',
    ])
  })
})

describe('tampered image attestations', () => {
  it('fail in cosign and polyship when one byte of the signature changes', async () => {
    const image = await attestedImage(
      'attest-test/flipped-signature',
      corrupting(keySigner(key)),
      'attest-flipped',
    )
    const signature = await cosign(['verify', '--key', publicKeyPath, ...HTTP, image.ref])
    expect(signature.ok).toBe(false)
    const provenance = await cosign([
      'verify-attestation',
      '--key',
      publicKeyPath,
      ...HTTP,
      '--type',
      'slsaprovenance1',
      image.ref,
    ])
    expect(provenance.ok).toBe(false)
    const results = await verifyImage(image.root, image.attestations, policy)
    expect(rows(results)).toEqual([
      'signature ATTEST_SIGNATURE_INVALID',
      'provenance ATTEST_SIGNATURE_INVALID',
      'sbom ATTEST_SIGNATURE_INVALID',
    ])
    expect(results[0]).toMatchObject({
      artifact: image.ref,
      reason: expect.stringContaining('does not verify'),
    })
  })

  it("fail in cosign and polyship when another image's signature is attached", async () => {
    const original = await attestedImage('attest-test/original', keySigner(key), 'attest-original')
    const store = client.repository(`${host}/attest-test/impostor`)
    const impostor = await pushTestImage(store, {
      seed: 'attest-impostor',
      layers: 1,
      layerSize: 4096,
      tag: '1.2.0',
    })
    const attestations = attestationStore(store)
    for (const stored of await readBundles(original.attestations, original.root.digest)) {
      await attestations.attach([
        bundleReferrer(impostor.root, stored.bundle as never, stored.predicateType!, new Date()),
      ])
    }
    const ref = `${host}/attest-test/impostor@${impostor.root.digest}`
    expect((await cosign(['verify', '--key', publicKeyPath, ...HTTP, ref])).ok).toBe(false)
    const results = await verifyImage(impostor.root, attestations, policy)
    expect(rows(results)).toEqual([
      'signature ATTEST_SUBJECT_MISMATCH',
      'provenance ATTEST_SUBJECT_MISMATCH',
      'sbom ATTEST_SUBJECT_MISMATCH',
    ])
  })
})

describe('attestations in an OCI image layout (the embedded default destination)', () => {
  it('attach through the tag fallback and verify', async () => {
    const layout = new LayoutStore(join(dir(), 'oci'))
    const image = await pushTestImage(layout, {
      seed: 'attest-layout',
      layers: 1,
      layerSize: 4096,
      tag: '1.2.0',
    })
    const store: AttestationStore = attestationStore(layout)
    await attestImage(image.root, store, keySigner(key), {
      provenance: provenanceFor('time', image.root.digest),
    })
    expect(await layout.listTags()).toContain(`sha256-${image.root.digest.slice(7)}`)
    const results = await verifyImage(image.root, store, policy, { expect: { sbom: true, provenance: true } })
    expect(rows(results)).toEqual(['signature ok', 'provenance ok', 'sbom ATTEST_SBOM_MISSING'])
  })
})
