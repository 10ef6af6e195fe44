import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type Digest, formatPlatform, isPolyshipError, type Platform } from '@polyship/core'
import {
  type Descriptor,
  type ImageManifest,
  LayoutStore,
  MEDIA_TYPES,
  type OciStore,
  parseManifest,
  type RegistryClient,
} from '@polyship/oci'
import { ContainerError } from '../errors.ts'
import { type ImageConfigJson, parseImageConfig } from '../image/config-json.ts'
import type { BaseSpec } from './base-reference.ts'
import { readSmallBlob } from './small-blob.ts'

/** A base image's manifest for one platform, with its parsed config. */
export interface PlatformBase {
  readonly platform: Platform
  /** The base manifest: recorded as `org.opencontainers.image.base.digest`. */
  readonly digest: Digest
  /** Its layers, Docker gzip media types rewritten to the OCI ones (same bytes). */
  readonly layers: readonly Descriptor[]
  readonly config: ImageConfigJson
}

/** The base of an image, resolved for every platform it is built for. */
export type ResolvedBase =
  | { readonly kind: 'scratch' }
  | { readonly kind: 'static' }
  | {
      readonly kind: 'image'
      /** As written in config (no machine paths): `org.opencontainers.image.base.name`. */
      readonly name: string
      /** Where its blobs are read (or mounted) from. */
      readonly store: OciStore
      readonly platforms: readonly PlatformBase[]
    }

const DOCKER_LAYER_TYPES: Readonly<Record<string, string>> = {
  [MEDIA_TYPES.dockerLayerGzip]: MEDIA_TYPES.ociLayerGzip,
  'application/vnd.docker.image.rootfs.diff.tar': MEDIA_TYPES.ociLayer,
}

/**
 * Opens the base (a registry repository or an OCI layout) and picks the manifest of every
 * requested platform from its index; a single-platform base must match the one platform
 * asked for. CONTAINER_BASE_PLATFORM_MISSING lists what the base has.
 */
export async function resolveBase(
  spec: BaseSpec,
  platforms: readonly Platform[],
  options: { readonly client: RegistryClient; readonly where: string },
): Promise<ResolvedBase> {
  if (spec.kind === 'scratch' || spec.kind === 'static') return { kind: spec.kind }
  const { store, ref } = openBase(spec, options)
  try {
    const root = await store.resolve(ref)
    if (root === undefined) {
      throw new ContainerError(
        'CONTAINER_BASE_INVALID',
        `${options.where}: base ${spec.name} not found (${store.location})`,
        {
          hint:
            spec.kind === 'layout'
              ? `list the layout's tags (skopeo list-tags oci:${spec.dir}) or copy the base into it`
              : 'check the repository and tag; polyship reads registry credentials from docker config.json',
        },
      )
    }
    const content = await store.getManifest(root.digest)
    const parsed = parseManifest(content.bytes, content.mediaType, `${spec.name}@${root.digest}`)
    const out: PlatformBase[] = []
    if (parsed.kind === 'index') {
      const candidates = parsed.index.manifests.filter(
        (d) => d.platform !== undefined && d.platform.os !== 'unknown',
      )
      for (const platform of platforms) {
        const match = pickPlatform(candidates, platform)
        if (match === undefined)
          throw platformMissing(
            spec.name,
            platform,
            candidates.map((d) => d.platform!),
            options.where,
          )
        const manifest = await store.getManifest(match.digest)
        out.push(await platformBase(store, match.digest, manifest, platform, spec.name))
      }
    } else {
      const single = await platformBase(store, root.digest, content, undefined, spec.name)
      for (const platform of platforms) {
        if (!fits(single.platform, platform))
          throw platformMissing(spec.name, platform, [single.platform], options.where)
        out.push({ ...single, platform })
      }
    }
    return { kind: 'image', name: spec.name, store, platforms: out }
  } catch (error) {
    if (error instanceof ContainerError) throw error
    if (!isPolyshipError(error) && !isNetworkError(error)) throw error
    throw new ContainerError(
      'CONTAINER_BASE_INVALID',
      `${options.where}: cannot read base ${spec.name}: ${error.message}`,
      {
        cause: error,
        hint:
          spec.kind === 'registry'
            ? `no registry reachable? copy the base into an OCI layout once (skopeo copy docker://${spec.name} oci:DIR:TAG) and point ${options.where.split(': ').pop()} at oci:DIR:TAG`
            : ((isPolyshipError(error) ? error.hint : undefined) ?? 'rebuild the layout'),
      },
    )
  }
}

function openBase(
  spec: Extract<BaseSpec, { kind: 'layout' | 'registry' }>,
  options: { readonly client: RegistryClient; readonly where: string },
): { store: OciStore; ref: string } {
  if (spec.kind === 'registry') {
    const { reference } = spec
    return { store: options.client.repository(reference), ref: reference.digest ?? reference.tag ?? 'latest' }
  }
  if (!existsSync(join(spec.dir, 'oci-layout')) || !existsSync(join(spec.dir, 'index.json'))) {
    throw new ContainerError(
      'CONTAINER_BASE_INVALID',
      `${options.where}: base ${spec.name}: ${spec.dir} is not an OCI image layout`,
      {
        hint: 'an OCI layout has oci-layout, index.json and blobs/; create one with skopeo copy ... oci:DIR:TAG',
      },
    )
  }
  return { store: new LayoutStore(spec.dir), ref: spec.ref }
}

async function platformBase(
  store: OciStore,
  digest: Digest,
  content: { readonly bytes: Uint8Array; readonly mediaType: string },
  platform: Platform | undefined,
  name: string,
): Promise<PlatformBase> {
  const where = `base ${name}@${digest}`
  const parsed = parseManifest(content.bytes, content.mediaType, where)
  if (parsed.kind !== 'manifest') {
    throw new ContainerError('CONTAINER_BASE_INVALID', `${where}: a platform entry is itself an index`, {
      hint: 'use a base whose index lists image manifests',
    })
  }
  const manifest: ImageManifest = parsed.manifest
  const config = parseImageConfig(await readSmallBlob(store, manifest.config, where), `${where} config`)
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new ContainerError(
      'CONTAINER_BASE_INVALID',
      `${where}: ${manifest.layers.length} layers but ${config.rootfs.diff_ids.length} diff_ids`,
      {
        hint: 'the base image is damaged; pull or build it again',
      },
    )
  }
  const own: Platform = {
    os: config.os,
    architecture: config.architecture,
    ...(config.variant === undefined ? {} : { variant: config.variant }),
  }
  return {
    platform: platform ?? own,
    digest,
    layers: manifest.layers.map((layer) => {
      const mediaType = DOCKER_LAYER_TYPES[layer.mediaType] ?? layer.mediaType
      return {
        mediaType,
        digest: layer.digest,
        size: layer.size,
        ...(layer.urls === undefined ? {} : { urls: layer.urls }),
      }
    }),
    config,
  }
}

/** Exact match first; `linux/arm64` also takes an entry that says `v8`, as docker does. */
function pickPlatform(candidates: readonly Descriptor[], wanted: Platform): Descriptor | undefined {
  return (
    candidates.find((d) => fits(d.platform!, wanted, true)) ??
    candidates.find((d) => fits(d.platform!, wanted, false))
  )
}

function fits(have: Platform, wanted: Platform, exact = false): boolean {
  if (have.os !== wanted.os || have.architecture !== wanted.architecture) return false
  if ((have.variant ?? '') === (wanted.variant ?? '')) return true
  if (exact) return false
  return wanted.architecture === 'arm64' && (have.variant ?? 'v8') === (wanted.variant ?? 'v8')
}

function platformMissing(
  name: string,
  wanted: Platform,
  have: readonly Platform[],
  where: string,
): ContainerError {
  const listed = have.length === 0 ? 'no platforms' : have.map(formatPlatform).join(', ')
  return new ContainerError(
    'CONTAINER_BASE_PLATFORM_MISSING',
    `${where}: base ${name} has no ${formatPlatform(wanted)} image; it has ${listed}`,
    {
      hint: `build only for the platforms the base has (polyship.image.platforms), or pick a base that has ${formatPlatform(wanted)}`,
    },
  )
}

/** A failed connection or lookup (ENOTFOUND, ECONNREFUSED...): the registry is not reachable. */
function isNetworkError(error: unknown): error is Error {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string'
}
