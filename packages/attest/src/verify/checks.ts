import { type Digest, digestHex, isPolyshipError } from '@polyship/core'
import { AttestError, type AttestErrorCode } from '../errors.ts'
import { validateSpdx } from '../sbom/spdx-validate.ts'
import { validateSbom } from '../sbom/validate.ts'
import type { SlsaProvenance } from '../statement/provenance.ts'
import { coversDigest, PREDICATE_TYPES, type Statement } from '../statement/statement.ts'
import type { VerifiedBundle } from './bundle.ts'

/**
 * `content`: the bytes inside (an image's manifests and blobs, a checksums file's lines);
 * `tag`: the version tag points at the recorded digest; `index`: a package index page links
 * the recorded file and hash; `record`: the release record's own signature.
 */
export type CheckName =
  | 'record'
  | 'digest'
  | 'content'
  | 'tag'
  | 'index'
  | 'signature'
  | 'provenance'
  | 'sbom'
  | 'spdx'

/** The outcome of one check of one artifact: what `polyship verify` prints a row for. */
export type CheckResult =
  | {
      readonly artifact: string
      readonly check: CheckName
      readonly status: 'passed'
      readonly detail: string
    }
  | {
      readonly artifact: string
      readonly check: CheckName
      readonly status: 'failed'
      readonly code: string
      readonly reason: string
    }

/** Which attestations an artifact must have besides its signature. */
export interface Expectations {
  readonly sbom: boolean
  /** The SPDX SBOM must be there; otherwise it is checked when present (releases before SPDX lack it). */
  readonly spdx?: boolean
  readonly provenance: boolean
}

/** Runs one check, turning a coded polyship error into a failed row; anything else is a bug and propagates. */
export async function runCheck(
  artifact: string,
  check: CheckName,
  body: () => Promise<string> | string,
): Promise<CheckResult> {
  try {
    return { artifact, check, status: 'passed', detail: await body() }
  } catch (error) {
    if (!isPolyshipError(error)) throw error
    return { artifact, check, status: 'failed', code: error.code, reason: error.message }
  }
}

function requireSubject(value: Statement, digest: Digest, where: string): void {
  if (!coversDigest(value, digest)) {
    const subjects = value.subject.map(
      (s) => `${s.name ?? '(unnamed)'} sha256:${s.digest.sha256.slice(0, 12)}…`,
    )
    throw new AttestError(
      'ATTEST_SUBJECT_MISMATCH',
      `${where}: its subjects (${subjects.join(', ')}) do not include the artifact's digest sha256:${digestHex(digest).slice(0, 12)}…`,
      { hint: 'the artifact changed after it was attested, or the attestation belongs to another artifact' },
    )
  }
}

/** The DSSE statement of `verified`: of the expected predicate type, with `digest` among its subjects. */
function requireAttestation(
  verified: VerifiedBundle,
  digest: Digest,
  where: string,
  expected: { readonly predicateType: string; readonly code: AttestErrorCode; readonly what: string },
): Statement {
  const value = verified.statement
  if (value === undefined) {
    throw new AttestError(
      'ATTEST_BUNDLE_INVALID',
      `${where}: a message signature where an attestation (DSSE) was expected`,
    )
  }
  if (value.predicateType !== expected.predicateType) {
    throw new AttestError(
      expected.code,
      `${where}: predicate type ${value.predicateType} is not ${expected.what}`,
    )
  }
  requireSubject(value, digest, where)
  return value
}

/** An image/chart signature: cosign's sign/v1 statement over exactly this manifest. */
export function checkSignatureStatement(verified: VerifiedBundle, digest: Digest, where: string): string {
  requireAttestation(verified, digest, where, {
    predicateType: PREDICATE_TYPES.cosignSign,
    code: 'ATTEST_SIGNATURE_INVALID',
    what: 'a signature',
  })
  return `signed by ${verified.signer}`
}

export function checkProvenance(verified: VerifiedBundle, digest: Digest, where: string): string {
  const value = requireAttestation(verified, digest, where, {
    predicateType: PREDICATE_TYPES.slsaProvenance,
    code: 'ATTEST_PROVENANCE_INVALID',
    what: 'SLSA provenance v1',
  })
  const predicate = value.predicate as Partial<SlsaProvenance>
  const builder = predicate.runDetails?.builder?.id
  if (typeof builder !== 'string' || typeof predicate.buildDefinition?.buildType !== 'string') {
    throw new AttestError(
      'ATTEST_PROVENANCE_INVALID',
      `${where}: the predicate lacks buildDefinition.buildType or runDetails.builder.id`,
    )
  }
  return `SLSA v1 by ${builder}, signed by ${verified.signer}`
}

export async function checkSbom(verified: VerifiedBundle, digest: Digest, where: string): Promise<string> {
  const value = requireAttestation(verified, digest, where, {
    predicateType: PREDICATE_TYPES.cyclonedx,
    code: 'ATTEST_SBOM_INVALID',
    what: 'a CycloneDX SBOM',
  })
  await validateSbom(JSON.stringify(value.predicate), where)
  const document = value.predicate as {
    components?: unknown[]
    metadata?: { component?: { hashes?: { alg?: string; content?: string }[] } }
  }
  const hashes = document.metadata?.component?.hashes ?? []
  const described = hashes.find((h) => h.alg === 'SHA-256')?.content
  if (described !== undefined && described !== digestHex(digest)) {
    throw new AttestError(
      'ATTEST_SUBJECT_MISMATCH',
      `${where}: the SBOM describes sha256:${described.slice(0, 12)}…, not this artifact`,
    )
  }
  return `CycloneDX 1.6, ${document.components?.length ?? 0} components, signed by ${verified.signer}`
}

/** An SPDX SBOM attestation: valid SPDX 2.3 whose described package has this artifact's SHA256. */
export function checkSpdx(verified: VerifiedBundle, digest: Digest, where: string): string {
  const value = requireAttestation(verified, digest, where, {
    predicateType: PREDICATE_TYPES.spdx,
    code: 'ATTEST_SBOM_INVALID',
    what: 'an SPDX SBOM',
  })
  validateSpdx(JSON.stringify(value.predicate), where)
  const document = value.predicate as {
    packages: { SPDXID: string; checksums?: { algorithm: string; checksumValue: string }[] }[]
    relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[]
  }
  const described = document.relationships.find(
    (r) => r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES',
  )?.relatedSpdxElement
  const sum = document.packages
    .find((p) => p.SPDXID === described)
    ?.checksums?.find((c) => c.algorithm === 'SHA256')?.checksumValue
  if (sum !== undefined && sum !== digestHex(digest)) {
    throw new AttestError(
      'ATTEST_SUBJECT_MISMATCH',
      `${where}: the SPDX SBOM describes sha256:${sum.slice(0, 12)}…, not this artifact`,
    )
  }
  return `SPDX 2.3, ${document.packages.length} packages, signed by ${verified.signer}`
}

/** Expectations by artifact kind: checksums files get provenance but no SBOM. */
export function expectationsFor(kind: string): Expectations {
  switch (kind) {
    case 'checksums':
      return { sbom: false, provenance: true }
    case 'sbom':
    case 'signature':
    case 'provenance':
      return { sbom: false, provenance: false }
    default:
      return { sbom: true, provenance: true }
  }
}
