import { createHash } from 'node:crypto'
import {
  type Bundle,
  bundleToJSON,
  type SerializedBundle,
  toDSSEBundle,
  toMessageSignatureBundle,
} from '@sigstore/bundle'
import type { Signature, Signer, Witness } from '@sigstore/sign'
import { pemBody } from '../key/signing-key.ts'
import { INTOTO_PAYLOAD_TYPE, type Statement } from '../statement/statement.ts'
import type { VerificationPolicy } from '../verify/policy.ts'

/** A Sigstore bundle as JSON, the content of `*.sigstore.json` files and OCI bundle layers. */
export type SigstoreBundle = SerializedBundle

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json'

/** Produces Sigstore bundles; the key signer and the keyless signer both are one. */
export interface BundleSigner {
  /** A message-signature bundle over `data`: what `<file>.sigstore.json` holds. */
  signBlob(data: Uint8Array): Promise<SigstoreBundle>
  /** A DSSE bundle over an in-toto statement: provenance, SBOM attestations, image signatures. */
  signStatement(statement: Statement): Promise<SigstoreBundle>
  /**
   * Who this signer's signatures verify under, when that is known offline (the key signer:
   * its public key): a release checks the record it builds on with it. Keyless signers have
   * none (the identity and trusted root are the verifier's to choose).
   */
  readonly ownPolicy?: VerificationPolicy
}

/**
 * Brings a message-signature bundle to v0.3 (one leaf certificate instead of a chain, as
 * cosign 3 writes): @sigstore/sign still emits v0.2 for message signatures.
 */
function toV03(bundle: Bundle): Bundle {
  const content = bundle.verificationMaterial.content
  if (content.$case === 'x509CertificateChain') {
    const leaf = content.x509CertificateChain.certificates[0]
    if (leaf === undefined) return bundle
    return {
      ...bundle,
      mediaType: BUNDLE_V03_MEDIA_TYPE,
      verificationMaterial: {
        ...bundle.verificationMaterial,
        content: { $case: 'certificate', certificate: leaf },
      },
    }
  }
  return { ...bundle, mediaType: BUNDLE_V03_MEDIA_TYPE }
}

/**
 * DSSE signatures from a public key carry no keyid: cosign's envelope verifier skips a
 * signature whose keyid differs from its own SSH-style key fingerprint, and the bundle's
 * verification material already names the key.
 */
function withoutKeyId(bundle: Bundle): Bundle {
  if (bundle.content.$case !== 'dsseEnvelope' || bundle.verificationMaterial.content.$case !== 'publicKey') {
    return bundle
  }
  const envelope = bundle.content.dsseEnvelope
  return {
    ...bundle,
    content: {
      $case: 'dsseEnvelope',
      dsseEnvelope: { ...envelope, signatures: envelope.signatures.map((s) => ({ ...s, keyid: '' })) },
    },
  } as Bundle
}

/** A BundleSigner over any @sigstore/sign signer and its witnesses (Rekor, TSA; none for key signing). */
export function sigstoreBundleSigner(signer: Signer, witnesses: Witness[]): BundleSigner {
  return {
    async signBlob(data) {
      const artifact = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      const signature = await signer.sign(artifact)
      const bundle = toMessageSignatureBundle({
        digest: createHash('sha256').update(artifact).digest(),
        signature: signature.signature,
        ...keyMaterial(signature.key),
        certificateChain: true,
      })
      return bundleToJSON(toV03(await witnessed(bundle, signature.key, witnesses)))
    },
    async signStatement(value) {
      const artifact = Buffer.from(JSON.stringify(value))
      const signature = await signer.sign(preAuthEncoding(INTOTO_PAYLOAD_TYPE, artifact))
      const bundle = toDSSEBundle({
        artifact,
        artifactType: INTOTO_PAYLOAD_TYPE,
        signature: signature.signature,
        ...keyMaterial(signature.key),
        certificateChain: false,
      })
      return bundleToJSON(withoutKeyId(await witnessed(bundle, signature.key, witnesses)))
    },
  }
}

/** The certificate (DER) or key hint a bundle names, as @sigstore/sign's bundlers pass them on. */
function keyMaterial(key: Signature['key']): { certificate?: Buffer; keyHint?: string } {
  switch (key.$case) {
    case 'x509Certificate':
      return { certificate: pemBody(key.certificate) }
    case 'publicKey':
      return key.hint === undefined ? {} : { keyHint: key.hint }
  }
}

/**
 * The bundle with the witnesses' transparency-log entries and timestamps, gathered in
 * parallel, as @sigstore/sign's BaseBundleBuilder does. Built here so that key signing
 * (no witnesses) never loads @sigstore/sign and its fetch stack (~120 ms of CPU).
 */
async function witnessed(
  bundle: Bundle,
  key: Signature['key'],
  witnesses: readonly Witness[],
): Promise<Bundle> {
  const publicKey = key.$case === 'publicKey' ? key.publicKey : key.certificate
  const materials = await Promise.all(witnesses.map((w) => w.testify(bundle.content, publicKey)))
  bundle.verificationMaterial.tlogEntries = materials.flatMap((m) => m.tlogEntries ?? [])
  bundle.verificationMaterial.timestampVerificationData = {
    rfc3161Timestamps: materials.flatMap((m) => m.rfc3161Timestamps ?? []),
  }
  return bundle
}

/** DSSE's pre-authentication encoding (PAE) of a payload, the bytes that are signed. */
function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8')
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    payload,
  ])
}
