import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  GPG_KEY_ENV,
  GPG_PASSPHRASE_ENV,
  isAttestError,
  type OpenedGpgSigner,
  openGpgSigner,
  verifyGpgSignature,
} from '@polyship/attest'
import { generateGpgKey, gpgTestEnv, type TestGpgKey } from '@polyship/attest/testing'
import { run } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from './helpers.ts'

const dir = tempDir('gpg')
const now = new Date()
const opened: OpenedGpgSigner[] = []
let plain: TestGpgKey
let locked: TestGpgKey
let expired: TestGpgKey

beforeAll(async () => {
  const keyring = join(dir(), 'maker')
  plain = await generateGpgKey(keyring, 'plain@example.com')
  locked = await generateGpgKey(keyring, 'locked@example.com', { passphrase: 'correct horse battery' })
  expired = await generateGpgKey(keyring, 'expired@example.com', { expired: true })
}, 60_000)

afterAll(async () => {
  await Promise.all(opened.map((o) => o.home.dispose()))
  await run('gpgconf', ['--kill', 'gpg-agent'], { env: gpgTestEnv(join(dir(), 'maker')) }).catch(() => {})
})

/** The signer the environment `env` yields, disposed after the file. */
async function open(spec: string | undefined, env: Record<string, string | undefined>) {
  const signer = await openGpgSigner(spec, { PATH: process.env.PATH, HOME: dir(), ...env }, now)
  opened.push(signer)
  return signer
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; text: string }> {
  try {
    await promise
    return { code: 'no error', text: '' }
  } catch (error) {
    if (!isAttestError(error)) throw error
    return { code: error.code, text: `${error.message} ${error.hint ?? ''}` }
  }
}

/** `gpg --verify` in a keyring holding only `publicKey`, as a user checking a release would. */
async function gpgVerify(publicKey: string, signature: string, file: string, home: string) {
  const env = gpgTestEnv(home)
  await mkdir(home, { recursive: true, mode: 0o700 })
  await run('gpg', ['--batch', '--import'], { env, input: publicKey })
  const result = await run('gpg', ['--batch', '--status-fd', '1', '--verify', signature, file], {
    env,
    okExitCodes: [1, 2],
  })
  return { ok: result.exitCode === undefined, status: result.stdout }
}

describe('GPG signatures', () => {
  it('signs files with the key from the environment; gpg --verify accepts them, and not a changed file', async () => {
    const { signer } = await open(undefined, { [GPG_KEY_ENV]: plain.secretKey })
    expect(signer.fingerprint).toBe(plain.fingerprint)
    const files = ['a_checksums.txt', 'b.tar.gz'].map((name) => join(dir(), name))
    for (const file of files) await writeFile(file, `content of ${file}\n`)
    const signatures = await signer.signFiles(files)
    expect(signatures).toEqual(files.map((f) => `${f}.asc`))
    expect(await readFile(signatures[0]!, 'utf8')).toMatch(/^-----BEGIN PGP SIGNATURE-----/)
    const publicKey = await signer.exportPublicKey()
    const verified = await gpgVerify(publicKey, signatures[0]!, files[0]!, join(dir(), 'user'))
    expect(verified.ok).toBe(true)
    expect(verified.status).toContain(`VALIDSIG ${plain.fingerprint}`)
    expect(
      await verifyGpgSignature(files[1]!, signatures[1]!, publicKey, { fingerprint: plain.fingerprint }),
    ).toEqual({ status: 'valid', fingerprint: plain.fingerprint, primaryFingerprint: plain.fingerprint })
    await writeFile(files[0]!, 'changed\n')
    expect((await gpgVerify(publicKey, signatures[0]!, files[0]!, join(dir(), 'user'))).ok).toBe(false)
    expect((await verifyGpgSignature(files[0]!, signatures[0]!, publicKey)).status).toBe('invalid')
    expect(await verifyGpgSignature(files[1]!, signatures[1]!, locked.publicKey)).toEqual({
      status: 'invalid',
      reason: 'made by a key other than the given public key',
    })
  })

  it('signs with a key of the user keyring, named by email', async () => {
    const { signer } = await open('plain@example.com', { GNUPGHOME: join(dir(), 'maker') })
    expect(signer.fingerprint).toBe(plain.fingerprint)
    const signature = await signer.signBytes('object abc\n')
    expect(signature).toContain('BEGIN PGP SIGNATURE')
  })

  it('unlocks a passphrase-protected key with $POLYSHIP_GPG_PASSPHRASE, and refuses it without', async () => {
    const env = { [GPG_KEY_ENV]: locked.secretKey }
    const none = await failure(open(undefined, env))
    expect(none.code).toBe('ATTEST_GPG_PASSPHRASE')
    expect(none.text).toContain(GPG_PASSPHRASE_ENV)
    const wrong = await failure(open(undefined, { ...env, [GPG_PASSPHRASE_ENV]: 'wrong passphrase' }))
    expect(wrong.code).toBe('ATTEST_GPG_PASSPHRASE')
    expect(wrong.text).not.toContain('wrong passphrase')
    const { signer } = await open(undefined, { ...env, [GPG_PASSPHRASE_ENV]: 'correct horse battery' })
    const file = join(dir(), 'locked.txt')
    await writeFile(file, 'x\n')
    const [signature] = await signer.signFiles([file])
    expect((await verifyGpgSignature(file, signature!, locked.publicKey)).status).toBe('valid')
  })

  it('refuses an expired key, a missing one, an ambiguous choice and a garbled one, each with its code', async () => {
    const old = await failure(open(undefined, { [GPG_KEY_ENV]: expired.secretKey }))
    expect(old.code).toBe('ATTEST_GPG_KEY_EXPIRED')
    expect(old.text).toContain(expired.fingerprint)
    expect(old.text).toContain('2020-01-02')
    const missing = await failure(open('nobody@example.com', { GNUPGHOME: join(dir(), 'maker') }))
    expect(missing.code).toBe('ATTEST_GPG_KEY_MISSING')
    expect(missing.text).toContain('nobody@example.com')
    expect((await failure(open(plain.fingerprint, { [GPG_KEY_ENV]: locked.secretKey }))).code).toBe(
      'ATTEST_GPG_KEY_MISSING',
    )
    expect((await failure(open(undefined, { GNUPGHOME: join(dir(), 'maker') }))).code).toBe(
      'ATTEST_GPG_KEY_AMBIGUOUS',
    )
    expect((await failure(open(undefined, { GNUPGHOME: join(dir(), 'empty') }))).code).toBe(
      'ATTEST_GPG_KEY_MISSING',
    )
    const garbled = await failure(open(undefined, { [GPG_KEY_ENV]: 'not a key at all' }))
    expect(garbled.code).toBe('ATTEST_GPG_KEY_UNREADABLE')
    expect(garbled.text).not.toContain('not a key at all')
  })
})
