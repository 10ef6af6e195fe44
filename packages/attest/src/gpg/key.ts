import { AttestError } from '../errors.ts'
import { GPG_KEY_ENV, GPG_PASSPHRASE_ENV, type GpgHome, gpg } from './home.ts'

/** A 40-hex-digit OpenPGP v4 fingerprint, upper case. */
export type GpgFingerprint = string & { readonly __gpgFingerprint: true }

/** A secret key found in a keyring, from gpg's `--with-colons` listing. */
export interface GpgKey {
  readonly fingerprint: GpgFingerprint
  /** The first user id, `Name <email>`. */
  readonly userId: string
  /** gpg's validity letter of the primary key: `e` expired, `r` revoked, `-`/`u`/`f`... otherwise. */
  readonly validity: string
  readonly created: Date
  readonly expires?: Date
  /** Whether the key as a whole (primary or a subkey) can make signatures now: `S` among its capabilities. */
  readonly canSign: boolean
}

/** Parses `gpg --with-colons --fixed-list-mode --list-keys` output (one entry per `pub`/`sec` record). */
export function parseKeyListing(text: string): GpgKey[] {
  const keys: { -readonly [K in keyof GpgKey]?: GpgKey[K] }[] = []
  for (const line of text.split('\n')) {
    const fields = line.split(':')
    const type = fields[0]
    if (type === 'pub' || type === 'sec') {
      const expires = Number(fields[6])
      keys.push({
        validity: fields[1] ?? '',
        created: new Date(Number(fields[5]) * 1000),
        ...(expires > 0 ? { expires: new Date(expires * 1000) } : {}),
        canSign: (fields[11] ?? '').includes('S'),
        userId: '',
      })
      continue
    }
    const key = keys.at(-1)
    if (key === undefined) continue
    if (type === 'fpr' && key.fingerprint === undefined)
      key.fingerprint = (fields[9] ?? '').toUpperCase() as GpgFingerprint
    if (type === 'uid' && key.userId === '') key.userId = fields[9] ?? ''
  }
  return keys.filter((k): k is GpgKey => k.fingerprint !== undefined)
}

/** The signing key, checked: found with its secret part, not expired or revoked, able to sign. */
export interface CheckedGpgKey {
  readonly key: GpgKey
  /** The passphrase gpg was given ($POLYSHIP_GPG_PASSPHRASE), if any. */
  readonly passphrase?: string
}

function describe(key: GpgKey): string {
  return `${key.fingerprint}${key.userId ? ` (${key.userId})` : ''}`
}

/**
 * Finds the secret key `spec` (a fingerprint, key id or email; absent: the only secret key
 * in the keyring) in `home` and proves it can sign now with a test signature, so a
 * missing, expired, revoked or locked key is a coded error before anything is built:
 * ATTEST_GPG_KEY_MISSING, ATTEST_GPG_KEY_AMBIGUOUS, ATTEST_GPG_KEY_EXPIRED,
 * ATTEST_GPG_KEY_UNUSABLE, ATTEST_GPG_PASSPHRASE.
 */
export async function checkGpgKey(
  home: GpgHome,
  spec: string | undefined,
  options: { readonly passphrase?: string; readonly now: Date },
): Promise<CheckedGpgKey> {
  const listed = await gpg(home, ['--fixed-list-mode', '--list-secret-keys', ...(spec ? ['--', spec] : [])])
  const secret = listed.ok ? parseKeyListing(listed.stdout) : []
  const where = spec ? `the key ${spec}` : 'a secret key'
  if (secret.length === 0) {
    throw new AttestError(
      'ATTEST_GPG_KEY_MISSING',
      `polyship.json signing.gpg: ${where} is not in ${home.source}`,
      {
        hint: home.private
          ? `$${GPG_KEY_ENV} must hold that secret key (\`gpg --armor --export-secret-keys ${spec ?? '<fingerprint>'}\`), or drop signing.gpg.key to use the key it holds`
          : `import the secret key (\`gpg --import\`), set signing.gpg.key to a key \`gpg --list-secret-keys\` shows, or give the armoured secret key in $${GPG_KEY_ENV}`,
      },
    )
  }
  if (secret.length > 1) {
    throw new AttestError(
      'ATTEST_GPG_KEY_AMBIGUOUS',
      `polyship.json signing.gpg: ${spec ? `${spec} matches` : `${home.source} holds`} ${secret.length} secret keys: ${secret.map(describe).join(', ')}`,
      { hint: 'set signing.gpg.key to the fingerprint of the key to sign with' },
    )
  }
  const fingerprint = secret[0]!.fingerprint
  // The public listing has the validity and capabilities gpg computes (subkeys, expiry, revocation).
  const publicListing = await gpg(home, ['--fixed-list-mode', '--list-keys', '--', fingerprint])
  const key = parseKeyListing(publicListing.stdout)[0] ?? secret[0]!
  if (key.validity === 'e' || (key.expires !== undefined && key.expires <= options.now)) {
    throw new AttestError(
      'ATTEST_GPG_KEY_EXPIRED',
      `polyship.json signing.gpg: the key ${describe(key)} expired${key.expires ? ` on ${key.expires.toISOString()}` : ''}`,
      {
        hint: `extend it (\`gpg --quick-set-expire ${key.fingerprint} 1y\`, then publish the updated public key) or sign with another key`,
      },
    )
  }
  if (key.validity === 'r' || !key.canSign) {
    throw new AttestError(
      'ATTEST_GPG_KEY_UNUSABLE',
      `polyship.json signing.gpg: the key ${describe(key)} ${key.validity === 'r' ? 'is revoked' : 'has no key usable for signing (no unexpired subkey with the sign capability)'}`,
      {
        hint: `add a signing subkey (\`gpg --quick-add-key ${key.fingerprint} default sign\`) or sign with another key`,
      },
    )
  }
  const checked: CheckedGpgKey = {
    key,
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
  }
  const test = await gpg(home, [...signingArgs(checked), '--armor', '--detach-sign', '--output', '-'], {
    input: passphraseInput(checked, 'polyship test signature\n'),
  })
  if (!test.ok) throw signFailure(checked, test.stderr, 'a test signature')
  return checked
}

/** The options that select the key and feed the passphrase: loopback on stdin, or no pinentry at all. */
export function signingArgs(checked: CheckedGpgKey): string[] {
  return [
    '--local-user',
    checked.key.fingerprint,
    ...(checked.passphrase === undefined
      ? ['--pinentry-mode', 'error']
      : ['--pinentry-mode', 'loopback', '--passphrase-fd', '0']),
  ]
}

/** What gpg reads on stdin: the passphrase line first when there is one, then `data`. */
export function passphraseInput(checked: CheckedGpgKey, data = ''): string {
  if (checked.passphrase === undefined) return data
  return `${checked.passphrase}\n${data}`
}

/** The coded error of a failed signature, from gpg's status lines. */
export function signFailure(checked: CheckedGpgKey, stderr: string, what: string): AttestError {
  const key = describe(checked.key)
  const locked =
    /Bad passphrase|No pinentry|No passphrase given|Operation cancelled|\[GNUPG:\] (BAD_PASSPHRASE|MISSING_PASSPHRASE)/.test(
      stderr,
    )
  if (locked) {
    return new AttestError(
      'ATTEST_GPG_PASSPHRASE',
      checked.passphrase === undefined
        ? `the GPG key ${key} is protected by a passphrase and none was given`
        : `the passphrase in $${GPG_PASSPHRASE_ENV} does not unlock the GPG key ${key}`,
      {
        hint: `put the key's passphrase in $${GPG_PASSPHRASE_ENV} (from a CI secret; polyship hands it to gpg on stdin, never on the command line)`,
      },
    )
  }
  const tail = stderr
    .split('\n')
    .filter((l) => l.startsWith('gpg:'))
    .slice(-3)
    .join('; ')
  return new AttestError(
    'ATTEST_GPG_FAILED',
    `gpg could not make ${what} with the key ${key}: ${tail || 'no message'}`,
    {
      hint: 'run `gpg --detach-sign --local-user <fingerprint>` on a file by hand to see what gpg needs',
    },
  )
}
