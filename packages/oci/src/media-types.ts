/** Media types polyship reads and writes. */
export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const

export type ManifestMediaType =
  | typeof MEDIA_TYPES.ociManifest
  | typeof MEDIA_TYPES.ociIndex
  | typeof MEDIA_TYPES.dockerManifest
  | typeof MEDIA_TYPES.dockerManifestList

export const MANIFEST_MEDIA_TYPES: readonly ManifestMediaType[] = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerManifestList,
]

/** The Accept header for manifest GET/HEAD: distribution 2.8 answers 404 for an OCI manifest unless OCI types are listed. */
export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ')

export function isManifestMediaType(value: unknown): value is ManifestMediaType {
  return typeof value === 'string' && (MANIFEST_MEDIA_TYPES as readonly string[]).includes(value)
}

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerManifestList
}

/** Annotation holding a tag on an index.json entry of an OCI layout. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name'
