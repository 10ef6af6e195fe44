import { type Digest, type Platform, sha256 } from '@polyship/core'
import {
  type Descriptor,
  descriptorOf,
  encodeManifest,
  type ManifestContent,
  MEDIA_TYPES,
} from '@polyship/oci'
import type { PlatformBase } from '../base/resolve-base.ts'
import type { Layer } from '../layer/layer.ts'
import {
  type ContainerConfigJson,
  encodeJson,
  type HealthcheckJson,
  type HistoryJson,
  sortedRecord,
} from './config-json.ts'

/** How containers of the image start, already merged with the base's config. */
export interface RuntimeConfig {
  readonly user: string
  readonly env: readonly string[]
  readonly entrypoint?: readonly string[]
  readonly cmd?: readonly string[]
  readonly workdir?: string
  readonly ports: readonly string[]
  readonly labels: Readonly<Record<string, string>>
  readonly healthcheck?: HealthcheckJson
}

/** One platform's image, composed: config blob and manifest, ready to push. */
export interface ComposedManifest {
  readonly platform: Platform
  readonly config: { readonly descriptor: Descriptor; readonly bytes: Uint8Array }
  readonly content: ManifestContent
  readonly descriptor: Descriptor
  /** The base manifest it was built on, when it has one. */
  readonly base?: Digest
}

/**
 * The image config and manifest of one platform: the base's layers and history, then ours
 * (history line per layer, `created` = SOURCE_DATE_EPOCH), the base's container config with
 * ours laid over it. Keys are written in a fixed order so equal inputs give equal bytes.
 */
export function composeManifest(options: {
  readonly platform: Platform
  readonly base: PlatformBase | undefined
  readonly baseName: string | undefined
  readonly layers: readonly Layer[]
  readonly runtime: RuntimeConfig
  readonly created: string
  readonly annotations: Readonly<Record<string, string>>
}): ComposedManifest {
  const { platform, base, layers, runtime, created } = options
  const inherited: ContainerConfigJson = base?.config.config ?? {}
  const { Entrypoint: _e, Cmd: _c, ...rest } = inherited
  const container: ContainerConfigJson = {
    ...rest,
    User: runtime.user,
    ...(runtime.ports.length > 0 || inherited.ExposedPorts !== undefined
      ? {
          ExposedPorts: sortedRecord({
            ...inherited.ExposedPorts,
            ...Object.fromEntries(runtime.ports.map((p) => [p, {}])),
          }),
        }
      : {}),
    Env: runtime.env,
    ...(runtime.entrypoint === undefined ? {} : { Entrypoint: runtime.entrypoint }),
    ...(runtime.cmd === undefined ? {} : { Cmd: runtime.cmd }),
    ...(runtime.workdir === undefined ? {} : { WorkingDir: runtime.workdir }),
    ...(Object.keys(runtime.labels).length === 0 ? {} : { Labels: sortedRecord(runtime.labels) }),
    ...(runtime.healthcheck === undefined ? {} : { Healthcheck: runtime.healthcheck }),
  }
  const history: HistoryJson[] = [
    ...(base?.config.history ?? []),
    ...layers.map((layer) => ({ created, created_by: layer.createdBy, comment: 'polyship' })),
  ]
  const configBytes = encodeJson({
    created,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    config: container,
    rootfs: {
      type: 'layers',
      diff_ids: [...(base?.config.rootfs.diff_ids ?? []), ...layers.map((l) => l.diffId)],
    },
    history,
  })
  const configDescriptor: Descriptor = {
    mediaType: MEDIA_TYPES.ociConfig,
    digest: sha256(configBytes),
    size: configBytes.length,
  }
  const annotations = sortedRecord({
    ...options.annotations,
    ...(base === undefined || options.baseName === undefined
      ? {}
      : {
          'org.opencontainers.image.base.name': options.baseName,
          'org.opencontainers.image.base.digest': base.digest,
        }),
  })
  const content = encodeManifest({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: configDescriptor,
    layers: [...(base?.layers ?? []), ...layers.map((l) => l.descriptor)],
    annotations,
  })
  return {
    platform,
    config: { descriptor: configDescriptor, bytes: configBytes },
    content,
    descriptor: descriptorOf(content),
    ...(base === undefined ? {} : { base: base.digest }),
  }
}

/** The index over the platform manifests, in the configured platform order. */
export function composeIndex(
  manifests: readonly { readonly platform: Platform; readonly descriptor: Descriptor }[],
  annotations: Readonly<Record<string, string>>,
): { readonly content: ManifestContent; readonly descriptor: Descriptor } {
  const content = encodeManifest({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: manifests.map(({ platform, descriptor }) => ({
      mediaType: descriptor.mediaType,
      digest: descriptor.digest,
      size: descriptor.size,
      platform: {
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant === undefined ? {} : { variant: platform.variant }),
      } as Platform,
    })),
    annotations: sortedRecord(annotations),
  })
  return { content, descriptor: descriptorOf(content) }
}
