import { mkdtemp } from 'node:fs/promises'
import { createServer, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  identityTokenSource,
  isAttestError,
  keylessSigner,
  provenanceStatement,
  publicGoodTrust,
  signerFromConfig,
  trustMaterialFromJson,
  verifyBundle,
} from '@polyship/attest'
import { FAKE_ISSUER, type FakeSigstore, startFakeSigstore } from '@polyship/attest/testing'
import { sha256 } from '@polyship/core'
import { bundleFromJSON } from '@sigstore/bundle'
import { toSignedEntity, Verifier } from '@sigstore/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDeps } from './helpers.ts'

const WORKFLOW = 'https://github.com/acme/time/.github/workflows/release.yml@refs/heads/main'
let fake: FakeSigstore

beforeAll(async () => {
  fake = await startFakeSigstore()
})
afterAll(async () => {
  await fake?.close()
})

/** A loopback FAKE of GitHub Actions' OIDC token endpoint (GitHub cannot be reached from tests). */
async function fakeOidcEndpoint(answer: (res: ServerResponse) => void) {
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(`${req.url} ${req.headers.authorization}`)
    answer(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/token`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function fakeSigner() {
  return keylessSigner(
    {
      fulcioURL: fake.fulcioURL,
      rekorURL: fake.rekorURL,
      // @sigstore/mock logs the proposed entry verbatim: right for intoto, not for dsse (Rekor canonicalizes those).
      rekorEntryType: 'intoto',
      identityToken: async () => fake.identityToken(WORKFLOW),
    },
    testDeps('/nonexistent').deps,
  )
}

function codeOf(action: () => unknown): string {
  try {
    action()
    return 'no error'
  } catch (error) {
    if (!isAttestError(error)) throw error
    return error.code
  }
}

describe('keyless signing against a fake Fulcio and Rekor (@sigstore/mock)', () => {
  const artifact = new TextEncoder().encode('time-server-go_1.2.0_linux_amd64.tar.gz bytes')
  const statement = provenanceStatement({
    subjects: [{ name: 'time.tar.gz', digest: sha256(artifact) }],
    project: 'time',
    version: '1.2.0',
    source: { repository: 'https://github.com/acme/time', commit: 'b'.repeat(40) },
    builder: { id: WORKFLOW, invocationId: 'run-1', startedOn: new Date(), finishedOn: new Date() },
  })

  it('produces bundles @sigstore/verify accepts with certificate, SCT and tlog entry', async () => {
    const signer = fakeSigner()
    const blob = await signer.signBlob(artifact)
    const dsse = await signer.signStatement(statement)
    expect(blob.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json')
    expect(blob.verificationMaterial.certificate).toBeDefined()
    expect(dsse.verificationMaterial.tlogEntries).toHaveLength(1)

    const trust = trustMaterialFromJson(fake.trustedRoot, 'fake trusted root')
    const verifier = new Verifier(trust)
    const signerIdentity = verifier.verify(toSignedEntity(bundleFromJSON(blob), Buffer.from(artifact)), {
      subjectAlternativeName: WORKFLOW,
    })
    expect(signerIdentity.identity?.subjectAlternativeName).toBe(WORKFLOW)
    verifier.verify(toSignedEntity(bundleFromJSON(dsse)))
  })

  it('verifies through polyship with an identity policy, and rejects another identity', async () => {
    const signer = fakeSigner()
    const dsse = await signer.signStatement(statement)
    const trustMaterial = trustMaterialFromJson(fake.trustedRoot, 'fake trusted root')
    const verified = verifyBundle(
      dsse,
      { mode: 'keyless', trustMaterial, identity: WORKFLOW, issuer: FAKE_ISSUER },
      { where: 'time.tar.gz.provenance.sigstore.json' },
    )
    expect(verified.signer).toContain(WORKFLOW)
    expect(verified.statement?.predicateType).toBe('https://slsa.dev/provenance/v1')

    const other = {
      mode: 'keyless' as const,
      trustMaterial,
      identity: /^https:\/\/github\.com\/evil\//,
      issuer: FAKE_ISSUER,
    }
    expect(codeOf(() => verifyBundle(dsse, other, { where: 'x' }))).toBe('ATTEST_IDENTITY_MISMATCH')
    const blob = await signer.signBlob(artifact)
    const tampered = new Uint8Array(artifact)
    tampered[0] = tampered[0]! ^ 1
    const policy = { mode: 'keyless' as const, trustMaterial, identity: WORKFLOW, issuer: FAKE_ISSUER }
    expect(codeOf(() => verifyBundle(blob, policy, { artifact: tampered, where: 'x' }))).toBe(
      'ATTEST_SIGNATURE_INVALID',
    )
  })

  it("defaults to Sigstore's public-good root: offline, the copy @sigstore/tuf ships, which refuses the fake CA", async () => {
    const signer = fakeSigner()
    const dsse = await signer.signStatement(statement)
    // A TUF mirror that refuses connections stands for a machine without internet.
    const trust = await publicGoodTrust({
      cachePath: await mkdtemp(join(tmpdir(), 'polyship-tuf-')),
      mirrorURL: 'http://127.0.0.1:9',
      timeoutMs: 2_000,
    })
    expect(trust.source).toBe('shipped')
    expect(trust.refreshError).toBeDefined()
    expect(trust.trustMaterial.certificateAuthorities.length).toBeGreaterThan(0)
    expect(trust.trustMaterial.tlogs.map((t) => t.baseURL)).toContain('https://rekor.sigstore.dev')
    const policy = {
      mode: 'keyless' as const,
      trustMaterial: trust.trustMaterial,
      identity: WORKFLOW,
      issuer: FAKE_ISSUER,
    }
    expect(codeOf(() => verifyBundle(dsse, policy, { where: 'x' }))).toBe('ATTEST_SIGNATURE_INVALID')
  })

  it('asks Fulcio once for many signatures', async () => {
    let tokens = 0
    const signer = keylessSigner(
      {
        fulcioURL: fake.fulcioURL,
        rekorURL: fake.rekorURL,
        identityToken: async () => {
          tokens++
          return fake.identityToken(WORKFLOW)
        },
      },
      testDeps('/nonexistent').deps,
    )
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => signer.signBlob(new TextEncoder().encode(`file ${i}`))),
    )
    expect(tokens).toBe(1)
  })
})

describe('OIDC token lookup', () => {
  it('names the missing `id-token: write` permission in GitHub Actions', () => {
    const { deps } = testDeps('/h', { GITHUB_ACTIONS: 'true' })
    let message = ''
    try {
      identityTokenSource({}, deps)
    } catch (error) {
      expect(isAttestError(error) && error.code).toBe('ATTEST_OIDC_TOKEN_MISSING')
      message = (error as Error).message
    }
    expect(message).toContain('id-token: write')
  })

  it('fails before signing anything outside CI without a token, and takes SIGSTORE_ID_TOKEN', async () => {
    const error = await signerFromConfig({ mode: 'keyless' }, testDeps('/h').deps).catch((e: unknown) => e)
    expect(isAttestError(error) && error.code).toBe('ATTEST_OIDC_TOKEN_MISSING')
    expect((error as Error).message).toContain('SIGSTORE_ID_TOKEN')
    const source = identityTokenSource({}, testDeps('/h', { SIGSTORE_ID_TOKEN: 'header.payload.sig' }).deps)
    expect(await source()).toBe('header.payload.sig')
  })

  it('surfaces a refused GitHub token as ATTEST_OIDC_TOKEN_MISSING when signing (fake OIDC endpoint)', async () => {
    const endpoint = await fakeOidcEndpoint((res) => res.writeHead(403).end('forbidden'))
    const { deps } = testDeps('/h', {
      ACTIONS_ID_TOKEN_REQUEST_URL: endpoint.url,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
    })
    const signer = keylessSigner({ fulcioURL: fake.fulcioURL, rekorURL: fake.rekorURL }, deps)
    const error = await signer.signBlob(new Uint8Array([1])).catch((e: unknown) => e)
    await endpoint.close()
    expect(isAttestError(error) && error.code).toBe('ATTEST_OIDC_TOKEN_MISSING')
    expect((error as Error).message).toContain('HTTP 403')
  })

  it('requests the token from GitHub Actions with the sigstore audience (fake OIDC endpoint)', async () => {
    const endpoint = await fakeOidcEndpoint((res) =>
      res.writeHead(200).end(JSON.stringify({ value: 'oidc-jwt' })),
    )
    const { deps } = testDeps('/h', {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${endpoint.url}?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
    })
    const source = identityTokenSource({}, deps)
    expect(await source()).toBe('oidc-jwt')
    await endpoint.close()
    expect(endpoint.requests).toEqual(['/token?api-version=2.0&audience=sigstore Bearer request-token'])
  })
})
