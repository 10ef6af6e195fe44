import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type BundleSigner,
  checkPreviousRecord,
  generateSigningKey,
  keylessSigner,
  keySigner,
  recordSignaturePath,
} from '@polyship/attest'
import { type FakeSigstore, startFakeSigstore } from '@polyship/attest/testing'
import { isPolyshipError } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir, testDeps } from './helpers.ts'

/**
 * `checkPreviousRecord`: what a release checks before it extends the record in its outDir
 * and signs it again. Key signers check with their own public key; keyless signers (here
 * against a FAKE Fulcio and Rekor, @sigstore/mock: the real ones cannot be reached) check
 * offline that the bundle's signature and certificate sign the record's exact bytes.
 */

const dir = tempDir('previous-record')
const RECORD = Buffer.from('{\n  "schema": "https://polyship.dev/release-record/v1",\n  "artifacts": []\n}\n')
let fake: FakeSigstore

beforeAll(async () => {
  fake = await startFakeSigstore()
})
afterAll(async () => {
  await fake?.close()
})

let n = 0
/** A record signed by `signer`, in a directory of its own. */
async function signedRecord(signer: BundleSigner, bytes: Uint8Array = RECORD): Promise<string> {
  const path = join(dir(), `release-${n++}.json`)
  await writeFile(path, bytes)
  await writeFile(recordSignaturePath(path), JSON.stringify(await signer.signBlob(bytes)))
  return path
}
async function failure(check: Promise<unknown>): Promise<{ code: string; message: string; hint?: string }> {
  try {
    await check
  } catch (error) {
    if (!isPolyshipError(error)) throw error
    return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }
  }
  throw new Error('no error')
}
const edited = Buffer.from(RECORD.toString().replace('[]', '[{}]'))

describe('key signer: its own public key', () => {
  it('signed by it: signed; no signature: unsigned; edited, other key, garbage: ATTEST_RECORD_SIGNATURE_INVALID', async () => {
    const { key } = await generateSigningKey(join(dir(), 'one', 'cosign.key'))
    const { key: other } = await generateSigningKey(join(dir(), 'two', 'cosign.key'))
    const signer = keySigner(key)
    expect(signer.ownPolicy?.mode).toBe('key')
    const path = await signedRecord(signer)
    expect(await checkPreviousRecord(path, RECORD, signer.ownPolicy)).toBe('signed')

    const tampered = await failure(checkPreviousRecord(path, edited, signer.ownPolicy))
    expect(tampered.code).toBe('ATTEST_RECORD_SIGNATURE_INVALID')
    expect(tampered.message).toContain(`${path} does not match its signature ${recordSignaturePath(path)}`)
    expect(tampered.hint).toContain(`mv ${path} ${path}.untrusted`)

    const otherKey = await failure(checkPreviousRecord(path, RECORD, keySigner(other).ownPolicy))
    expect(otherKey.code).toBe('ATTEST_RECORD_SIGNATURE_INVALID')
    expect(otherKey.message).toContain('or signed with a key other than cosign.key')

    const unsigned = join(dir(), 'unsigned.json')
    await writeFile(unsigned, RECORD)
    expect(await checkPreviousRecord(unsigned, RECORD, signer.ownPolicy)).toBe('unsigned')

    await writeFile(recordSignaturePath(unsigned), '{"mediaType":')
    expect((await failure(checkPreviousRecord(unsigned, RECORD, signer.ownPolicy))).code).toBe(
      'ATTEST_RECORD_SIGNATURE_INVALID',
    )
  })
})

describe('keyless signer (FAKE Fulcio and Rekor): the bundle must sign the exact bytes', () => {
  const signer = () =>
    keylessSigner(
      {
        fulcioURL: fake.fulcioURL,
        rekorURL: fake.rekorURL,
        rekorEntryType: 'intoto',
        identityToken: async () =>
          fake.identityToken('https://github.com/acme/time/.github/workflows/release.yml@refs/heads/main'),
      },
      testDeps('/nonexistent').deps,
    )

  it('signed: signed; edited bytes, a signature of other bytes, no certificate: refused', async () => {
    const keyless = signer()
    expect(keyless.ownPolicy).toBeUndefined()
    const path = await signedRecord(keyless)
    expect(await checkPreviousRecord(path, RECORD, undefined)).toBe('signed')

    const tampered = await failure(checkPreviousRecord(path, edited, undefined))
    expect(tampered.code).toBe('ATTEST_RECORD_SIGNATURE_INVALID')
    expect(tampered.message).toContain("the record's sha256")

    // the bundle of other bytes, its digest rewritten to the record's: the signature fails
    const otherPath = await signedRecord(keyless, edited)
    const bundle = JSON.parse(await readFile(recordSignaturePath(otherPath), 'utf8'))
    const own = JSON.parse(await readFile(recordSignaturePath(path), 'utf8'))
    bundle.messageSignature.messageDigest = own.messageSignature.messageDigest
    await writeFile(recordSignaturePath(otherPath), JSON.stringify(bundle))
    const forged = await failure(checkPreviousRecord(otherPath, RECORD, undefined))
    expect(forged.code).toBe('ATTEST_RECORD_SIGNATURE_INVALID')
    expect(forged.message).toContain("the signature does not verify with its certificate's key")
  })
})
