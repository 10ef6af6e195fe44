import { randomBytes, scrypt } from 'node:crypto'
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js'

/**
 * cosign's private key file: a PEM block whose body is JSON
 * `{kdf: scrypt{N,r,p,salt}, cipher: nacl/secretbox{nonce}, ciphertext}` around the PKCS#8 DER key
 * (go-securesystemslib `encrypted`). `cosign generate-key-pair` writes it; reading and
 * writing it lets users bring their cosign key and use ours with cosign.
 */
export const COSIGN_PEM_TYPES = ['ENCRYPTED SIGSTORE PRIVATE KEY', 'ENCRYPTED COSIGN PRIVATE KEY'] as const

/** The scrypt parameter sets cosign accepts (legacy, standard, OWASP); we write "standard". */
const ACCEPTED_PARAMS = [
  { N: 32768, r: 8, p: 1 },
  { N: 65536, r: 8, p: 1 },
  { N: 131072, r: 8, p: 1 },
] as const
const WRITE_PARAMS = ACCEPTED_PARAMS[1]
/** NaCl secretbox (XSalsa20-Poly1305) nonce length. */
const NONCE_BYTES = 24

interface EncryptedKeyJson {
  readonly kdf: {
    readonly name: string
    readonly params: { N: number; r: number; p: number }
    readonly salt: string
  }
  readonly cipher: { readonly name: string; readonly nonce: string }
  readonly ciphertext: string
}

export type CosignDecryptResult =
  | { readonly status: 'decrypted'; readonly pkcs8: Uint8Array }
  | { readonly status: 'wrong-passphrase' }
  | { readonly status: 'malformed'; readonly problem: string }

function deriveKey(passphrase: string, salt: Uint8Array, params: { N: number; r: number; p: number }) {
  return new Promise<Uint8Array>((resolve, reject) =>
    scrypt(
      passphrase,
      salt,
      32,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + (1 << 20) },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  )
}

function parseEncryptedJson(body: Uint8Array): EncryptedKeyJson | string {
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(body).toString('utf8'))
  } catch {
    return 'the PEM body is not the JSON cosign writes'
  }
  const value = json as Partial<EncryptedKeyJson>
  if (value.kdf?.name !== 'scrypt') return `unknown key derivation "${String(value.kdf?.name)}"`
  if (value.cipher?.name !== 'nacl/secretbox') return `unknown cipher "${String(value.cipher?.name)}"`
  const params = value.kdf.params
  if (!ACCEPTED_PARAMS.some((p) => p.N === params?.N && p.r === params.r && p.p === params.p)) {
    return 'unsupported scrypt parameters'
  }
  if (typeof value.kdf.salt !== 'string' || typeof value.cipher.nonce !== 'string')
    return 'salt or nonce missing'
  if (typeof value.ciphertext !== 'string') return 'ciphertext missing'
  return value as EncryptedKeyJson
}

/** Decrypts the body (base64-decoded PEM contents) of a cosign key file. */
export async function decryptCosignKey(body: Uint8Array, passphrase: string): Promise<CosignDecryptResult> {
  const parsed = parseEncryptedJson(body)
  if (typeof parsed === 'string') return { status: 'malformed', problem: parsed }
  const nonce = Buffer.from(parsed.cipher.nonce, 'base64')
  if (nonce.length !== NONCE_BYTES) return { status: 'malformed', problem: 'nonce is not 24 bytes' }
  const key = await deriveKey(passphrase, Buffer.from(parsed.kdf.salt, 'base64'), parsed.kdf.params)
  try {
    return {
      status: 'decrypted',
      pkcs8: xsalsa20poly1305(key, nonce).decrypt(Buffer.from(parsed.ciphertext, 'base64')),
    }
  } catch {
    // the Poly1305 tag does not match: another passphrase sealed it (or the box was altered)
    return { status: 'wrong-passphrase' }
  }
}

/** A cosign key file (`ENCRYPTED SIGSTORE PRIVATE KEY`) holding `pkcs8`, sealed with `passphrase` (may be empty). */
export async function encryptCosignKey(pkcs8: Uint8Array, passphrase: string): Promise<string> {
  const salt = randomBytes(32)
  const nonce = randomBytes(NONCE_BYTES)
  const key = await deriveKey(passphrase, salt, WRITE_PARAMS)
  const json = JSON.stringify({
    kdf: { name: 'scrypt', params: WRITE_PARAMS, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(xsalsa20poly1305(key, nonce).encrypt(pkcs8)).toString('base64'),
  })
  const lines =
    Buffer.from(json)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  return `-----BEGIN ${COSIGN_PEM_TYPES[0]}-----\n${lines.join('\n')}\n-----END ${COSIGN_PEM_TYPES[0]}-----\n`
}
