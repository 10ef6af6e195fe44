import { createRequire } from 'node:module'
import type { Ajv as AjvType, ErrorObject, ValidateFunction } from 'ajv'
import { McpError } from '../errors.ts'
import { SERVER_SCHEMA_URL, serverJsonSchema } from './schema.ts'

let compiled: ValidateFunction | undefined

/** Compiled on first use: commands that never render a server.json don't pay for ajv. */
function validator(): ValidateFunction {
  if (compiled === undefined) {
    const require = createRequire(import.meta.url)
    const { Ajv } = require('ajv') as typeof import('ajv')
    const addFormats = require('ajv-formats') as (ajv: AjvType, formats: string[]) => AjvType
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true })
    addFormats(ajv, ['uri'])
    compiled = ajv.compile(serverJsonSchema)
  }
  return compiled
}

/** `/packages/0/transport/url` -> `packages[0].transport.url` */
function fieldOf(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '')
}

function describe(error: ErrorObject): string {
  const at = fieldOf(error.instancePath)
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty: string }).missingProperty)
    return `missing field ${at ? `${at}.${missing}` : missing}`
  }
  return `${at || '(top level)'} ${error.message ?? 'is invalid'}`
}

/**
 * Checks a server.json against the pinned schema (`SERVER_SCHEMA_URL`). A refusal is
 * MCP_SERVER_JSON_INVALID naming the project and every field at fault; it is raised before
 * anything is published.
 */
export function validateServerJson(value: unknown, project: string): void {
  const validate = validator()
  if (validate(value)) return
  // anyOf/allOf branches repeat their children's errors: keep the most specific ones
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'allOf')
  const problems = [...new Set((errors.length > 0 ? errors : (validate.errors ?? [])).map(describe))]
  throw new McpError(
    'MCP_SERVER_JSON_INVALID',
    `${project}: its server.json does not match ${SERVER_SCHEMA_URL}: ${problems.join('; ')}`,
    {
      hint: `fix polyship.mcp in ${project}'s package.json (the server.json is made from it and from the packages the project releases); nothing was published`,
    },
  )
}
