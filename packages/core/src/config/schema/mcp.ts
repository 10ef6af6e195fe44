import type { ConfigOf } from './config-type.ts'

export const mcpSchema = {
  title: 'polyship.mcp',
  description:
    "The project is an MCP server. polyship writes one `server.json` (the MCP registry's format) listing every package this project releases (npm, PyPI, OCI image by digest, binary archives), signs it like any artifact and publishes it to the `mcpRegistry` destination. The server.json schema is the authority on the values (a `description` of at most 100 characters, a `name` with one `/`): a value it refuses is MCP_SERVER_JSON_INVALID before anything is built.",
  type: 'object',
  required: ['name', 'description'],
  additionalProperties: false,
  properties: {
    name: {
      description: "The server's name in reverse-DNS form, `io.github.<owner>/<server>`.",
      type: 'string',
      minLength: 1,
    },
    description: {
      description: 'What the server does (at most 100 characters).',
      type: 'string',
      minLength: 1,
    },
    title: { description: 'A display name.', type: 'string', minLength: 1 },
    websiteUrl: { description: "The server's home page.", type: 'string', minLength: 1 },
    transport: {
      description:
        'How a client talks to the server a package runs: stdio (the default) or HTTP on a local URL. Default `{ "type": "stdio" }`.',
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
      description: 'Environment variables the server reads, as MCP clients are told to set them.',
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

/** `polyship.mcp`: the project is an MCP server, described by a published server.json. */
export type McpConfig = ConfigOf<typeof mcpSchema>
/** How a client talks to the server a package runs: stdio (the default) or HTTP on a local URL. */
export type McpTransport = NonNullable<McpConfig['transport']>
/** An environment variable the server reads, as MCP clients are told to set it. */
export type McpEnvironmentVariable = NonNullable<McpConfig['environmentVariables']>[number]
