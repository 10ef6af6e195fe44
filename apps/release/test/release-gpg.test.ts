import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { GPG_KEY_ENV, GPG_PASSPHRASE_ENV } from '@polyship/attest'
import { generateGpgKey, gpgTestEnv, type TestGpgKey } from '@polyship/attest/testing'
import { run } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeGitHub } from './fake-github.ts'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * GPG signing beside Sigstore (polyship.json signing.gpg), of a Go binary project released to
 * a loopback FAKE of the GitHub API (GitHub cannot be reached here): the checksums file gets
 * a `.asc` that `gpg --verify` accepts with the exported public key, and the release tag is
 * a signed tag `git tag -v` accepts. A bad key stops the run before anything is built.
 */

const TOKEN = 'ghs_gpgReleaseTestToken0123456789'
const TAG = 'time-server-go@0.1.0'
const CHECKSUMS = 'time-server-go_0.1.0_checksums.txt'
const PASSPHRASE = 'release passphrase 42'

let ws: TestWorkspace
let fake: FakeGitHub
let key: TestGpgKey
let expired: TestGpgKey
const keyring = () => join(ws.root, '..', 'gpg-maker')
const env = (gpg: Record<string, string>) => ({
  root: ws.root,
  env: { ...ws.env, GITHUB_API_URL: fake.url, GITHUB_SERVER_URL: fake.url, GITHUB_TOKEN: TOKEN, ...gpg },
})
const asset = (name: string) =>
  fake.releases.find((r) => r.tag_name === TAG)?.assets.find((a) => a.name === name)

beforeAll(async () => {
  fake = new FakeGitHub(TOKEN)
  await fake.start()
  ws = await exampleWorkspace({
    projects: ['time-server-go'],
    platforms: { 'time-server-go': ['linux/amd64', 'linux/arm64'] },
    config: {
      repository: 'https://github.com/owner/repo',
      signing: { gpg: { tags: true } },
      destinations: { files: { type: 'github', repository: 'owner/repo' } },
    },
  })
  key = await generateGpgKey(keyring(), 'release@example.com', { passphrase: PASSPHRASE })
  expired = await generateGpgKey(keyring(), 'old@example.com', { expired: true })
}, 60_000)
afterAll(async () => {
  await run('gpgconf', ['--kill', 'gpg-agent'], { env: gpgTestEnv(keyring()) }).catch(() => {})
  await run('gpgconf', ['--kill', 'gpg-agent'], { env: gpgTestEnv(join(ws.root, '..', 'gpg-user')) }).catch(
    () => {},
  )
  await fake.stop()
  await ws.remove()
})

describe('GPG signatures on a release (loopback fake of the GitHub API)', () => {
  it('an expired key, or a locked one without its passphrase, stops the run before anything is built', async () => {
    const old = await polyship(['release'], env({ [GPG_KEY_ENV]: expired.secretKey }))
    expect(old.code).toBe(1)
    expect(old.stderr).toContain('error ATTEST_GPG_KEY_EXPIRED')
    const locked = await polyship(['release'], env({ [GPG_KEY_ENV]: key.secretKey }))
    expect(locked.code).toBe(1)
    expect(locked.stderr).toContain('error ATTEST_GPG_PASSPHRASE')
    expect(locked.stderr).toContain(GPG_PASSPHRASE_ENV)
    expect(fake.requests.filter((r) => !r.startsWith('GET '))).toEqual([])
    expect(await run('git', ['tag', '--list'], { cwd: ws.root })).toMatchObject({ stdout: '' })
  })

  it('publishes <checksums>.asc that gpg --verify accepts, and a tag git tag -v accepts', async () => {
    const result = await polyship(
      ['release'],
      env({ [GPG_KEY_ENV]: key.secretKey, [GPG_PASSPHRASE_ENV]: PASSPHRASE }),
    )
    expect(result.code, result.stderr).toBe(0)
    expect(`${result.stdout}${result.stderr}`).not.toContain(PASSPHRASE)
    const signature = asset(`${CHECKSUMS}.asc`)
    expect(signature?.bytes.toString()).toMatch(/^-----BEGIN PGP SIGNATURE-----/)
    // only the checksums file is signed by default, as GoReleaser's `signs` does
    expect(fake.releases[0]!.assets.filter((a) => a.name.endsWith('.asc')).map((a) => a.name)).toEqual([
      `${CHECKSUMS}.asc`,
    ])

    // a user checks the release with the public key the release exported, nothing else in the keyring
    const user = join(ws.root, '..', 'gpg-user')
    await mkdir(user, { mode: 0o700 })
    const userEnv = gpgTestEnv(user)
    const publicKey = await readFile(join(ws.root, 'dist', `${key.fingerprint}.asc`), 'utf8')
    await run('gpg', ['--batch', '--import'], { env: userEnv, input: publicKey })
    const dir = join(ws.root, '..', 'downloaded')
    await mkdir(dir)
    await writeFile(join(dir, CHECKSUMS), asset(CHECKSUMS)!.bytes)
    await writeFile(join(dir, `${CHECKSUMS}.asc`), signature!.bytes)
    const verified = await run(
      'gpg',
      ['--batch', '--status-fd', '1', '--verify', join(dir, `${CHECKSUMS}.asc`), join(dir, CHECKSUMS)],
      { env: userEnv },
    )
    expect(verified.stdout).toContain(`[GNUPG:] VALIDSIG ${key.fingerprint}`)

    const tag = await run('git', ['tag', '-v', TAG], { cwd: ws.root, env: userEnv })
    expect(tag.stderr).toContain('Good signature from "Polyship Test <release@example.com>"')
    expect((await run('git', ['cat-file', '-t', TAG], { cwd: ws.root })).stdout.trim()).toBe('tag')

    const record = JSON.parse(await readFile(join(ws.root, 'dist', 'release.json'), 'utf8'))
    expect(
      record.artifacts.filter((a: { kind: string }) => a.kind === 'signature').map((a: object) => a),
    ).toEqual([
      expect.objectContaining({ name: `${CHECKSUMS}.asc`, mediaType: 'application/pgp-signature' }),
      expect.objectContaining({
        name: `${key.fingerprint}.asc`,
        mediaType: 'application/pgp-keys',
        locations: [`${key.fingerprint}.asc`],
      }),
    ])
    const artifacts = JSON.parse(await readFile(join(ws.root, 'dist', 'artifacts.json'), 'utf8'))
    expect(artifacts).toContainEqual(expect.objectContaining({ name: `${CHECKSUMS}.asc`, type: 'Signature' }))

    // polyship verify downloads the .asc with the file and checks it with the recorded key
    const verify = await polyship(['verify', '--json'], env({}))
    expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
    expect(JSON.parse(verify.stdout).results).toContainEqual({
      artifact: CHECKSUMS,
      check: 'signature',
      status: 'passed',
      detail: `GPG signature ${CHECKSUMS}.asc by ${key.fingerprint}`,
    })
    // a .asc replaced on the release (another key's signature over the same file) fails verify
    const other = await generateGpgKey(keyring(), 'mallory@example.com')
    const forged = (
      await run(
        'gpg',
        [
          '--batch',
          '--armor',
          '--detach-sign',
          '--local-user',
          other.fingerprint,
          '--output',
          '-',
          join(dir, CHECKSUMS),
        ],
        { env: gpgTestEnv(keyring()) },
      )
    ).stdout
    signature!.bytes = Buffer.from(forged)
    const tampered = await polyship(['verify', '--json'], env({}))
    expect(tampered.code).toBe(1)
    expect(JSON.parse(tampered.stdout).results).toContainEqual(
      expect.objectContaining({ artifact: CHECKSUMS, check: 'signature', status: 'failed' }),
    )
  })
})
