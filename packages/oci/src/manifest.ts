import { type Digest, isDigest, type Platform, sha256 } from '@polyship/core'
import { OciError } from './errors.ts'
import { isIndexMediaType, isManifestMediaType, type ManifestMediaType, MEDIA_TYPES } from './media-types.ts'

/** Points at content by digest: a blob, a manifest or an index. */
export interface Descriptor {
  readonly mediaType: string
  readonly digest: Digest
  readonly size: number
  readonly artifactType?: string
  readonly annotations?: Readonly<Record<string, string>>
  readonly platform?: Platform
  readonly urls?: readonly string[]
}

export interface ImageManifest {
  readonly schemaVersion: 2
  readonly mediaType?: string
  readonly artifactType?: string
  readonly config: Descriptor
  readonly layers: readonly Descriptor[]
  readonly subject?: Descriptor
  readonly annotations?: Readonly<Record<string, string>>
}

export interface ImageIndex {
  readonly schemaVersion: 2
  readonly mediaType?: string
  readonly artifactType?: string
  readonly manifests: readonly Descriptor[]
  readonly subject?: Descriptor
  readonly annotations?: Readonly<Record<string, string>>
}

/** Manifest bytes exactly as stored (their digest is the manifest's identity) and their media type. */
export interface ManifestContent {
  readonly bytes: Uint8Array
  readonly mediaType: ManifestMediaType
}

export type ParsedManifest =
  | { readonly kind: 'manifest'; readonly mediaType: ManifestMediaType; readonly manifest: ImageManifest }
  | { readonly kind: 'index'; readonly mediaType: ManifestMediaType; readonly index: ImageIndex }

/** Registries must accept manifests up to 4 MiB and may refuse larger ones; we refuse them before uploading. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024

/** The empty JSON blob `{}` used as config of artifacts that have none. */
export const EMPTY_JSON = new Uint8Array([0x7b, 0x7d])
export const EMPTY_DESCRIPTOR: Descriptor = {
  mediaType: MEDIA_TYPES.ociEmpty,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
}

export function descriptorOf(content: ManifestContent): Descriptor {
  return { mediaType: content.mediaType, digest: sha256(content.bytes), size: content.bytes.length }
}

/** Serializes a manifest or index (compact JSON, keys in the order given) and types it. */
export function encodeManifest(value: ImageManifest | ImageIndex): ManifestContent {
  const mediaType = value.mediaType ?? ('manifests' in value ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest)
  if (!isManifestMediaType(mediaType)) throw new Error(`not a manifest media type: ${mediaType}`)
  return { bytes: new TextEncoder().encode(JSON.stringify(value)), mediaType }
}

function bad(where: string, problem: string): OciError {
  return new OciError('OCI_MANIFEST_INVALID', `${where}: ${problem}`, {
    hint: 'manifests follow the OCI image spec: schemaVersion 2, config + layers or manifests, descriptors with mediaType, digest, size',
  })
}

export function checkManifestSize(size: number, where: string): void {
  if (size > MAX_MANIFEST_BYTES) {
    throw new OciError(
      'OCI_MANIFEST_TOO_LARGE',
      `${where}: manifest is ${size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit registries guarantee`,
      {
        hint: 'move large data into a blob (a layer) and reference it by descriptor; keep annotations short',
      },
    )
  }
}

/**
 * Parses and checks manifest bytes. `declared` is the media type from a Content-Type
 * header or caller; when the document names its own `mediaType`, both must agree.
 */
export function parseManifest(
  bytes: Uint8Array,
  declared: string | undefined,
  where: string,
): ParsedManifest {
  checkManifestSize(bytes.length, where)
  let doc: unknown
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (error) {
    throw new OciError('OCI_MANIFEST_INVALID', `${where}: manifest is not UTF-8 JSON`, {
      hint: 'a manifest is a JSON document; check that the right bytes were given',
      cause: error,
    })
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw bad(where, 'manifest is not a JSON object')
  const record = doc as Record<string, unknown>
  if (record.schemaVersion !== 2)
    throw bad(where, `schemaVersion is ${JSON.stringify(record.schemaVersion)}, expected 2`)
  const own = record.mediaType
  if (own !== undefined && declared !== undefined && own !== declared && isManifestMediaType(declared)) {
    throw bad(where, `mediaType "${String(own)}" differs from the declared "${declared}"`)
  }
  const mediaType =
    own ?? declared ?? ('manifests' in record ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest)
  if (!isManifestMediaType(mediaType)) throw bad(where, `"${String(mediaType)}" is not a manifest media type`)
  const subject =
    record.subject === undefined ? undefined : parseDescriptor(record.subject, `${where} subject`)
  const common = {
    ...(typeof record.artifactType === 'string' ? { artifactType: record.artifactType } : {}),
    ...(subject === undefined ? {} : { subject }),
    ...(isStringMap(record.annotations) ? { annotations: record.annotations } : {}),
  }
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(record.manifests)) throw bad(where, 'an index needs a "manifests" array')
    const manifests = record.manifests.map((d, i) => parseDescriptor(d, `${where} manifests[${i}]`))
    return { kind: 'index', mediaType, index: { schemaVersion: 2, mediaType, manifests, ...common } }
  }
  if (!Array.isArray(record.layers)) throw bad(where, 'a manifest needs a "layers" array')
  const config = parseDescriptor(record.config, `${where} config`)
  const layers = record.layers.map((d, i) => parseDescriptor(d, `${where} layers[${i}]`))
  return { kind: 'manifest', mediaType, manifest: { schemaVersion: 2, mediaType, config, layers, ...common } }
}

export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (typeof value !== 'object' || value === null) throw bad(where, 'descriptor is not an object')
  const d = value as Record<string, unknown>
  if (typeof d.mediaType !== 'string' || d.mediaType === '') throw bad(where, 'descriptor has no mediaType')
  if (!isDigest(d.digest))
    throw bad(where, `descriptor digest ${JSON.stringify(d.digest)} is not a sha256 digest`)
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw bad(where, `descriptor size ${JSON.stringify(d.size)} is not a non-negative integer`)
  }
  const platform = d.platform as Record<string, unknown> | undefined
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(typeof d.artifactType === 'string' ? { artifactType: d.artifactType } : {}),
    ...(isStringMap(d.annotations) ? { annotations: d.annotations } : {}),
    ...(typeof platform?.os === 'string' && typeof platform.architecture === 'string'
      ? {
          platform: {
            os: platform.os,
            architecture: platform.architecture,
            ...(typeof platform.variant === 'string' ? { variant: platform.variant } : {}),
          },
        }
      : {}),
    ...(Array.isArray(d.urls) ? { urls: d.urls.filter((u): u is string => typeof u === 'string') } : {}),
  }
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  )
}

/** What a manifest points at: its config and layers, or an index's manifests. */
export function childrenOf(parsed: ParsedManifest): readonly Descriptor[] {
  return parsed.kind === 'index'
    ? parsed.index.manifests
    : [parsed.manifest.config, ...parsed.manifest.layers]
}

export function subjectOf(parsed: ParsedManifest): Descriptor | undefined {
  return parsed.kind === 'index' ? parsed.index.subject : parsed.manifest.subject
}

/**
 * A referrer (signature, SBOM, attestation) pointing at `subject`: an empty config, the
 * given layers, and `artifactType` saying what it is, as cosign 3 and oras write them.
 */
export function referrerManifest(options: {
  readonly subject: Descriptor
  readonly artifactType: string
  readonly layers: readonly Descriptor[]
  readonly annotations?: Readonly<Record<string, string>>
}): ManifestContent {
  return encodeManifest({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    artifactType: options.artifactType,
    config: EMPTY_DESCRIPTOR,
    layers: options.layers,
    subject: {
      mediaType: options.subject.mediaType,
      digest: options.subject.digest,
      size: options.subject.size,
    },
    ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
  })
}
