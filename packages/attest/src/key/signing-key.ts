import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { AttestError } from '../errors.ts'
import { COSIGN_PEM_TYPES, decryptCosignKey } from './cosign-format.ts'

/** An ECDSA P-256 private key ready to sign, with the public half in the forms verifiers want. */
export interface SigningKey {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** PEM SPKI (`-----BEGIN PUBLIC KEY-----`), what `cosign verify --key` reads. */
  readonly publicKeyPem: string
  /** base64(sha256(DER SPKI)): the Sigstore bundle's public key hint. */
  readonly hint: string
  /** Where the key came from, for messages: a path or `$VARIABLE`. */
  readonly source: string
}

/** The environment variables that can carry the key and its passphrase. */
export const KEY_ENV = 'POLYSHIP_SIGNING_KEY'
export const PASSPHRASE_ENVS = ['POLYSHIP_SIGNING_KEY_PASSPHRASE', 'COSIGN_PASSWORD'] as const

const PASSPHRASE_HINT = `set ${PASSPHRASE_ENVS[0]} (or COSIGN_PASSWORD) to the key's passphrase`

/** The passphrase from the environment, if any: POLYSHIP_SIGNING_KEY_PASSPHRASE, then COSIGN_PASSWORD. */
export function passphraseFromEnv(env: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const name of PASSPHRASE_ENVS) if (env[name] !== undefined) return env[name]
  return undefined
}

/** base64(sha256(DER SPKI)) of a public key, the hint Sigstore bundles carry. */
export function publicKeyHint(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64')
}

export function toSigningKey(privateKey: KeyObject, source: string): SigningKey {
  const details = privateKey.asymmetricKeyDetails
  if (privateKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    const kind =
      privateKey.asymmetricKeyType === 'ec' ? `EC ${details?.namedCurve}` : privateKey.asymmetricKeyType
    throw new AttestError(
      'ATTEST_KEY_UNSUPPORTED',
      `${source}: a ${kind} key; polyship signs with ECDSA P-256`,
      {
        hint: 'generate a P-256 key (`cosign generate-key-pair`, or remove the key setting to let polyship generate one)',
      },
    )
  }
  const publicKey = createPublicKey(privateKey)
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    hint: publicKeyHint(publicKey),
    source,
  }
}

function pemType(text: string): string | undefined {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1]
}

/** The DER bytes of the first PEM block of `text` (its base64 body). */
export function pemBody(text: string): Buffer {
  const body = /-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END/.exec(text)?.[1] ?? ''
  return Buffer.from(body.replace(/\s+/g, ''), 'base64')
}

function unreadable(source: string, problem: string, cause?: unknown): AttestError {
  return new AttestError('ATTEST_KEY_UNREADABLE', `${source}: ${problem}`, {
    hint: 'use a PEM private key: cosign\'s "ENCRYPTED SIGSTORE PRIVATE KEY", PKCS#8 "PRIVATE KEY" / "ENCRYPTED PRIVATE KEY", or "EC PRIVATE KEY"',
    ...(cause === undefined ? {} : { cause }),
  })
}

/**
 * Parses a private key in any of the PEM forms users bring: cosign's encrypted key file,
 * PKCS#8 (plain or passphrase-encrypted) or SEC1. `source` names it in errors.
 */
export async function parseSigningKey(
  text: string,
  source: string,
  passphrase: string | undefined,
): Promise<SigningKey> {
  const type = pemType(text)
  switch (type) {
    case undefined:
      throw unreadable(source, 'no PEM block found')
    case 'PUBLIC KEY':
      throw new AttestError(
        'ATTEST_KEY_UNSUPPORTED',
        `${source}: this is a public key; signing needs the private key`,
        {
          hint: 'point the signing key setting at the private key file (the .pub file is for verifiers)',
        },
      )
    case COSIGN_PEM_TYPES[0]:
    case COSIGN_PEM_TYPES[1]: {
      const result = await decryptCosignKey(pemBody(text), passphrase ?? '')
      switch (result.status) {
        case 'decrypted':
          return toSigningKey(
            createPrivateKey({ key: Buffer.from(result.pkcs8), format: 'der', type: 'pkcs8' }),
            source,
          )
        case 'wrong-passphrase':
          throw new AttestError(
            'ATTEST_KEY_PASSPHRASE',
            passphrase === undefined
              ? `${source}: the key is encrypted and no passphrase was given`
              : `${source}: wrong passphrase for the key`,
            { hint: PASSPHRASE_HINT },
          )
        case 'malformed':
          throw unreadable(source, `not a valid cosign key file: ${result.problem}`)
      }
      break
    }
    case 'ENCRYPTED PRIVATE KEY':
      if (passphrase === undefined) {
        throw new AttestError(
          'ATTEST_KEY_PASSPHRASE',
          `${source}: the key is encrypted and no passphrase was given`,
          {
            hint: PASSPHRASE_HINT,
          },
        )
      }
      try {
        return toSigningKey(createPrivateKey({ key: text, format: 'pem', passphrase }), source)
      } catch (cause) {
        throw new AttestError('ATTEST_KEY_PASSPHRASE', `${source}: wrong passphrase for the key`, {
          hint: PASSPHRASE_HINT,
          cause,
        })
      }
    case 'PRIVATE KEY':
    case 'EC PRIVATE KEY':
      try {
        return toSigningKey(createPrivateKey({ key: text, format: 'pem' }), source)
      } catch (cause) {
        if (cause instanceof AttestError) throw cause
        throw unreadable(source, `the ${type} block does not decode`, cause)
      }
    default:
      throw unreadable(source, `a "${type}" PEM block is not a private key polyship reads`)
  }
  throw new Error('unreachable')
}

/** Reads and parses a key file; ATTEST_KEY_MISSING when absent, ATTEST_KEY_UNREADABLE when not readable. */
export async function readSigningKey(path: string, passphrase: string | undefined): Promise<SigningKey> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new AttestError('ATTEST_KEY_MISSING', `signing key ${path} does not exist`, {
        hint: `create it (\`cosign generate-key-pair\`), set ${KEY_ENV} to a PEM key, or drop the key setting to use polyship's generated default key`,
        cause,
      })
    }
    throw unreadable(path, `cannot read the key file (${code ?? String(cause)})`, cause)
  }
  return parseSigningKey(text, path, passphrase)
}
