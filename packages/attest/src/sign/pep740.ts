import { assertNever, type Digest } from '@polyship/core'
import { AttestError } from '../errors.ts'
import { pypiPublishStatement } from '../statement/pypi-publish.ts'
import { INTOTO_PAYLOAD_TYPE, parseStatement } from '../statement/statement.ts'
import type { BundleSigner, SigstoreBundle } from './bundle-signer.ts'
import type { ConfiguredSigner } from './from-config.ts'

/**
 * A PEP 740 attestation object, as an index takes it in the upload form's `attestations`
 * field and pypi-attestations models it: the signing certificate and Rekor entries of a
 * Sigstore DSSE bundle, and its envelope's payload and single signature.
 */
export interface Pep740Attestation {
  readonly version: 1
  readonly verification_material: {
    /** base64(DER) of the Fulcio leaf certificate. */
    readonly certificate: string
    /** The bundle's transparency log entries, in the Sigstore bundle's JSON form. */
    readonly transparency_entries: readonly unknown[]
  }
  readonly envelope: {
    /** base64 of the in-toto statement's bytes, exactly as signed. */
    readonly statement: string
    /** base64 of the DSSE signature. */
    readonly signature: string
  }
}

/**
 * A keyless DSSE bundle as a PEP 740 attestation. A bundle without a certificate (signed
 * with a key) or without a transparency log entry is ATTEST_BUNDLE_INVALID: PyPI verifies
 * attestations against a Sigstore identity and log, never a bare key.
 */
export function pep740FromBundle(bundle: SigstoreBundle, where: string): Pep740Attestation {
  const fail = (what: string): never => {
    throw new AttestError('ATTEST_BUNDLE_INVALID', `${where}: cannot be a PEP 740 attestation: ${what}`, {
      hint: 'PyPI takes attestations signed keyless (signing.mode "keyless", Fulcio and Rekor); key signatures stay with the release assets',
    })
  }
  const material = bundle.verificationMaterial
  const certificate =
    material.certificate?.rawBytes ?? material.x509CertificateChain?.certificates[0]?.rawBytes
  if (certificate === undefined) fail('it carries no signing certificate (a key signature)')
  if (material.tlogEntries.length === 0) fail('it has no transparency log entry')
  const envelope = bundle.dsseEnvelope
  if (envelope === undefined || envelope.payloadType !== INTOTO_PAYLOAD_TYPE)
    fail('it is not a DSSE envelope over an in-toto statement')
  if (envelope!.signatures.length !== 1)
    fail(`it has ${envelope!.signatures.length} signatures, PEP 740 wants exactly one`)
  return {
    version: 1,
    verification_material: {
      certificate: certificate!,
      transparency_entries: material.tlogEntries.map(withProtoDefaults),
    },
    envelope: { statement: envelope!.payload, signature: envelope!.signatures[0]!.sig },
  }
}

/**
 * A log entry with the inclusion proof's default-valued fields written out: protobuf JSON
 * drops a `logIndex` of 0 and an empty `hashes` list (a tree of one), and sigstore-python,
 * which PyPI verifies with, requires both.
 */
function withProtoDefaults(entry: SigstoreBundle['verificationMaterial']['tlogEntries'][number]) {
  const proof = entry.inclusionProof
  return proof === undefined
    ? entry
    : { ...entry, inclusionProof: { ...proof, logIndex: proof.logIndex ?? '0', hashes: proof.hashes ?? [] } }
}

/** The statement inside a PEP 740 attestation, parsed; `where` names it in errors. */
export function pep740Statement(attestation: Pep740Attestation, where: string) {
  return parseStatement(Buffer.from(attestation.envelope.statement, 'base64'), where)
}

/**
 * Signs the PyPI publish attestation of one distribution file with a keyless signer and
 * converts it. The result is checked before it is returned: exactly one subject, the file's
 * name and digest, so a file is never uploaded with an attestation about another.
 */
export async function signPypiPublishAttestation(
  signer: BundleSigner,
  file: { readonly filename: string; readonly digest: Digest },
): Promise<Pep740Attestation> {
  const bundle = await signer.signStatement(pypiPublishStatement(file.filename, file.digest))
  const attestation = pep740FromBundle(bundle, `the publish attestation of ${file.filename}`)
  const signed = pep740Statement(attestation, `the publish attestation of ${file.filename}`)
  const [subject, ...more] = signed.subject
  if (more.length > 0 || subject?.name !== file.filename || `sha256:${subject.digest.sha256}` !== file.digest)
    throw new Error(`the publish attestation of ${file.filename} was signed over another subject`)
  return attestation
}

/**
 * Who signs PEP 740 publish attestations for uploads, from the release's signer: keyless
 * signs them; a key or no signing cannot (PyPI verifies a Sigstore identity, a key means
 * nothing to it), and `reason` says so. Shaped as `@polyship/wheel`'s UploadAttester.
 */
export type PublishAttester =
  | {
      readonly kind: 'keyless'
      attest(file: { readonly filename: string; readonly digest: Digest }): Promise<Pep740Attestation>
    }
  | { readonly kind: 'unavailable'; readonly reason: string }

export function publishAttester(signing: ConfiguredSigner): PublishAttester {
  switch (signing.mode) {
    case 'keyless': {
      const { signer } = signing
      return { kind: 'keyless', attest: (file) => signPypiPublishAttestation(signer, file) }
    }
    case 'key':
      return {
        kind: 'unavailable',
        reason:
          'the release signs with a key: PEP 740 attestations need a keyless (Sigstore) identity, so none were sent (signing.mode "keyless" in CI sends them)',
      }
    case 'none':
      return { kind: 'unavailable', reason: 'signing is off (signing.mode "none"): no PEP 740 attestations' }
    default:
      return assertNever(signing, 'signing mode')
  }
}
