import { createPublicKey, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { basename } from 'node:path'
import type { X509Certificate } from '@sigstore/core'
import type { TrustMaterial } from '@sigstore/verify'
import { AttestError } from '../errors.ts'
import { publicKeyHint } from '../key/signing-key.ts'

/** @sigstore/core's certificate parser, required when a trusted root is read (keyless verification). */
const requireCore = createRequire(import.meta.url)
const sigstoreX509 = () =>
  (requireCore('@sigstore/core') as typeof import('@sigstore/core')).X509Certificate as typeof X509Certificate

/** Who must have signed: holders of one of these keys, or a keyless identity under a trusted root. */
export type VerificationPolicy =
  | { readonly mode: 'key'; readonly keys: readonly { readonly key: KeyObject; readonly source: string }[] }
  | {
      readonly mode: 'keyless'
      readonly trustMaterial: TrustMaterial
      /** Certificate subject (workflow URI or email); a RegExp to match a family of workflows. */
      readonly identity: string | RegExp
      /** OIDC issuer, e.g. https://token.actions.githubusercontent.com */
      readonly issuer: string
    }

/** Reads a PEM public key (`cosign.pub`) for key verification. */
export async function readPublicKey(path: string): Promise<{ key: KeyObject; source: string }> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    throw new AttestError(
      code === 'ENOENT' ? 'ATTEST_KEY_MISSING' : 'ATTEST_KEY_UNREADABLE',
      `public key ${path}: ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`,
      { hint: 'pass the public key the release was signed with (cosign.pub next to the signing key)', cause },
    )
  }
  try {
    return { key: createPublicKey({ key: text, format: 'pem' }), source: path }
  } catch (cause) {
    throw new AttestError('ATTEST_KEY_UNREADABLE', `public key ${path}: not a PEM public key`, {
      hint: 'expected "-----BEGIN PUBLIC KEY-----" (PEM SPKI), as `cosign public-key` prints',
      cause,
    })
  }
}

export function keyPolicy(keys: readonly { key: KeyObject; source: string }[]): VerificationPolicy {
  if (keys.length === 0) throw new Error('a key policy needs at least one key')
  return { mode: 'key', keys }
}

/** Trust material holding nothing but one public key: for verifying key-signed bundles offline. */
export function singleKeyTrust(key: KeyObject): TrustMaterial {
  return {
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
    publicKey: () => ({ publicKey: key, validFor: () => true }),
  }
}

interface TrustedRootJson {
  readonly tlogs?: readonly LogJson[]
  readonly ctlogs?: readonly LogJson[]
  readonly certificateAuthorities?: readonly AuthorityJson[]
  readonly timestampAuthorities?: readonly AuthorityJson[]
}
interface Validity {
  readonly start?: string
  readonly end?: string
}
interface LogJson {
  readonly baseUrl?: string
  readonly publicKey?: { readonly rawBytes?: string; readonly validFor?: Validity }
  readonly logId?: { readonly keyId?: string }
}
interface AuthorityJson {
  readonly certChain?: { readonly certificates?: readonly { readonly rawBytes?: string }[] }
  readonly validFor?: Validity
}

function validity(value: Validity | undefined): { start: Date; end: Date } {
  return {
    start: value?.start ? new Date(value.start) : new Date(0),
    end: value?.end ? new Date(value.end) : new Date(8.64e15),
  }
}

/**
 * Trust material from a Sigstore trusted root (`trusted_root.json` as TUF distributes it and
 * `cosign trusted-root create` writes it); `source` names it in errors.
 */
export function trustMaterialFromJson(json: unknown, source: string): TrustMaterial {
  const root = json as TrustedRootJson
  try {
    const log = (entry: LogJson): TrustMaterial['tlogs'][number] => {
      if (!entry.publicKey?.rawBytes || !entry.logId?.keyId)
        throw new Error('a log lacks publicKey.rawBytes or logId.keyId')
      return {
        logID: Buffer.from(entry.logId.keyId, 'base64'),
        baseURL: entry.baseUrl ?? '',
        publicKey: createPublicKey({
          key: Buffer.from(entry.publicKey.rawBytes, 'base64'),
          format: 'der',
          type: 'spki',
        }),
        validFor: validity(entry.publicKey.validFor),
      }
    }
    const authority = (entry: AuthorityJson) => ({
      certChain: (entry.certChain?.certificates ?? []).map((c) =>
        sigstoreX509().parse(Buffer.from(c.rawBytes ?? '', 'base64')),
      ),
      validFor: validity(entry.validFor),
    })
    if (!Array.isArray(root.certificateAuthorities) || root.certificateAuthorities.length === 0) {
      throw new Error('it lists no certificate authorities')
    }
    return {
      certificateAuthorities: root.certificateAuthorities.map(authority),
      timestampAuthorities: (root.timestampAuthorities ?? []).map(authority),
      tlogs: (root.tlogs ?? []).map(log),
      ctlogs: (root.ctlogs ?? []).map(log),
      publicKey: (hint) => {
        throw new AttestError(
          'ATTEST_SIGNATURE_INVALID',
          `signed with a key (${hint}), but keyless signatures were expected`,
        )
      },
    }
  } catch (cause) {
    if (cause instanceof AttestError) throw cause
    throw new AttestError(
      'ATTEST_TRUST_ROOT_INVALID',
      `${source}: not a usable Sigstore trusted root: ${(cause as Error).message}`,
      {
        hint: 'pass the trusted_root.json of the Sigstore instance that signed (public good: `cosign trusted-root` / TUF)',
        cause,
      },
    )
  }
}

export async function readTrustedRoot(path: string): Promise<TrustMaterial> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new AttestError('ATTEST_TRUST_ROOT_INVALID', `trusted root ${path} cannot be read`, { cause })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new AttestError('ATTEST_TRUST_ROOT_INVALID', `trusted root ${path}: not JSON`, { cause })
  }
  return trustMaterialFromJson(json, path)
}

/** A short name for a key in messages: its source and hint prefix. */
export function describeKey(entry: { key: KeyObject; source: string }): string {
  return `${basename(entry.source)} (${publicKeyHint(entry.key).slice(0, 12)}…)`
}
