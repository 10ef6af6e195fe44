export { McpError, type McpErrorCode } from './errors.ts'
export {
  type HeldServer,
  McpRegistryClient,
  type McpRegistryOptions,
  serverDigest,
} from './registry/client.ts'
export {
  canonicalJson,
  type ReleasedPackage,
  renderServerJson,
  type ServerJsonInput,
} from './server-json/render.ts'
export { SERVER_SCHEMA_URL, serverJsonSchema } from './server-json/schema.ts'
export {
  PUBLISHER_META,
  type RenderedServerJson,
  type ServerArchive,
  type ServerJson,
  type ServerPackage,
  type Transport,
} from './server-json/types.ts'
export { validateServerJson } from './server-json/validate.ts'
