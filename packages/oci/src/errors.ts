import { PolyshipError } from '@polyship/core'

export type OciErrorCode =
  | 'OCI_REFERENCE_INVALID'
  | 'OCI_INSECURE_REFUSED'
  | 'OCI_UNAUTHORIZED'
  | 'OCI_DENIED'
  | 'OCI_CREDENTIALS_INVALID'
  | 'OCI_NAME_UNKNOWN'
  | 'OCI_MANIFEST_UNKNOWN'
  | 'OCI_MANIFEST_INVALID'
  | 'OCI_MANIFEST_TOO_LARGE'
  | 'OCI_MANIFEST_BLOB_UNKNOWN'
  | 'OCI_BLOB_UNKNOWN'
  | 'OCI_DIGEST_MISMATCH'
  | 'OCI_SIZE_MISMATCH'
  | 'OCI_TAG_CONFLICT'
  | 'OCI_UPLOAD_FAILED'
  | 'OCI_REGISTRY_ERROR'
  | 'OCI_UNAVAILABLE'
  | 'OCI_LAYOUT_INVALID'
  | 'OCI_LAYOUT_LOCKED'

/** Every failure of @polyship/oci a user can act on: a stable code, a message naming the reference, a hint. */
export class OciError extends PolyshipError<OciErrorCode> {}
