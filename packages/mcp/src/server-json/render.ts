import { type McpConfig, sha256 } from '@polyship/core'
import { SERVER_SCHEMA_URL } from './schema.ts'
import {
  PUBLISHER_META,
  type RenderedServerJson,
  type ServerArchive,
  type ServerJson,
  type ServerPackage,
  type Transport,
} from './types.ts'

/** A package the project releases, before the transport and environment of the config are added. */
export type ReleasedPackage =
  | {
      readonly registryType: 'npm'
      readonly name: string
      readonly version: string
      readonly registryBaseUrl?: string
      /** Hex sha256 of the tarball. */
      readonly sha256: string
    }
  | {
      readonly registryType: 'pypi'
      readonly name: string
      readonly version: string
      readonly registryBaseUrl?: string
    }
  /** `reference` is `<registry>/<repository>:<tag>@<digest>`. */
  | { readonly registryType: 'oci'; readonly reference: string }

export interface ServerJsonInput {
  readonly config: McpConfig
  readonly version: string
  /** The source repository URL (polyship.json `repository`), recorded when its host is known. */
  readonly repository?: string
  readonly packages: readonly ReleasedPackage[]
  readonly archives?: readonly ServerArchive[]
}

const RUNTIME_HINTS = { npm: 'npx', pypi: 'uvx', oci: 'docker' } as const

function repositoryOf(url: string | undefined): ServerJson['repository'] {
  if (url === undefined) return undefined
  const host = URL.canParse(url) ? new URL(url).hostname : undefined
  const source = host === 'github.com' ? 'github' : host === 'gitlab.com' ? 'gitlab' : undefined
  return source === undefined ? undefined : { url: url.replace(/\.git$/, ''), source }
}

function packageEntry(released: ReleasedPackage, transport: Transport, config: McpConfig): ServerPackage {
  const shared = {
    runtimeHint: RUNTIME_HINTS[released.registryType],
    transport,
    ...(config.environmentVariables?.length ? { environmentVariables: config.environmentVariables } : {}),
  }
  switch (released.registryType) {
    case 'npm':
      return {
        registryType: 'npm',
        ...(released.registryBaseUrl ? { registryBaseUrl: released.registryBaseUrl } : {}),
        identifier: released.name,
        version: released.version,
        fileSha256: released.sha256,
        ...shared,
      }
    case 'pypi':
      return {
        registryType: 'pypi',
        ...(released.registryBaseUrl ? { registryBaseUrl: released.registryBaseUrl } : {}),
        identifier: released.name,
        version: released.version,
        ...shared,
      }
    case 'oci':
      return { registryType: 'oci', identifier: released.reference, ...shared }
  }
}

/**
 * The server.json of one release: every package it publishes, in a fixed order (npm, PyPI,
 * OCI), so the same release renders the same bytes (what reconciling with a registry
 * compares). No timestamps: the registry adds its own.
 */
export function renderServerJson(input: ServerJsonInput): RenderedServerJson {
  const { config } = input
  const transport: Transport = config.transport ?? { type: 'stdio' }
  const order = { npm: 0, pypi: 1, oci: 2 }
  const packages = [...input.packages]
    .sort((a, b) => order[a.registryType] - order[b.registryType])
    .map((p) => packageEntry(p, transport, config))
  const repository = repositoryOf(input.repository)
  const archives = [...(input.archives ?? [])].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )
  const value: ServerJson = {
    $schema: SERVER_SCHEMA_URL,
    name: config.name,
    description: config.description,
    ...(config.title ? { title: config.title } : {}),
    version: input.version,
    ...(config.websiteUrl ? { websiteUrl: config.websiteUrl } : {}),
    ...(repository ? { repository } : {}),
    packages,
    ...(archives.length > 0 ? { _meta: { [PUBLISHER_META]: { tool: 'polyship' as const, archives } } } : {}),
  }
  const bytes = new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`)
  return { value, bytes, digest: sha256(bytes) }
}

/** Keys sorted at every level: two server.json values compare equal whatever order their keys came in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
