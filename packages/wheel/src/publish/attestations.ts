import type { Distribution } from '../inspect/distribution.ts'

/**
 * Who signs the PEP 740 attestations of uploads. `keyless`: a Sigstore identity (Fulcio
 * certificate, Rekor entry), the only kind PyPI takes; `attest` returns the attestation
 * object for one file (JSON, sent as is). `unavailable`: the release signs otherwise (a
 * key) and `reason` says why no attestation goes with the uploads.
 */
export type UploadAttester =
  | {
      readonly kind: 'keyless'
      attest(distribution: Distribution): Promise<object>
    }
  | { readonly kind: 'unavailable'; readonly reason: string }

/** Whether an index takes PEP 740 attestations with uploads, and if not, why. */
export type AttestationSupport =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly reason: string }

/** What happened to the attestations of a published file. */
export type AttestationOutcome =
  | { readonly status: 'sent'; readonly count: number }
  | { readonly status: 'not-sent'; readonly reason: string }
