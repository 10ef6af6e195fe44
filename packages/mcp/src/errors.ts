import { PolyshipError } from '@polyship/core'

export type McpErrorCode =
  /** A server.json the pinned schema refuses; the message names the project and the field. */
  | 'MCP_SERVER_JSON_INVALID'
  /** The registry refused the token (401, 403), or no token was given for a publish. */
  | 'MCP_REGISTRY_UNAUTHORIZED'
  /** A token would travel over plain http to a host that is not loopback. */
  | 'MCP_INSECURE_REFUSED'
  | 'MCP_REGISTRY_UNREACHABLE'
  /** The registry answered something unusable: 5xx, a body that is not the expected JSON. */
  | 'MCP_REGISTRY_ERROR'
  /** The registry refused the publish (400, 422): its reason is in the message. */
  | 'MCP_PUBLISH_REJECTED'

export class McpError extends PolyshipError<McpErrorCode> {}
