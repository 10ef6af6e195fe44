import { createHash, verify } from 'node:crypto'
import { createRequire } from 'node:module'
import { assertBundle, type Bundle, bundleFromJSON } from '@sigstore/bundle'
import { AttestError } from '../errors.ts'
import { INTOTO_PAYLOAD_TYPE, parseStatement, type Statement } from '../statement/statement.ts'
import { describeKey, singleKeyTrust, type VerificationPolicy } from './policy.ts'

/**
 * @sigstore/verify (CommonJS, with @sigstore/core) is required by the first verification,
 * not by every import of attest: a release that verifies nothing never loads it.
 */
const requireVerify = createRequire(import.meta.url)
const sigstoreVerify = () => requireVerify('@sigstore/verify') as typeof import('@sigstore/verify')

export interface VerifiedBundle {
  /** Who signed, for the report: a key source or the certificate identity. */
  readonly signer: string
  /** The signed statement of a DSSE bundle. */
  readonly statement?: Statement
}

function parseBundle(json: unknown, where: string): Bundle {
  try {
    const bundle = bundleFromJSON(json)
    assertBundle(bundle)
    return bundle
  } catch (cause) {
    throw new AttestError(
      'ATTEST_BUNDLE_INVALID',
      `${where}: not a Sigstore bundle (${(cause as Error).message})`,
      {
        hint: 'the file is damaged or not what polyship/cosign wrote; re-run the release to sign again',
        cause,
      },
    )
  }
}

function signatureError(where: string, detail: string, cause?: unknown): AttestError {
  return new AttestError('ATTEST_SIGNATURE_INVALID', `${where}: ${detail}`, {
    hint: 'the artifact or its signature changed after signing, or it was signed by someone else',
    ...(cause === undefined ? {} : { cause }),
  })
}

/** For message signatures: the signed digest must be the artifact's, the clearest way to say "the file changed". */
function checkMessageDigest(bundle: Bundle, artifact: Uint8Array, where: string): void {
  if (bundle.content.$case !== 'messageSignature') return
  const signed = bundle.content.messageSignature.messageDigest?.digest
  const actual = createHash('sha256').update(artifact).digest()
  if (signed !== undefined && !Buffer.from(signed).equals(actual)) {
    throw signatureError(
      where,
      `the artifact's sha256 ${actual.toString('hex')} is not the signed one ${Buffer.from(signed).toString('hex')}`,
    )
  }
}

/** HASH_ALGORITHM_UNSPECIFIED and SHA2_256 of Sigstore's HashAlgorithm: what @sigstore/verify reads as sha256. */
const SHA256_ALGORITHMS: readonly number[] = [0, 1]

/**
 * The key that made a bundle that holds nothing but a message signature by a public key (no
 * transparency-log entry, no timestamp: what a key signer writes for polyship's own record),
 * found with node:crypto alone: for such a bundle the one check @sigstore/verify's Verifier
 * makes under a policy's keys (no log, certificate or timestamp to check, thresholds 0) is
 * the sha256 signature over the artifact. Undefined for any other bundle, or when no key
 * verifies it: @sigstore/verify then checks it (and says why it fails), so checking a record
 * in a re-run loads it only when the record is not as polyship signed it.
 */
function plainKeySigner(
  bundle: Bundle,
  artifact: Uint8Array | undefined,
  policy: Extract<VerificationPolicy, { mode: 'key' }>,
): string | undefined {
  const { content, verificationMaterial: material } = bundle
  if (
    artifact === undefined ||
    content.$case !== 'messageSignature' ||
    !SHA256_ALGORITHMS.includes(content.messageSignature.messageDigest.algorithm) ||
    material.content.$case !== 'publicKey' ||
    material.tlogEntries.length > 0 ||
    (material.timestampVerificationData?.rfc3161Timestamps.length ?? 0) > 0
  )
    return undefined
  const signature = content.messageSignature.signature
  const entry = policy.keys.find((k) => {
    try {
      return verify('sha256', artifact, k.key, signature)
    } catch {
      // a key sha256 cannot be used with (Ed25519): as @sigstore/core's verify, not this key
      return false
    }
  })
  return entry === undefined ? undefined : describeKey(entry)
}

function verifyWithKeys(
  bundle: Bundle,
  artifact: Uint8Array | undefined,
  policy: Extract<VerificationPolicy, { mode: 'key' }>,
  where: string,
): string {
  const plain = plainKeySigner(bundle, artifact, policy)
  if (plain !== undefined) return plain
  const { toSignedEntity, VerificationError, Verifier } = sigstoreVerify()
  const entity = toSignedEntity(bundle, artifact === undefined ? undefined : Buffer.from(artifact))
  if (entity.key.$case !== 'public-key') {
    throw signatureError(
      where,
      'signed keyless (with a certificate), but a public key was given to verify with',
    )
  }
  let last: unknown
  for (const entry of policy.keys) {
    try {
      new Verifier(singleKeyTrust(entry.key), {
        tlogThreshold: 0,
        ctlogThreshold: 0,
        timestampThreshold: 0,
      }).verify(entity)
      return describeKey(entry)
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error
      last = error
    }
  }
  throw signatureError(
    where,
    `the signature does not verify with ${policy.keys.map(describeKey).join(', ')}`,
    last,
  )
}

function verifyKeyless(
  bundle: Bundle,
  artifact: Uint8Array | undefined,
  policy: Extract<VerificationPolicy, { mode: 'keyless' }>,
  where: string,
): string {
  const { PolicyError, toSignedEntity, VerificationError, Verifier } = sigstoreVerify()
  const entity = toSignedEntity(bundle, artifact === undefined ? undefined : Buffer.from(artifact))
  const verifier = new Verifier(policy.trustMaterial, {
    tlogThreshold: 1,
    ctlogThreshold: 1,
    timestampThreshold: 1,
  })
  try {
    const signer = verifier.verify(entity, {
      subjectAlternativeName: policy.identity,
      extensions: { issuer: policy.issuer },
    })
    return `${signer.identity?.subjectAlternativeName ?? 'certificate'} (${signer.identity?.extensions?.issuer ?? policy.issuer})`
  } catch (error) {
    if (error instanceof PolicyError) {
      throw new AttestError(
        'ATTEST_IDENTITY_MISMATCH',
        `${where}: signed by another identity: ${error.message}`,
        {
          hint: `expected ${String(policy.identity)} from ${policy.issuer}; check --certificate-identity and --certificate-oidc-issuer`,
          cause: error,
        },
      )
    }
    if (error instanceof VerificationError)
      throw signatureError(where, `${error.code}: ${error.message}`, error)
    throw error
  }
}

/**
 * Verifies a Sigstore bundle (parsed JSON) under a policy. Message signatures need the
 * artifact bytes; DSSE bundles return their statement. `where` names the bundle in errors.
 */
export function verifyBundle(
  json: unknown,
  policy: VerificationPolicy,
  options: { readonly artifact?: Uint8Array; readonly where: string },
): VerifiedBundle {
  const bundle = parseBundle(json, options.where)
  if (bundle.content.$case === 'messageSignature') {
    if (options.artifact === undefined)
      throw new Error('verifying a message signature needs the artifact bytes')
    checkMessageDigest(bundle, options.artifact, options.where)
  }
  const signer =
    policy.mode === 'key'
      ? verifyWithKeys(bundle, options.artifact, policy, options.where)
      : verifyKeyless(bundle, options.artifact, policy, options.where)
  if (bundle.content.$case !== 'dsseEnvelope') return { signer }
  const envelope = bundle.content.dsseEnvelope
  if (envelope.payloadType !== INTOTO_PAYLOAD_TYPE) {
    throw new AttestError(
      'ATTEST_BUNDLE_INVALID',
      `${options.where}: DSSE payload type "${envelope.payloadType}" is not in-toto`,
    )
  }
  return { signer, statement: parseStatement(envelope.payload, options.where) }
}
