import { type Bundle, bundleToJSON, type SerializedBundle } from '@sigstore/bundle'
import type { Signer, Witness } from '@sigstore/sign'
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
  // @sigstore/sign (and its fetch stack) is loaded by the first signature, not by every import of attest
  let builders:
    | Promise<{
        readonly message: import('@sigstore/sign').MessageSignatureBundleBuilder
        readonly dsse: import('@sigstore/sign').DSSEBundleBuilder
      }>
    | undefined
  const built = () => {
    builders ??= import('@sigstore/sign').then((sign) => ({
      message: new sign.MessageSignatureBundleBuilder({ signer, witnesses }),
      dsse: new sign.DSSEBundleBuilder({ signer, witnesses }),
    }))
    return builders
  }
  return {
    async signBlob(data) {
      const { message } = await built()
      const bundle = await message.create({
        data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
      })
      return bundleToJSON(toV03(bundle))
    },
    async signStatement(value) {
      const { dsse } = await built()
      const bundle = await dsse.create({
        data: Buffer.from(JSON.stringify(value)),
        type: INTOTO_PAYLOAD_TYPE,
      })
      return bundleToJSON(withoutKeyId(bundle))
    },
  }
}
