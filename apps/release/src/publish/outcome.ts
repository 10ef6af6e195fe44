import type { Digest } from '@polyship/core'

/** What a destination holds for one artifact, asked before anything is published. */
export type Reconciliation =
  | { readonly status: 'new'; readonly location: string }
  | { readonly status: 'unchanged'; readonly location: string; readonly digest: Digest }
  | {
      readonly status: 'conflict'
      readonly location: string
      /** A digest, or for npm packages the registry's integrity (`sha512-...`). */
      readonly existing: string
      readonly wanted: string
    }

export type PublishOutcome =
  | { readonly status: 'published'; readonly location: string; readonly digest: Digest }
  | { readonly status: 'unchanged'; readonly location: string; readonly digest: Digest }
