import type { Digest } from '@polyship/core'
import { ContainerError } from '../errors.ts'

/** Docker-compatible healthcheck (durations in nanoseconds), as `docker inspect` shows it. */
export interface HealthcheckJson {
  readonly Test: readonly string[]
  readonly Interval?: number
  readonly Timeout?: number
  readonly StartPeriod?: number
  readonly Retries?: number
}

/** The `config` object of an image config: how a container of the image starts. */
export interface ContainerConfigJson {
  readonly User?: string
  readonly ExposedPorts?: Readonly<Record<string, Record<string, never>>>
  readonly Env?: readonly string[]
  readonly Entrypoint?: readonly string[] | null
  readonly Cmd?: readonly string[] | null
  readonly Healthcheck?: HealthcheckJson
  readonly Volumes?: Readonly<Record<string, Record<string, never>>>
  readonly WorkingDir?: string
  readonly Labels?: Readonly<Record<string, string>>
  readonly StopSignal?: string
  readonly [other: string]: unknown
}

export interface HistoryJson {
  readonly created?: string
  readonly created_by?: string
  readonly author?: string
  readonly comment?: string
  readonly empty_layer?: boolean
}

/** An OCI image config (`application/vnd.oci.image.config.v1+json`). */
export interface ImageConfigJson {
  readonly created?: string
  readonly author?: string
  readonly architecture: string
  readonly os: string
  readonly variant?: string
  readonly config?: ContainerConfigJson
  readonly rootfs: { readonly type: 'layers'; readonly diff_ids: readonly Digest[] }
  readonly history?: readonly HistoryJson[]
}

/**
 * Reads an image config leniently: the fields polyship builds on must be well-typed, the
 * rest is carried over as written. Returns undefined fields for what the base lacks.
 */
export function parseImageConfig(bytes: Uint8Array, where: string): ImageConfigJson {
  let doc: unknown
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes))
  } catch (cause) {
    throw new ContainerError('CONTAINER_BASE_INVALID', `${where}: image config is not JSON`, {
      cause,
      hint: 'the base image is damaged; pull or build it again',
    })
  }
  const record = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>
  const rootfs = record.rootfs as { diff_ids?: unknown } | undefined
  const diffIds = Array.isArray(rootfs?.diff_ids) ? (rootfs.diff_ids as Digest[]) : []
  const config =
    typeof record.config === 'object' && record.config !== null
      ? (record.config as ContainerConfigJson)
      : undefined
  const history = Array.isArray(record.history) ? (record.history as HistoryJson[]) : undefined
  return {
    ...(typeof record.created === 'string' ? { created: record.created } : {}),
    architecture: typeof record.architecture === 'string' ? record.architecture : '',
    os: typeof record.os === 'string' ? record.os : '',
    ...(typeof record.variant === 'string' ? { variant: record.variant } : {}),
    ...(config === undefined ? {} : { config }),
    rootfs: { type: 'layers', diff_ids: diffIds },
    ...(history === undefined ? {} : { history }),
  }
}

/** Compact JSON; callers build objects in a fixed key order so the bytes (and digest) are stable. */
export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value))
}

/** A record with its keys sorted, so the same map gives the same bytes whatever order it was written in. */
export function sortedRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
