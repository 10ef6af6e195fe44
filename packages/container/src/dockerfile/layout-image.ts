import { type Digest, formatPlatform, type Platform, samePlatform } from '@polyship/core'
import {
  descriptorOf,
  encodeManifest,
  type LayoutStore,
  type ParsedManifest,
  parseManifest,
} from '@polyship/oci'
import { ContainerError } from '../errors.ts'
import type { BuiltImage, ImageBlob, PlatformManifest } from '../image/built-image.ts'
import { composeIndex } from '../image/compose.ts'
import { sortedRecord } from '../image/config-json.ts'

/**
 * Turns per-platform images that an external builder exported into an OCI layout into a
 * BuiltImage: each manifest gets polyship's annotations (keeping the builder's base.*),
 * blobs are read from the layout files, and a new index lists them in platform order. From
 * here a Dockerfile image takes the same tagging, attest and publish path as assembled ones.
 */
export async function layoutImage(
  refs: readonly { readonly platform: Platform; readonly store: LayoutStore; readonly ref: string }[],
  options: {
    readonly annotations: Readonly<Record<string, string>>
    readonly backend: BuiltImage['backend']
    readonly dispose: () => Promise<void>
  },
): Promise<BuiltImage> {
  const manifests: PlatformManifest[] = []
  const blobs = new Map<Digest, ImageBlob>()
  for (const { platform, ref, store } of refs) {
    const where = `${store.location}:${ref}`
    const parsed = await platformManifest(store, ref, platform, where)
    const { manifest } = parsed
    const kept = Object.fromEntries(
      Object.entries(manifest.annotations ?? {}).filter(([key]) =>
        key.startsWith('org.opencontainers.image.base.'),
      ),
    )
    const content = encodeManifest({
      schemaVersion: 2,
      mediaType: parsed.mediaType,
      config: manifest.config,
      layers: manifest.layers,
      annotations: sortedRecord({ ...options.annotations, ...kept }),
    })
    const base = kept['org.opencontainers.image.base.digest']
    manifests.push({
      platform,
      descriptor: descriptorOf(content),
      content,
      ...(base === undefined ? {} : { base: base as Digest }),
    })
    for (const blob of [manifest.config, ...manifest.layers]) {
      blobs.set(blob.digest, { descriptor: blob, source: { path: store.blobPath(blob.digest) } })
    }
  }
  const index = composeIndex(manifests, options.annotations)
  return {
    index,
    manifests,
    blobs: [...blobs.values()],
    annotations: options.annotations,
    backend: options.backend,
    dispose: options.dispose,
  }
}

/** The image manifest `ref` names, or the child for `platform` when it names an index. */
async function platformManifest(
  store: LayoutStore,
  ref: string,
  platform: Platform,
  where: string,
): Promise<Extract<ParsedManifest, { kind: 'manifest' }>> {
  const exported = await store.getManifest(ref)
  const parsed = parseManifest(exported.bytes, exported.mediaType, where)
  if (parsed.kind === 'manifest') return parsed
  const child = parsed.index.manifests.find(
    (d) => d.platform !== undefined && samePlatform(d.platform, platform),
  )
  if (child === undefined) {
    throw new ContainerError(
      'CONTAINER_BUILD_FAILED',
      `${where}: the builder exported no ${formatPlatform(platform)} image`,
      {
        hint: 'check the Dockerfile builds for that platform (FROM --platform, RUN on a foreign architecture needs emulation)',
      },
    )
  }
  return platformManifest(store, child.digest, platform, where)
}
