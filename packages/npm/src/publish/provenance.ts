import type { Digest } from '@polyship/core'
import type { NpmTarball } from '../package/tarball.ts'

/**
 * Who signs npm provenance for published versions. `keyless`: returns the Sigstore bundle
 * (JSON) of the package's SLSA provenance, as `npm publish --provenance` makes it.
 * `unavailable`: `reason` says why no provenance is attached (key signing, not in CI).
 */
export type ProvenanceSigner =
  | {
      readonly kind: 'keyless'
      bundle(subject: {
        readonly name: string
        readonly version: string
        readonly integrity: string
        readonly digest: Digest
      }): Promise<{ readonly mediaType: string }>
    }
  | { readonly kind: 'unavailable'; readonly reason: string }

/** Whether a registry keeps provenance attached to a publish, and if not, why. */
export type ProvenanceSupport =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly reason: string }

/** What happened to the provenance of a published version. */
export type ProvenanceOutcome =
  | { readonly status: 'attached' }
  | { readonly status: 'not-attached'; readonly reason: string }

/** An entry of a publish document's `_attachments`. */
export interface NpmAttachment {
  readonly content_type: string
  readonly data: string
  readonly length: number
}

/**
 * The `_attachments` entry npm adds for provenance: `<name>-<version>.sigstore`, the
 * bundle's JSON as the data (not base64), its media type as the content type.
 */
export function provenanceAttachment(
  tarball: Pick<NpmTarball, 'name' | 'version'>,
  bundle: { readonly mediaType: string },
): [name: string, attachment: NpmAttachment] {
  const data = JSON.stringify(bundle)
  return [
    `${tarball.name}-${tarball.version.text}.sigstore`,
    { content_type: bundle.mediaType, data, length: data.length },
  ]
}

/** registry.npmjs.org keeps and shows provenance; other registries (Verdaccio, GitHub Packages) do not. */
export function registryTakesProvenance(url: string): boolean {
  return new URL(url).hostname === 'registry.npmjs.org'
}
