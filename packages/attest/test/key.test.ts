import { generateKeyPairSync } from 'node:crypto'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  defaultKeyPath,
  generateSigningKey,
  isAttestError,
  KEY_ENV,
  keySigner,
  parseSigningKey,
  readSigningKey,
  resolveSigningKey,
} from '@polyship/attest'
import { run } from '@polyship/core'
import { describe, expect, it } from 'vitest'
import { cosign, cosignSignBlob, cosignVerifyBlob, tempDir, testDeps } from './helpers.ts'

const dir = tempDir('key')

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'no error'
  } catch (error) {
    if (!isAttestError(error)) throw error
    return error.code
  }
}

describe('cosign key files, both directions', () => {
  it('reads a key `cosign generate-key-pair` wrote, with its passphrase', async () => {
    const prefix = join(dir(), 'by-cosign')
    const generated = await cosign(['generate-key-pair', '--output-key-prefix', prefix], {
      COSIGN_PASSWORD: 'hunter22',
    })
    expect(generated.output).toContain('Private key written')
    const key = await readSigningKey(`${prefix}.key`, 'hunter22')
    expect(key.publicKeyPem).toBe(await readFile(`${prefix}.pub`, 'utf8'))
    expect(await codeOf(readSigningKey(`${prefix}.key`, 'wrong'))).toBe('ATTEST_KEY_PASSPHRASE')
    expect(await codeOf(readSigningKey(`${prefix}.key`, undefined))).toBe('ATTEST_KEY_PASSPHRASE')
  })

  it('writes keys cosign signs with, and verifies what cosign signed with them', async () => {
    const path = join(dir(), 'ours', 'cosign.key')
    const { key, publicKeyPath } = await generateSigningKey(path)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readFile(publicKeyPath!, 'utf8')).toBe(key.publicKeyPem)
    const blob = join(dir(), 'blob.txt')
    await writeFile(blob, 'signed by cosign with a polyship key\n')
    const signed = await cosignSignBlob(blob, path)
    expect(signed.ok, signed.output).toBe(true)
    const verified = await cosignVerifyBlob(blob, publicKeyPath!)
    expect(verified.ok, verified.output).toBe(true)
  })
})

describe('other key formats', () => {
  const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' })

  it('reads PKCS#8, encrypted PKCS#8 (with the passphrase) and SEC1', async () => {
    const { privateKey } = pair()
    const plain = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }).toString()
    const encrypted = privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'open sesame' })
      .toString()
    const expected = (await parseSigningKey(plain, 'plain', undefined)).hint
    expect((await parseSigningKey(sec1, 'sec1', undefined)).hint).toBe(expected)
    expect((await parseSigningKey(encrypted, 'enc', 'open sesame')).hint).toBe(expected)
    expect(await codeOf(parseSigningKey(encrypted, 'enc', 'wrong'))).toBe('ATTEST_KEY_PASSPHRASE')
    expect(await codeOf(parseSigningKey(encrypted, 'enc', undefined))).toBe('ATTEST_KEY_PASSPHRASE')
  })

  it('refuses public keys, other curves, garbage and missing files with coded errors', async () => {
    const { publicKey } = pair()
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    })
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    })
    const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString()
    expect(await codeOf(parseSigningKey(pub, 'k.pub', undefined))).toBe('ATTEST_KEY_UNSUPPORTED')
    expect(await codeOf(parseSigningKey(p384.toString(), 'p384', undefined))).toBe('ATTEST_KEY_UNSUPPORTED')
    expect(await codeOf(parseSigningKey(rsa.toString(), 'rsa', undefined))).toBe('ATTEST_KEY_UNSUPPORTED')
    expect(await codeOf(parseSigningKey('not a key', 'junk', undefined))).toBe('ATTEST_KEY_UNREADABLE')
    const broken = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'
    expect(await codeOf(parseSigningKey(broken, 'broken', undefined))).toBe('ATTEST_KEY_UNREADABLE')
    expect(await codeOf(readSigningKey(join(dir(), 'nope.key'), undefined))).toBe('ATTEST_KEY_MISSING')
    expect(await codeOf(readSigningKey(dir(), undefined))).toBe('ATTEST_KEY_UNREADABLE')
  })
})

describe('resolveSigningKey', () => {
  it('generates the default key once, outside git, and says where the public key is', async () => {
    const home = join(dir(), 'home')
    const { deps, reporter } = testDeps(home)
    const first = await resolveSigningKey({}, deps)
    expect(first.generated).toBe(true)
    expect(first.publicKeyPath).toBe(join(home, '.config', 'polyship', 'cosign.pub'))
    expect(defaultKeyPath(deps)).toBe(join(home, '.config', 'polyship', 'cosign.key'))
    expect(reporter.events).toEqual([
      expect.objectContaining({ type: 'log', message: expect.stringContaining(first.publicKeyPath!) }),
    ])
    const second = await resolveSigningKey({}, deps)
    expect(second.generated).toBe(false)
    expect(second.key.hint).toBe(first.key.hint)
  })

  it('warns loudly, once, when the key it generates has no passphrase; seals it with the one in the environment', async () => {
    const bare = testDeps(join(dir(), 'home-bare'))
    await resolveSigningKey({}, bare.deps)
    expect(bare.reporter.events).toEqual([
      expect.objectContaining({
        type: 'log',
        level: 'warn',
        message: expect.stringContaining('NO PASSPHRASE'),
      }),
    ])
    expect(JSON.stringify(bare.reporter.events)).toContain('set POLYSHIP_SIGNING_KEY_PASSPHRASE')
    await resolveSigningKey({}, bare.deps)
    expect(bare.reporter.events).toHaveLength(1)

    const home = join(dir(), 'home-sealed')
    const sealed = testDeps(home, { POLYSHIP_SIGNING_KEY_PASSPHRASE: 'sealed tight' })
    await resolveSigningKey({}, sealed.deps)
    expect(sealed.reporter.events).toEqual([expect.objectContaining({ type: 'log', level: 'info' })])
    expect(await codeOf(readSigningKey(defaultKeyPath(sealed.deps), undefined))).toBe('ATTEST_KEY_PASSPHRASE')
    expect((await readSigningKey(defaultKeyPath(sealed.deps), 'sealed tight')).hint).toMatch(/=$/)
  })

  it('takes the key from the environment first, then the configured file, which must exist', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const home = join(dir(), 'home-env')
    const fromEnv = await resolveSigningKey({ key: '~/missing.key' }, testDeps(home, { [KEY_ENV]: pem }).deps)
    expect(fromEnv.key.source).toBe(`$${KEY_ENV}`)
    expect(await codeOf(resolveSigningKey({ key: '~/missing.key' }, testDeps(home).deps))).toBe(
      'ATTEST_KEY_MISSING',
    )
    await mkdir(home, { recursive: true })
    await writeFile(join(home, 'team.key'), pem)
    const configured = await resolveSigningKey({ key: '~/team.key' }, testDeps(home).deps)
    expect(configured.key.hint).toBe(fromEnv.key.hint)
  })

  it('refuses to generate a key inside a git work tree', async () => {
    const repo = join(dir(), 'repo')
    await mkdir(repo, { recursive: true })
    await run('git', ['init', '-q', repo])
    const { deps } = testDeps(repo, { XDG_CONFIG_HOME: join(repo, 'config') })
    expect(await codeOf(resolveSigningKey({}, deps))).toBe('ATTEST_KEY_INSIDE_REPOSITORY')
  })

  it('signs with what it resolved', async () => {
    const { deps } = testDeps(join(dir(), 'home'))
    const signer = keySigner((await resolveSigningKey({}, deps)).key)
    const bundle = await signer.signBlob(new TextEncoder().encode('x'))
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json')
    expect(bundle.verificationMaterial.publicKey?.hint).toMatch(/^[A-Za-z0-9+/]{43}=$/)
  })
})
