import { generateKeyPairSync } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sigstoreBundleSigner } from '@polyship/attest'
import { run } from '@polyship/core'
import { bundleToJSON } from '@sigstore/bundle'
import { DSSEBundleBuilder, MessageSignatureBundleBuilder, type Signer, type Witness } from '@sigstore/sign'
import { describe, expect, it } from 'vitest'
import { tempDir } from './helpers.ts'

const dir = tempDir('bundle-signer')

const CERTIFICATE = `-----BEGIN CERTIFICATE-----\n${Buffer.from('not really a certificate').toString('base64')}\n-----END CERTIFICATE-----\n`
const STATEMENT = {
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: 'app', digest: { sha256: 'ab'.repeat(32) } }],
  predicateType: 'https://example.test/predicate',
  predicate: {},
} as const

/** Signs with fixed bytes, so two bundlers can be compared byte for byte. */
function fixedSigner(key: Awaited<ReturnType<Signer['sign']>>['key']): Signer {
  return { sign: async (data) => ({ signature: Buffer.from(`sig over ${data.length} bytes`), key }) }
}

const witness: Witness = {
  testify: async () => ({
    tlogEntries: [
      {
        logIndex: '7',
        logId: { keyId: Buffer.from('log') },
        kindVersion: { kind: 'dsse', version: '0.0.1' },
        integratedTime: '1700000000',
        inclusionPromise: { signedEntryTimestamp: Buffer.from('set') },
        inclusionProof: undefined,
        canonicalizedBody: Buffer.from('body'),
      },
    ],
  }),
}

describe('sigstoreBundleSigner', () => {
  it("builds the bundles @sigstore/sign's bundlers build", async () => {
    const certified = fixedSigner({ $case: 'x509Certificate', certificate: CERTIFICATE })
    const data = Buffer.from(JSON.stringify(STATEMENT))
    const theirs = bundleToJSON(
      await new DSSEBundleBuilder({ signer: certified, witnesses: [witness] }).create({
        data,
        type: 'application/vnd.in-toto+json',
      }),
    )
    expect(await sigstoreBundleSigner(certified, [witness]).signStatement(STATEMENT)).toEqual(theirs)

    // key signatures: the DSSE keyid is left out and message bundles are v0.3 (see bundle-signer.ts)
    const keyed = fixedSigner({ $case: 'publicKey', publicKey: 'PEM', hint: 'hint' })
    const dsse = bundleToJSON(
      await new DSSEBundleBuilder({ signer: keyed, witnesses: [] }).create({
        data,
        type: 'application/vnd.in-toto+json',
      }),
    )
    const ours = await sigstoreBundleSigner(keyed, []).signStatement(STATEMENT)
    expect(ours).toEqual({
      ...dsse,
      dsseEnvelope: {
        ...dsse.dsseEnvelope,
        signatures: [{ sig: dsse.dsseEnvelope!.signatures[0]!.sig }],
      },
    })
    const message = bundleToJSON(
      await new MessageSignatureBundleBuilder({ signer: keyed, witnesses: [] }).create({ data }),
    )
    expect(await sigstoreBundleSigner(keyed, []).signBlob(data)).toEqual({
      ...message,
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    })
  })

  it('signs with a key without loading @sigstore/sign, /verify or /core', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString()
    const script = join(dir(), 'sign.mjs')
    const attest = join(import.meta.dirname, '..', 'src', 'index.ts')
    await writeFile(
      script,
      [
        "import { createRequire } from 'node:module'",
        `const { keySigner, parseSigningKey } = await import(${JSON.stringify(attest)})`,
        `const key = await parseSigningKey(${JSON.stringify(pem)}, 'test key', undefined)`,
        `await keySigner(key).signStatement(${JSON.stringify(STATEMENT)})`,
        'const loaded = Object.keys(createRequire(import.meta.url).cache)',
        "console.log(JSON.stringify(loaded.filter((m) => m.includes('@sigstore'))))",
      ].join('\n'),
    )
    const { stdout } = await run(process.execPath, [script])
    const loaded = JSON.parse(stdout) as string[]
    expect(loaded.some((m) => m.includes('/@sigstore/bundle/'))).toBe(true)
    expect(loaded.filter((m) => /\/@sigstore\/(sign|verify|core)\//.test(m))).toEqual([])
  })
})
