import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mapLimit } from '@polyship/core'
import { GPG_PASSPHRASE_ENV, type GpgHome, gpg, openGpgHome } from './home.ts'
import {
  type CheckedGpgKey,
  checkGpgKey,
  type GpgFingerprint,
  passphraseInput,
  signFailure,
  signingArgs,
} from './key.ts'

/** The suffix of a detached ASCII-armoured signature, as GoReleaser's `signs` and `gpg --armor` write it. */
export const GPG_SIGNATURE_SUFFIX = '.asc'
export const GPG_SIGNATURE_MEDIA_TYPE = 'application/pgp-signature'
export const GPG_KEYS_MEDIA_TYPE = 'application/pgp-keys'

/** gpg runs at once: they share one agent, which does the private-key work. */
const CONCURRENCY = 4

/** Makes detached, ASCII-armoured OpenPGP signatures with one checked key. */
export interface GpgSigner {
  readonly fingerprint: GpgFingerprint
  /** Signs each file into `<file>.asc` beside it; returns those paths, in order. */
  signFiles(paths: readonly string[]): Promise<string[]>
  /** The armoured detached signature over `bytes` (a git tag's payload). */
  signBytes(bytes: string | Uint8Array): Promise<string>
  /** The armoured public key, for verifiers. */
  exportPublicKey(): Promise<string>
}

/** A signer over `home` with the key `checkGpgKey` accepted. */
export function gpgSigner(home: GpgHome, checked: CheckedGpgKey): GpgSigner {
  const secrets = checked.passphrase === undefined ? [] : [checked.passphrase]
  const signFile = async (path: string, output: string) => {
    const result = await gpg(
      home,
      [...signingArgs(checked), '--yes', '--armor', '--detach-sign', '--output', output, '--', path],
      { secrets, ...(checked.passphrase === undefined ? {} : { input: passphraseInput(checked) }) },
    )
    if (!result.ok) throw signFailure(checked, result.stderr, `a signature of ${path}`)
  }
  return {
    fingerprint: checked.key.fingerprint,
    signFiles: (paths) =>
      mapLimit(paths, CONCURRENCY, async (path) => {
        const output = `${path}${GPG_SIGNATURE_SUFFIX}`
        await signFile(path, output)
        return output
      }),
    async signBytes(bytes) {
      const dir = await mkdtemp(join(tmpdir(), 'polyship-gpg-payload-'))
      try {
        const payload = join(dir, 'payload')
        await writeFile(payload, bytes)
        await signFile(payload, `${payload}${GPG_SIGNATURE_SUFFIX}`)
        return await readFile(`${payload}${GPG_SIGNATURE_SUFFIX}`, 'utf8')
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
    async exportPublicKey() {
      const result = await gpg(home, ['--armor', '--export', '--', checked.key.fingerprint])
      if (!result.ok || !result.stdout.includes('BEGIN PGP PUBLIC KEY BLOCK'))
        throw signFailure(checked, result.stderr, 'an export of the public key')
      return result.stdout
    },
  }
}

/** A checked GPG signer and the keyring it signs from; `dispose` when done. */
export interface OpenedGpgSigner {
  readonly signer: GpgSigner
  readonly home: GpgHome
}

/**
 * The keyring ($POLYSHIP_GPG_KEY in a private home, else the user's), the key `spec` in it
 * checked with a test signature (see `checkGpgKey`), and a signer with it. The private home
 * is removed again when the check fails.
 */
export async function openGpgSigner(
  spec: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  now: Date,
): Promise<OpenedGpgSigner> {
  const home = await openGpgHome(env)
  try {
    const passphrase = env[GPG_PASSPHRASE_ENV]
    const checked = await checkGpgKey(home, spec, {
      now,
      ...(passphrase === undefined || passphrase === '' ? {} : { passphrase }),
    })
    return { signer: gpgSigner(home, checked), home }
  } catch (error) {
    await home.dispose()
    throw error
  }
}
