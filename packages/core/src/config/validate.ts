import { createRequire } from 'node:module'
import type { Ajv as AjvType, ErrorObject, ValidateFunction } from 'ajv'
import { CoreError, type SourceLocation } from '../errors.ts'
import { jsonPointerPosition } from './json-position.ts'
import { projectManifestSchema } from './schema/project.ts'
import { rootSchema } from './schema/root.ts'
import { VALIDATOR_OPTIONS } from './validator-options.ts'
import { project, root } from './validators.generated.js'

/**
 * The schemas every process validates, compiled ahead of time (ajv standalone code written by
 * scripts/write-schemas.ts): compiling them took ~200 ms of CPU at each start.
 */
const compiled = new WeakMap<object, ValidateFunction>([
  [rootSchema, root],
  [projectManifestSchema, project],
])

let ajv: AjvType | undefined

/** Other schemas are compiled on first use, so commands that never validate them don't load ajv. */
function compile(schema: object): ValidateFunction {
  if (ajv === undefined) {
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv')
    ajv = new Ajv(VALIDATOR_OPTIONS)
  }
  return ajv.compile(schema)
}

/** `/polyship/binary/platforms/2` -> `polyship.binary.platforms[2]` */
export function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '')
}

/** The schema node a JSON pointer (`#/properties/a/oneOf/0`) names. */
function schemaAt(schema: object, pointer: string): unknown {
  let node: unknown = schema
  for (const part of pointer.replace(/^#/, '').split('/').slice(1)) {
    node = (node as Record<string, unknown> | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')]
  }
  return node
}

function describe(error: ErrorObject, value: unknown, schema: object): string {
  const at = fieldPath(error.instancePath)
  const field = (name: string) => (at ? `${at}.${name}` : name)
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'additionalProperties': {
      const parent = schemaAt(schema, error.schemaPath.slice(0, error.schemaPath.lastIndexOf('/'))) as
        | { properties?: Record<string, unknown> }
        | undefined
      const known = Object.keys(parent?.properties ?? {}).join(', ')
      return `unknown field ${field(String(params.additionalProperty))} (known: ${known})`
    }
    case 'required':
      return `missing field ${field(String(params.missingProperty))}`
    case 'enum':
      return `${at}: ${JSON.stringify(value)} is not one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
    case 'const':
      return `${at}: must be ${JSON.stringify(params.allowedValue)}`
    case 'pattern':
      return `${at}: ${JSON.stringify(value)} does not have the expected form (${params.pattern})`
    default:
      return `${at || '(top level)'}: ${error.message ?? 'is invalid'}`
  }
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root
  for (const part of pointer.split('/').slice(1)) node = (node as Record<string, unknown> | undefined)?.[part]
  return node
}

export interface ValidateOptions {
  /** The file as messages name it. */
  readonly file: string
  readonly hint: string
  /** The JSON text `value` was parsed from: the error then carries the line of the first offending field. */
  readonly text?: string
  /** The file's absolute path for that location (default: `file`). */
  readonly path?: string
}

/** Where the first offending field is: the member's key for an unknown field, else the value. */
function locate(error: ErrorObject | undefined, options: ValidateOptions): SourceLocation {
  const file = options.path ?? options.file
  if (error === undefined || options.text === undefined) return { file }
  const key =
    error.keyword === 'additionalProperties'
      ? String((error.params as { additionalProperty?: unknown }).additionalProperty)
      : undefined
  const position = jsonPointerPosition(options.text, error.instancePath, key === undefined ? {} : { key })
  return position === undefined ? { file } : { file, ...position }
}

/**
 * Validates `value` against a JSON Schema; on failure throws CONFIG_INVALID naming the
 * file and every offending field with what was expected, located at the first of them.
 */
export function validateConfig<T>(schema: object, value: unknown, options: ValidateOptions): T {
  let validate = compiled.get(schema)
  if (validate === undefined) {
    validate = compile(schema)
    compiled.set(schema, validate)
  }
  if (validate(value)) return value as T
  const errors = (validate.errors ?? []).filter(
    (error) => error.keyword !== 'oneOf' && error.keyword !== 'if',
  )
  const lines = [
    ...new Set(errors.map((error) => describe(error, valueAt(value, error.instancePath), schema))),
  ]
  throw new CoreError(
    'CONFIG_INVALID',
    `${options.file}: ${lines.length === 1 ? lines[0] : `\n  - ${lines.join('\n  - ')}`}`,
    { hint: options.hint, source: locate(errors[0], options) },
  )
}
