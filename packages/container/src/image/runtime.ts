import type { ImageConfig, Project } from '@polyship/core'
import type { PlatformBase, ResolvedBase } from '../base/resolve-base.ts'
import { STATIC_ENV } from '../base/static-base.ts'
import type { SourcedEntries } from '../layer/project-files.ts'
import type { RuntimeConfig } from './compose.ts'
import type { HealthcheckJson } from './config-json.ts'
import { mergeEnv } from './settings.ts'

const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']

/** What the release says about the image, for annotations and labels. */
export interface ImageMetadata {
  readonly created: string
  readonly project: Pick<Project, 'name' | 'version' | 'description' | 'license'>
  readonly source?: string
  readonly revision?: string
}

/** `org.opencontainers.image.*` annotations of the manifests and the index (base.* are added per manifest). */
export function imageAnnotations(meta: ImageMetadata): Record<string, string> {
  const { project } = meta
  return {
    'org.opencontainers.image.created': meta.created,
    ...(project.description === undefined
      ? {}
      : { 'org.opencontainers.image.description': project.description }),
    ...(project.license === undefined ? {} : { 'org.opencontainers.image.licenses': project.license }),
    ...(meta.revision === undefined ? {} : { 'org.opencontainers.image.revision': meta.revision }),
    ...(meta.source === undefined ? {} : { 'org.opencontainers.image.source': meta.source }),
    'org.opencontainers.image.title': project.name,
    'org.opencontainers.image.version': project.version,
  }
}

/**
 * How containers start, Docker's way: the base's config with ours over it. A configured
 * entrypoint resets the base's cmd unless cmd is configured too; with no entrypoint or cmd
 * anywhere and exactly one binary, that binary is the entrypoint.
 */
export function runtimeConfig(options: {
  readonly config: ImageConfig
  readonly baseKind: ResolvedBase['kind']
  readonly base: PlatformBase | undefined
  readonly binaries: SourcedEntries
  readonly user: string
  readonly healthcheck: HealthcheckJson | undefined
  readonly labels: Readonly<Record<string, string>>
}): RuntimeConfig {
  const { config } = options
  const inherited = options.base?.config.config ?? {}
  const baseEnv =
    options.base !== undefined
      ? (inherited.Env ?? [])
      : options.baseKind === 'static'
        ? STATIC_ENV
        : DEFAULT_ENV
  const baseEntrypoint = nonEmpty(inherited.Entrypoint)
  const baseCmd = nonEmpty(inherited.Cmd)
  const soleBinary =
    options.binaries.entries.length === 1 &&
    baseEntrypoint === undefined &&
    baseCmd === undefined &&
    config.cmd === undefined
      ? [`/${options.binaries.entries[0]!.path}`]
      : undefined
  const entrypoint = config.entrypoint ?? baseEntrypoint ?? soleBinary
  const cmd = config.cmd ?? (config.entrypoint === undefined ? baseCmd : undefined)
  const workdir = config.workdir ?? (inherited.WorkingDir === '' ? undefined : inherited.WorkingDir)
  const healthcheck = options.healthcheck ?? inherited.Healthcheck
  return {
    user: options.user,
    env: mergeEnv(baseEnv, config.env ?? {}),
    ...(entrypoint === undefined ? {} : { entrypoint }),
    ...(cmd === undefined ? {} : { cmd }),
    ...(workdir === undefined ? {} : { workdir }),
    ports: (config.ports ?? []).map((port) => `${port}/tcp`),
    labels: { ...inherited.Labels, ...options.labels, ...config.labels },
    ...(healthcheck === undefined ? {} : { healthcheck }),
  }
}

function nonEmpty(value: readonly string[] | null | undefined): readonly string[] | undefined {
  return value === null || value === undefined || value.length === 0 ? undefined : value
}
