/**
 * The server.json schema version polyship writes and validates against. Moving to a newer
 * one is a deliberate change: the URL and `serverJsonSchema` change together.
 */
export const SERVER_SCHEMA_URL =
  'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json'

/**
 * Our own JSON schema (draft-07) implementing the published 2025-12-11 `ServerDetail`: the
 * same required fields, limits and patterns for everything polyship writes (name, description,
 * version, packages with their transport, repository, remotes, `_meta`). No npm package ships
 * the official file, and nothing may be downloaded at run time, so it lives here.
 */
export const serverJsonSchema = {
  $id: SERVER_SCHEMA_URL,
  type: 'object',
  required: ['name', 'description', 'version'],
  definitions: {
    Input: {
      type: 'object',
      properties: {
        description: { type: 'string' },
        isRequired: { type: 'boolean' },
        isSecret: { type: 'boolean' },
        format: { enum: ['string', 'number', 'boolean', 'filepath'] },
        default: { type: 'string' },
        placeholder: { type: 'string' },
        value: { type: 'string' },
        choices: { type: 'array', items: { type: 'string' } },
      },
    },
    KeyValueInput: {
      allOf: [
        { $ref: '#/definitions/Input' },
        { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      ],
    },
    StdioTransport: {
      type: 'object',
      required: ['type'],
      properties: { type: { enum: ['stdio'] } },
    },
    StreamableHttpTransport: {
      type: 'object',
      required: ['type', 'url'],
      properties: {
        type: { enum: ['streamable-http'] },
        url: { type: 'string', pattern: '^https?://[^\\s]+$' },
        headers: { type: 'array', items: { $ref: '#/definitions/KeyValueInput' } },
      },
    },
    SseTransport: {
      type: 'object',
      required: ['type', 'url'],
      properties: {
        type: { enum: ['sse'] },
        url: { type: 'string', pattern: '^https?://[^\\s]+$' },
        headers: { type: 'array', items: { $ref: '#/definitions/KeyValueInput' } },
      },
    },
    LocalTransport: {
      anyOf: [
        { $ref: '#/definitions/StdioTransport' },
        { $ref: '#/definitions/StreamableHttpTransport' },
        { $ref: '#/definitions/SseTransport' },
      ],
    },
    Package: {
      type: 'object',
      required: ['registryType', 'identifier', 'transport'],
      properties: {
        registryType: { type: 'string' },
        registryBaseUrl: { type: 'string', format: 'uri' },
        identifier: { type: 'string' },
        version: { type: 'string', minLength: 1, not: { const: 'latest' } },
        fileSha256: { type: 'string', pattern: '^[a-f0-9]{64}$' },
        runtimeHint: { type: 'string' },
        transport: { $ref: '#/definitions/LocalTransport' },
        environmentVariables: { type: 'array', items: { $ref: '#/definitions/KeyValueInput' } },
      },
    },
    Repository: {
      type: 'object',
      required: ['url', 'source'],
      properties: {
        url: { type: 'string', format: 'uri' },
        source: { type: 'string' },
        id: { type: 'string' },
        subfolder: { type: 'string' },
      },
    },
  },
  properties: {
    $schema: { type: 'string', format: 'uri' },
    name: { type: 'string', minLength: 3, maxLength: 200, pattern: '^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$' },
    description: { type: 'string', minLength: 1, maxLength: 100 },
    title: { type: 'string', minLength: 1, maxLength: 100 },
    version: { type: 'string', maxLength: 255 },
    websiteUrl: { type: 'string', format: 'uri' },
    repository: { $ref: '#/definitions/Repository' },
    packages: { type: 'array', items: { $ref: '#/definitions/Package' } },
    remotes: {
      type: 'array',
      items: {
        anyOf: [{ $ref: '#/definitions/StreamableHttpTransport' }, { $ref: '#/definitions/SseTransport' }],
      },
    },
    _meta: {
      type: 'object',
      properties: {
        'io.modelcontextprotocol.registry/publisher-provided': { type: 'object', additionalProperties: true },
      },
    },
  },
} as const
