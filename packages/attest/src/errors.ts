import { PolyshipError } from '@polyship/core'

export type AttestErrorCode =
  | 'ATTEST_KEY_MISSING'
  | 'ATTEST_KEY_NOT_CONFIGURED'
  | 'ATTEST_KEY_UNREADABLE'
  | 'ATTEST_KEY_PASSPHRASE'
  | 'ATTEST_KEY_UNSUPPORTED'
  | 'ATTEST_KEY_INSIDE_REPOSITORY'
  | 'ATTEST_OIDC_TOKEN_MISSING'
  | 'ATTEST_KEYLESS_FAILED'
  | 'ATTEST_TRUST_ROOT_INVALID'
  | 'ATTEST_BUNDLE_INVALID'
  | 'ATTEST_SIGNATURE_MISSING'
  | 'ATTEST_SIGNATURE_INVALID'
  | 'ATTEST_IDENTITY_MISMATCH'
  | 'ATTEST_SUBJECT_MISMATCH'
  | 'ATTEST_PROVENANCE_MISSING'
  | 'ATTEST_PROVENANCE_INVALID'
  | 'ATTEST_SBOM_MISSING'
  | 'ATTEST_SBOM_INVALID'
  | 'ATTEST_INPUT_INVALID'
  | 'ATTEST_RECORD_UNSIGNED'
  | 'ATTEST_RECORD_SIGNATURE_INVALID'
  | 'ATTEST_TAG_MISMATCH'
  | 'ATTEST_CHECKSUMS_MISMATCH'
  | 'ATTEST_INDEX_MISMATCH'

/** Every coded failure of signing, attesting and verifying. */
export class AttestError extends PolyshipError<AttestErrorCode> {}

export function isAttestError(error: unknown): error is AttestError {
  return error instanceof AttestError
}
