import { type Digest, digestHex } from '@polyship/core'
import { OciError } from '../errors.ts'
import {
  type Descriptor,
  descriptorOf,
  encodeManifest,
  type ImageIndex,
  type ManifestContent,
  type ParsedManifest,
  parseManifest,
  subjectOf,
} from '../manifest.ts'
import { MEDIA_TYPES } from '../media-types.ts'

/** The tag of the fallback referrers index of a subject: `sha256-<hex>` (distribution spec 1.1). */
export function fallbackTag(subject: Digest): string {
  return `sha256-${digestHex(subject)}`
}

export const EMPTY_REFERRERS: ImageIndex = {
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociIndex,
  manifests: [],
}

/** Parses a referrer manifest and returns it with its subject; a manifest without subject is refused. */
export function parseReferrer(
  content: ManifestContent,
  where: string,
): { parsed: ParsedManifest; subject: Descriptor; entry: Descriptor } {
  const parsed = parseManifest(content.bytes, content.mediaType, where)
  const subject = subjectOf(parsed)
  if (subject === undefined) {
    throw new OciError(
      'OCI_MANIFEST_INVALID',
      `${where}: a referrer needs a "subject" pointing at what it refers to`,
      {
        hint: 'build it with referrerManifest({ subject, artifactType, layers })',
      },
    )
  }
  return { parsed, subject, entry: referrerEntry(parsed, content) }
}

/** The descriptor listed for a referrer: artifactType (or config media type) and annotations copied. */
function referrerEntry(parsed: ParsedManifest, content: ManifestContent): Descriptor {
  const doc = parsed.kind === 'index' ? parsed.index : parsed.manifest
  const artifactType =
    doc.artifactType ?? (parsed.kind === 'manifest' ? parsed.manifest.config.mediaType : undefined)
  return {
    ...descriptorOf(content),
    ...(artifactType === undefined ? {} : { artifactType }),
    ...(doc.annotations === undefined ? {} : { annotations: doc.annotations }),
  }
}

/** The fallback index with the `entries` it lacks appended in order, or undefined when it lists them all. */
export function withReferrers(
  index: ImageIndex,
  entries: readonly Descriptor[],
): ManifestContent | undefined {
  const missing = unlisted(index, entries)
  if (missing.length === 0) return undefined
  return encodeManifest({ ...EMPTY_REFERRERS, manifests: [...index.manifests, ...missing] })
}

/** The `entries` the index does not list. */
export function unlisted(index: ImageIndex, entries: readonly Descriptor[]): Descriptor[] {
  return entries.filter((entry) => !index.manifests.some((d) => d.digest === entry.digest))
}

export function filterReferrers(
  descriptors: readonly Descriptor[],
  artifactType: string | undefined,
): Descriptor[] {
  return descriptors.filter((d) => artifactType === undefined || d.artifactType === artifactType)
}

/** Reads a fallback index document; anything but an index is refused (the tag was used for something else). */
export function parseReferrersIndex(content: ManifestContent, where: string): ImageIndex {
  const parsed = parseManifest(content.bytes, content.mediaType, where)
  if (parsed.kind !== 'index') {
    throw new OciError(
      'OCI_MANIFEST_INVALID',
      `${where}: the referrers tag points at a ${parsed.mediaType}, not an index`,
      {
        hint: 'the sha256-<hex> tag is reserved for the referrers fallback; delete or rename what is there',
      },
    )
  }
  return parsed.index
}
