/** An environment variable the server reads, as MCP clients are told to set it. */
export interface McpEnvironmentVariable {
  readonly name: string
  readonly description?: string
  readonly isRequired?: boolean
  readonly isSecret?: boolean
  readonly default?: string
}

/** How a client talks to the server a package runs: stdio (the default) or HTTP on a local URL. */
export type McpTransport =
  | { readonly type: 'stdio' }
  | { readonly type: 'streamable-http' | 'sse'; readonly url: string }

/**
 * `polyship.mcp`: the project is an MCP server. polyship writes one `server.json` (the MCP
 * registry's format) listing every package this project releases (npm, PyPI, OCI image by
 * digest, binary archives), signs it like any artifact and publishes it to the
 * `mcpRegistry` destination. The server.json schema is the authority on the values
 * (a `description` of at most 100 characters, a `name` with one `/`): a value it refuses is
 * MCP_SERVER_JSON_INVALID before anything is built.
 */
export interface McpConfig {
  /** The server's name in reverse-DNS form, `io.github.<owner>/<server>`. */
  readonly name: string
  readonly description: string
  readonly title?: string
  readonly websiteUrl?: string
  /** Default `{ "type": "stdio" }`. */
  readonly transport?: McpTransport
  readonly environmentVariables?: readonly McpEnvironmentVariable[]
}

export const mcpSchema = {
  type: 'object',
  required: ['name', 'description'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string', minLength: 1 },
    title: { type: 'string', minLength: 1 },
    websiteUrl: { type: 'string', minLength: 1 },
    transport: {
      oneOf: [
        {
          type: 'object',
          required: ['type'],
          additionalProperties: false,
          properties: { type: { const: 'stdio' } },
        },
        {
          type: 'object',
          required: ['type', 'url'],
          additionalProperties: false,
          properties: { type: { enum: ['streamable-http', 'sse'] }, url: { type: 'string', minLength: 1 } },
        },
      ],
    },
    environmentVariables: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1 },
          description: { type: 'string' },
          isRequired: { type: 'boolean' },
          isSecret: { type: 'boolean' },
          default: { type: 'string' },
        },
      },
    },
  },
} as const
