import type { Platform } from '@polyship/core'
import { sha256 } from '@polyship/core'
import { type Descriptor, encodeManifest, MEDIA_TYPES, type OciStore } from '@polyship/oci'
import type { ContainerConfigJson } from '../image/config-json.ts'
import type { Layer } from '../layer/layer.ts'

/**
 * Pushes a test base's layers, then its config (one history line per layer, all at
 * `created`) and manifest for `platform`, written directly rather than through polyship's
 * composer so the bases the tests build on do not depend on the code under test. Returns the
 * manifest's descriptor with its platform, for the index.
 */
export async function pushBaseManifest(
  store: OciStore,
  options: {
    readonly platform: Platform
    readonly layers: readonly Layer[]
    readonly config: ContainerConfigJson
    readonly created: string
  },
): Promise<Descriptor> {
  const { platform, layers, created } = options
  for (const layer of layers) await store.pushBlob(layer.descriptor, { path: layer.file })
  const config = new TextEncoder().encode(
    JSON.stringify({
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant === undefined ? {} : { variant: platform.variant }),
      config: options.config,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((l) => ({ created, created_by: l.createdBy })),
    }),
  )
  const configDescriptor = { mediaType: MEDIA_TYPES.ociConfig, digest: sha256(config), size: config.length }
  await store.pushBlob(configDescriptor, config)
  const content = encodeManifest({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: configDescriptor,
    layers: layers.map((l) => l.descriptor),
  })
  const outcome = await store.putManifest(content)
  return { ...outcome.descriptor, platform }
}
