import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { AttestError } from '../errors.ts'
import { type GpgHome, gpg } from './home.ts'

export type GpgVerdict =
  | { readonly status: 'valid'; readonly fingerprint: string; readonly primaryFingerprint: string }
  | { readonly status: 'invalid'; readonly reason: string }

/**
 * Checks a detached signature with `gpg --verify` against the armoured public key(s) in
 * `publicKey` only (imported into a throwaway keyring, so the user's trust settings play no
 * part), and, with `fingerprint`, that the signing key is that one (primary or subkey).
 */
export async function verifyGpgSignature(
  file: string,
  signature: string,
  publicKey: string,
  options: {
    readonly fingerprint?: string
    readonly env?: Readonly<Record<string, string | undefined>>
  } = {},
): Promise<GpgVerdict> {
  const dir = await mkdtemp(join(tmpdir(), 'psgpgv-'))
  const env = options.env ?? process.env
  const home: Pick<GpgHome, 'env'> = {
    env: { PATH: env.PATH, HOME: env.HOME, LC_ALL: 'C', GNUPGHOME: dir },
  }
  try {
    const imported = await gpg(home, ['--import'], { input: publicKey })
    if (!imported.ok || !/^\[GNUPG:\] IMPORT_OK /m.test(imported.stderr)) {
      throw new AttestError(
        'ATTEST_INPUT_INVALID',
        'the GPG public key given to verify with cannot be imported',
        {
          hint: 'pass the armoured public key the release exported (dist/<fingerprint>.asc) or `gpg --armor --export <fingerprint>`',
        },
      )
    }
    const result = await gpg(home, ['--verify', '--', signature, file])
    const valid = /^\[GNUPG:\] VALIDSIG (\S+) .* (\S+)$/m.exec(result.stderr)
    if (!result.ok || valid === null) {
      const why = /^\[GNUPG:\] (BADSIG|ERRSIG|NO_PUBKEY|EXPKEYSIG|REVKEYSIG|NODATA)\b/m.exec(
        result.stderr,
      )?.[1]
      return { status: 'invalid', reason: reasonOf(why) }
    }
    const [, signing, primary] = valid as unknown as [string, string, string]
    const wanted = options.fingerprint?.toUpperCase()
    if (wanted !== undefined && wanted !== signing && wanted !== primary)
      return { status: 'invalid', reason: `signed by ${primary}, not by the recorded key ${wanted}` }
    return { status: 'valid', fingerprint: signing, primaryFingerprint: primary }
  } finally {
    await run('gpgconf', ['--kill', 'gpg-agent'], { env: home.env, timeoutMs: 30_000 }).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
}

function reasonOf(status: string | undefined): string {
  switch (status) {
    case 'BADSIG':
      return 'the signature does not match the file (it was changed after signing)'
    case 'NO_PUBKEY':
    case 'ERRSIG':
      return 'made by a key other than the given public key'
    case 'EXPKEYSIG':
      return 'made by a key that has expired since'
    case 'REVKEYSIG':
      return 'made by a key that is revoked'
    case 'NODATA':
      return 'not an OpenPGP signature'
    default:
      return 'gpg does not accept it'
  }
}
