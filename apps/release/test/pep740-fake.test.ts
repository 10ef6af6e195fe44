import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type BundleSigner,
  generateSigningKey,
  keylessSigner,
  keySigner,
  nodeDeps,
  type Pep740Attestation,
  pep740FromBundle,
  publishAttester,
  pypiPublishStatement,
  trustMaterialFromJson,
  verifyBundle,
} from '@polyship/attest'
import { FAKE_ISSUER, type FakeSigstore, startFakeSigstore } from '@polyship/attest/testing'
import { digestHex, isPolyshipError } from '@polyship/core'
import {
  type Distribution,
  inspectDistribution,
  nodeHttpDeps,
  publishDistributions,
  remoteIndex,
  type UploadAttester,
} from '@polyship/wheel'
import {
  type FakeTrustedPypi,
  startFakeTrustedPypi,
  writeSyntheticSdist,
  writeSyntheticWheel,
} from '@polyship/wheel/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { tool } from './workspace.ts'

/**
 * PEP 740 publish attestations sent with uploads (issue 17), against a fake Sigstore
 * (Fulcio and Rekor from @sigstore/mock) and a fake PyPI upload endpoint with trusted
 * publishing: the real ones cannot be reached from tests. The attestations are read back
 * with PyPA's own model (pypi-attestations) and verified with polyship's verifier.
 */

const WORKFLOW = 'https://github.com/acme/fastjson/.github/workflows/release.yml@refs/heads/main'
let sigstore: FakeSigstore
let work: string
let dists: Distribution[]
let pypi: FakeTrustedPypi | undefined

beforeAll(async () => {
  sigstore = await startFakeSigstore()
  work = await mkdtemp(join(tmpdir(), 'polyship-pep740-'))
  const wheel = await writeSyntheticWheel(work, { name: 'fastjson', version: '0.1.0', tag: 'py3-none-any' })
  const sdist = await writeSyntheticSdist(work, { name: 'fastjson', version: '0.1.0' })
  dists = [await inspectDistribution(wheel), await inspectDistribution(sdist)]
})
afterEach(async () => {
  await pypi?.stop()
  pypi = undefined
})
afterAll(async () => {
  await sigstore?.close()
  if (work) await rm(work, { recursive: true, force: true })
})

function keyless(): UploadAttester {
  const signer: BundleSigner = keylessSigner(
    {
      fulcioURL: sigstore.fulcioURL,
      rekorURL: sigstore.rekorURL,
      // @sigstore/mock logs the proposed entry verbatim: right for intoto (see keyless.test.ts)
      rekorEntryType: 'intoto',
      identityToken: async () => sigstore.identityToken(WORKFLOW),
    },
    nodeDeps,
  )
  return publishAttester({ mode: 'keyless', signer })
}

function indexOf(fake: FakeTrustedPypi) {
  return remoteIndex({
    uploadUrl: fake.url,
    credentials: { type: 'trusted' },
    deps: { ...nodeHttpDeps, env: fake.actionsEnv },
    retry: { retries: 0, baseDelayMs: 1 },
    attestations: true,
  })
}

/** What pypi-attestations' model reads from an attestation: its statement. */
async function readWithPypiAttestations(attestation: unknown): Promise<{
  subject: { name: string; digest: { sha256: string } }[]
  predicateType: string
  predicate: unknown
}> {
  const file = join(work, `attestation-${Math.random().toString(36).slice(2)}.json`)
  await writeFile(file, JSON.stringify(attestation))
  const script = [
    'import json, sys',
    'from pypi_attestations import Attestation',
    'a = Attestation.model_validate_json(open(sys.argv[1]).read())',
    'a.to_bundle()', // the Sigstore bundle PyPI verifies: certificate, envelope and log entry convert
    'print(json.dumps(a.statement))',
  ].join('\n')
  return JSON.parse(await tool('python3', ['-c', script, file]))
}

/** The attestation as a Sigstore bundle again, for polyship's own verifier. */
function asBundle(a: Pep740Attestation) {
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      certificate: { rawBytes: a.verification_material.certificate },
      tlogEntries: a.verification_material.transparency_entries,
    },
    dsseEnvelope: {
      payload: a.envelope.statement,
      payloadType: 'application/vnd.in-toto+json',
      signatures: [{ sig: a.envelope.signature, keyid: '' }],
    },
  }
}

describe('PEP 740 attestations with uploads (fake PyPI, fake Sigstore)', () => {
  it('keyless: every upload carries one publish attestation about exactly that file, which pypi-attestations reads', async () => {
    pypi = await startFakeTrustedPypi()
    const outcomes = await publishDistributions(dists, indexOf(pypi), { attester: keyless() })
    expect(outcomes.map((o) => [o.status, o.status === 'published' ? o.attestations : undefined])).toEqual([
      ['published', { status: 'sent', count: 1 }],
      ['published', { status: 'sent', count: 1 }],
    ])
    const uploads = pypi.log.uploads
    expect(uploads.map((u) => u.filename)).toEqual(dists.map((d) => d.filename))
    const trustMaterial = trustMaterialFromJson(sigstore.trustedRoot, 'fake trusted root')
    for (const [i, upload] of uploads.entries()) {
      const dist = dists[i]!
      expect(upload.attestations).toHaveLength(1)
      const statement = await readWithPypiAttestations(upload.attestations![0])
      expect(statement.subject).toEqual([{ name: dist.filename, digest: { sha256: digestHex(dist.digest) } }])
      expect(statement.predicateType).toBe('https://docs.pypi.org/attestations/publish/v1')
      expect(statement.predicate).toBeNull()
      const verified = verifyBundle(
        asBundle(upload.attestations![0] as Pep740Attestation),
        { mode: 'keyless', trustMaterial, identity: WORKFLOW, issuer: FAKE_ISSUER },
        { where: `${dist.filename} attestation` },
      )
      expect(verified.signer).toContain(WORKFLOW)
    }
  })

  it('an index refusing attestations is WHEEL_ATTESTATION_REJECTED on the first upload, with nothing published', async () => {
    pypi = await startFakeTrustedPypi({ attestations: 'refuse' })
    const error = await publishDistributions(dists, indexOf(pypi), { attester: keyless() }).catch(
      (e: unknown) => e,
    )
    expect(isPolyshipError(error) && error.code).toBe('WHEEL_ATTESTATION_REJECTED')
    expect((error as Error).message).toContain(
      'Invalid attestations supplied during upload: this fake index refuses attestations',
    )
    expect((error as Error).message).toContain('nothing of fastjson was published')
    // one attempt, the first file alone; the index holds nothing
    expect(pypi.log.uploads.map((u) => u.filename)).toEqual([dists[0]!.filename])
    expect(
      (
        await indexOf(pypi).held(
          'fastjson' as never,
          dists.map((d) => d.filename),
        )
      ).size,
    ).toBe(0)
  })

  it('an attestation that cannot be signed (Fulcio unreachable) is WHEEL_ATTESTATION_FAILED before any upload', async () => {
    pypi = await startFakeTrustedPypi()
    const signer = keylessSigner(
      {
        fulcioURL: 'http://127.0.0.1:1',
        rekorURL: 'http://127.0.0.1:1',
        identityToken: async () => sigstore.identityToken(WORKFLOW),
      },
      nodeDeps,
    )
    const error = await publishDistributions(dists, indexOf(pypi), {
      attester: publishAttester({ mode: 'keyless', signer }),
    }).catch((e: unknown) => e)
    expect(isPolyshipError(error) && error.code).toBe('WHEEL_ATTESTATION_FAILED')
    expect((error as Error).message).toContain('nothing of fastjson was uploaded')
    expect(pypi.log.uploads).toEqual([])
  })

  it('key signing: nothing is sent, and each outcome says why', async () => {
    pypi = await startFakeTrustedPypi()
    const key = await generateSigningKey(join(work, 'cosign.key'))
    const attester = publishAttester({ mode: 'key', signer: keySigner(key.key), key })
    expect(attester.kind).toBe('unavailable')
    if (attester.kind !== 'unavailable') return
    expect(attester.reason).toContain('the release signs with a key')
    // and a key-signed DSSE bundle is no PEP 740 attestation: it names no Sigstore identity
    const keyBundle = await keySigner(key.key).signStatement(
      pypiPublishStatement(dists[0]!.filename, dists[0]!.digest),
    )
    expect(() => pep740FromBundle(keyBundle, 'a key-signed bundle')).toThrow(
      expect.objectContaining({
        code: 'ATTEST_BUNDLE_INVALID',
        message: expect.stringContaining('no signing certificate'),
      }),
    )
    const outcomes = await publishDistributions(dists, indexOf(pypi), { attester })
    for (const outcome of outcomes)
      expect(outcome.status === 'published' && outcome.attestations).toEqual({
        status: 'not-sent',
        reason: attester.reason,
      })
    expect(pypi.log.uploads.every((u) => u.attestations === undefined)).toBe(true)
  })

  it('an index that does not take attestations (or a token upload to PyPI) gets none, said in the outcome', async () => {
    pypi = await startFakeTrustedPypi()
    const index = remoteIndex({
      uploadUrl: pypi.url,
      credentials: { type: 'trusted' },
      deps: { ...nodeHttpDeps, env: pypi.actionsEnv },
    })
    const outcomes = await publishDistributions(dists, index, { attester: keyless() })
    expect(outcomes[0]!.status === 'published' && outcomes[0]!.attestations).toEqual({
      status: 'not-sent',
      reason: `${pypi.url} does not take PEP 740 attestations`,
    })
    const pypiToken = remoteIndex({
      uploadUrl: 'https://upload.pypi.org/legacy/',
      credentials: { type: 'token', token: 'pypi-secret' },
    })
    expect(pypiToken.attestations).toEqual({
      accepted: false,
      reason: expect.stringContaining('only from trusted publishing'),
    })
    expect(pypi.log.uploads.every((u) => u.attestations === undefined)).toBe(true)
  })
})
