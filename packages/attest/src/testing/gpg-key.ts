import { mkdir } from 'node:fs/promises'
import { run } from '@polyship/core'

/** A throwaway OpenPGP key made by `gpg --quick-gen-key` in a test keyring. */
export interface TestGpgKey {
  readonly fingerprint: string
  readonly email: string
  /** `gpg --armor --export-secret-keys`: what $POLYSHIP_GPG_KEY holds. */
  readonly secretKey: string
  /** `gpg --armor --export`. */
  readonly publicKey: string
}

/** The environment of gpg in the test keyring `home` (created 0700 if missing). */
export function gpgTestEnv(home: string): Record<string, string | undefined> {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LC_ALL: 'C', GNUPGHOME: home }
}

/**
 * Generates an ed25519 signing key `Name <email>` in the keyring `home`, with `passphrase`
 * (none by default), or (`expired`) one made in 2020 that expired a day later.
 */
export async function generateGpgKey(
  home: string,
  email: string,
  options: { readonly passphrase?: string; readonly expired?: boolean } = {},
): Promise<TestGpgKey> {
  await mkdir(home, { recursive: true, mode: 0o700 })
  const env = gpgTestEnv(home)
  const passphrase = options.passphrase ?? ''
  const loopback = ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0']
  await run(
    'gpg',
    [
      ...loopback,
      ...(options.expired ? ['--faked-system-time', '20200101T000000!'] : []),
      '--quick-gen-key',
      `Polyship Test <${email}>`,
      'ed25519',
      'sign',
      options.expired ? '1d' : '0',
    ],
    { env, input: `${passphrase}\n` },
  )
  const listing = await run('gpg', ['--batch', '--with-colons', '--list-secret-keys', '--', email], { env })
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listing.stdout)?.[1]
  if (fingerprint === undefined) throw new Error(`gpg made no key for ${email}`)
  const secretKey = (
    await run('gpg', [...loopback, '--armor', '--export-secret-keys', '--', fingerprint], {
      env,
      input: `${passphrase}\n`,
    })
  ).stdout
  const publicKey = (await run('gpg', ['--batch', '--armor', '--export', '--', fingerprint], { env })).stdout
  return { fingerprint, email, secretKey, publicKey }
}
