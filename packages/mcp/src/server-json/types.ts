import type { Digest } from '@polyship/core'

export type Transport =
  | { readonly type: 'stdio' }
  | { readonly type: 'streamable-http' | 'sse'; readonly url: string }

export interface KeyValueInput {
  readonly name: string
  readonly description?: string
  readonly isRequired?: boolean
  readonly isSecret?: boolean
  readonly default?: string
}

/** One entry of `packages`: how an MCP client fetches and runs the server. */
export interface ServerPackage {
  readonly registryType: 'npm' | 'pypi' | 'oci'
  readonly registryBaseUrl?: string
  /** The package name (npm, PyPI), or the image reference with its digest (OCI). */
  readonly identifier: string
  readonly version?: string
  readonly fileSha256?: string
  readonly runtimeHint?: string
  readonly transport: Transport
  readonly environmentVariables?: readonly KeyValueInput[]
}

/** A binary archive the release publishes, listed under `_meta` with its sha256 (it is not an MCPB bundle). */
export interface ServerArchive {
  readonly name: string
  readonly sha256: string
  readonly platform?: string
  readonly url?: string
}

/** The `_meta` key the schema reserves for what a publisher adds. */
export const PUBLISHER_META = 'io.modelcontextprotocol.registry/publisher-provided'

export interface ServerJson {
  readonly $schema: string
  readonly name: string
  readonly description: string
  readonly title?: string
  readonly version: string
  readonly websiteUrl?: string
  readonly repository?: { readonly url: string; readonly source: string }
  readonly packages: readonly ServerPackage[]
  readonly _meta?: {
    readonly [PUBLISHER_META]: { readonly tool: 'polyship'; readonly archives: readonly ServerArchive[] }
  }
}

/** A rendered server.json: the value and the exact bytes that are signed and published. */
export interface RenderedServerJson {
  readonly value: ServerJson
  readonly bytes: Uint8Array
  readonly digest: Digest
}
