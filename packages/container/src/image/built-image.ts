import { rm } from 'node:fs/promises'
import type { Artifact, Digest, Platform } from '@polyship/core'
import type { BlobSource, Descriptor, ManifestContent, OciStore } from '@polyship/oci'

/** A blob the image needs in its destination, and where to read it. */
export interface ImageBlob {
  readonly descriptor: Descriptor
  readonly source: BlobSource
  /** The store it comes from (a base image), so a registry can mount it instead of re-uploading. */
  readonly origin?: OciStore
}

/** One platform's manifest of a built image. */
export interface PlatformManifest {
  readonly platform: Platform
  readonly descriptor: Descriptor
  readonly content: ManifestContent
  /** The base manifest it was built on, when it has one. */
  readonly base?: Digest
}

/**
 * A multi-platform image built but not yet published: its index, manifests, and every
 * blob with where to read it. Digests are final: sign or attest `index.descriptor.digest`
 * before publishing. Holds temp files until `dispose()`.
 */
export interface BuiltImage {
  readonly index: { readonly descriptor: Descriptor; readonly content: ManifestContent }
  readonly manifests: readonly PlatformManifest[]
  /** Unique by digest, in push order (layers and configs; manifests are pushed separately). */
  readonly blobs: readonly ImageBlob[]
  /** Annotations of the index (created, source, revision, version, base.name...). */
  readonly annotations: Readonly<Record<string, string>>
  /** How it was made. */
  readonly backend: 'assembled' | 'buildah' | 'buildx'
  /**
   * Third-party packages the image holds besides the project's own binaries and wheels: the
   * Python dependencies uv resolved (per platform) and the production npm dependencies pnpm
   * deployed, for the image's SBOM. Empty for Dockerfile builds (what they install is theirs).
   */
  readonly packages?: readonly InstalledPackage[]
  /** Removes the build's temp files; the image cannot be published afterwards. */
  dispose(): Promise<void>
}

/** A package installed into an image, by its ecosystem's name and exact version. */
export interface InstalledPackage {
  readonly ecosystem: 'pypi' | 'npm'
  readonly name: string
  readonly version: string
  /** `os/arch[/variant]` when it was resolved for one platform (Python wheels), else every platform. */
  readonly platform?: string
}

/** A disposer that removes `dir` once, however often it is called. */
export function disposerOf(dir: string): () => Promise<void> {
  let done: Promise<void> | undefined
  return () => {
    done ??= rm(dir, { recursive: true, force: true })
    return done
  }
}

/**
 * The release-record artifacts of an image: the index (`image-index`) and one `image` per
 * platform manifest, named after the repository.
 */
export function imageArtifacts(
  image: BuiltImage,
  context: { readonly project: string; readonly version: string; readonly repository: string },
): Artifact[] {
  const common = { name: context.repository, project: context.project, version: context.version }
  return [
    {
      kind: 'image-index',
      ...common,
      digest: image.index.descriptor.digest,
      size: image.index.descriptor.size,
      mediaType: image.index.descriptor.mediaType,
      extra: { platforms: image.manifests.map((m) => m.platform), backend: image.backend },
    },
    ...image.manifests.map(
      (m): Artifact => ({
        kind: 'image',
        ...common,
        platform: m.platform,
        digest: m.descriptor.digest,
        size: m.descriptor.size,
        mediaType: m.descriptor.mediaType,
        ...(m.base === undefined ? {} : { extra: { baseDigest: m.base } }),
      }),
    ),
  ]
}
