import { createRequire } from 'node:module'
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv'
import type { Ajv2019 } from 'ajv/dist/2019.js'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { at, HelmError } from '../errors.ts'
import { isRecord } from './field-checker.ts'
import { formatPath, lineOf, plainValue, type YamlPath, type YamlSource } from './yaml-source.ts'

/** A compiled values.schema.json. */
export interface ValuesSchema {
  readonly file: string
  readonly validate: ValidateFunction
}

/** One value of values.yaml that fails the schema. */
export interface ValuesIssue {
  /** `timeServer.image.digest` */
  readonly path: string
  readonly line: number | undefined
  readonly message: string
}

/** HELM_VALUES_SCHEMA with every failing value, each with its path and line. */
export class ValuesSchemaError extends HelmError {
  readonly issues: readonly ValuesIssue[]

  constructor(file: string, schemaFile: string, issues: readonly ValuesIssue[], context: string) {
    const lines = issues.map(
      (issue) => `${at(file, issue.line)}: ${issue.path || '(top level)'}: ${issue.message}`,
    )
    super('HELM_VALUES_SCHEMA', `${file}${context} does not match ${schemaFile}:\n  ${lines.join('\n  ')}`, {
      file,
      ...(issues[0]?.line === undefined ? {} : { line: issues[0].line }),
      hint: 'fix the values (or the schema); Helm refuses to install a chart whose values fail its schema',
    })
    this.issues = issues
  }
}

const AJV_OPTIONS: Options = { allErrors: true, strict: false, validateFormats: false, logger: false }

/** ajv (CommonJS, ~35 ms of CPU to load) is required when a chart has a values.schema.json, not by every import of helm. */
const requireAjv = createRequire(import.meta.url)
const ajvClass = {
  draft7: () => (requireAjv('ajv') as typeof import('ajv')).Ajv as typeof Ajv,
  draft2019: () =>
    (requireAjv('ajv/dist/2019.js') as typeof import('ajv/dist/2019.js')).Ajv2019 as typeof Ajv2019,
  draft2020: () =>
    (requireAjv('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js')).Ajv2020 as typeof Ajv2020,
}

/**
 * Compiles values.schema.json like Helm (santhosh-tekuri/jsonschema): the draft named by
 * `$schema`, 2020-12 when none. Draft 4 and 6 schemas are read as draft 7. Formats are
 * not asserted; remote `$ref`s are not fetched (HELM_SCHEMA_INVALID).
 */
export function parseValuesSchema(text: string, file: string): ValuesSchema {
  let validate = compiled.get(text)
  if (validate === undefined) {
    validate = compileSchema(text, file)
    compiled.set(text, validate)
  }
  return { file, validate }
}

/** Compiled schemas by text: a release packages the same chart (and its lint) several times. */
const compiled = new Map<string, ValidateFunction>()

function compileSchema(text: string, file: string): ValidateFunction {
  let schema: unknown
  try {
    schema = JSON.parse(text.replace(/^\ufeff/, ''))
  } catch (error) {
    const line = jsonErrorLine(text, error as Error)
    throw new HelmError(
      'HELM_SCHEMA_INVALID',
      `${at(file, line)}: not valid JSON (${(error as Error).message})`,
      {
        file,
        ...(line === undefined ? {} : { line }),
        hint: 'values.schema.json must be a JSON Schema document',
        cause: error,
      },
    )
  }
  if (!isRecord(schema) && typeof schema !== 'boolean') {
    throw new HelmError('HELM_SCHEMA_INVALID', `${file}: a JSON Schema is an object or a boolean`, { file })
  }
  const dialect = isRecord(schema) && typeof schema.$schema === 'string' ? schema.$schema : ''
  try {
    if (dialect.includes('2019-09')) return new (ajvClass.draft2019())(AJV_OPTIONS).compile(schema)
    if (dialect === '' || dialect.includes('2020-12'))
      return new (ajvClass.draft2020())(AJV_OPTIONS).compile(schema)
    const { $schema: _, ...rest } = schema as Record<string, unknown>
    return new (ajvClass.draft7())(AJV_OPTIONS).compile(rest)
  } catch (error) {
    throw new HelmError(
      'HELM_SCHEMA_INVALID',
      `${file}: not a usable JSON Schema: ${(error as Error).message}`,
      {
        file,
        hint: 'check the schema keywords; polyship resolves only $refs inside the file',
        cause: error,
      },
    )
  }
}

/** V8: `... in JSON at position 12 (line 2 column 3)`. */
function jsonErrorLine(text: string, error: Error): number | undefined {
  const line = /\(line (\d+) column \d+\)/.exec(error.message)
  if (line) return Number(line[1])
  const position = /at position (\d+)/.exec(error.message)
  return position ? text.slice(0, Number(position[1])).split('\n').length : undefined
}

/** The values of a values.yaml source as plain JSON data, the way Helm hands them to the schema. */
export function valuesOf(values: YamlSource): Record<string, unknown> {
  const data: unknown = JSON.parse(JSON.stringify(plainValue(values) ?? {}))
  if (!isRecord(data)) {
    throw new HelmError('HELM_YAML_INVALID', `${values.file}: values must be a YAML map`, {
      file: values.file,
      hint: 'values.yaml holds a map of keys at the top level',
    })
  }
  return data
}

/** Fails with HELM_VALUES_SCHEMA listing every failing value with its path and line. */
export function validateValues(values: YamlSource, schema: ValuesSchema, context = ''): void {
  const data = valuesOf(values)
  if (schema.validate(data)) return
  const issues = new Map<string, ValuesIssue>()
  for (const error of schema.validate.errors ?? []) {
    if (error.keyword === 'if') continue
    const issue = describe(values, data, error)
    issues.set(`${issue.path}\n${issue.message}`, issue)
  }
  throw new ValuesSchemaError(values.file, schema.file, [...issues.values()], context)
}

function describe(values: YamlSource, data: unknown, error: ErrorObject): ValuesIssue {
  const path = pointerPath(data, error.instancePath)
  const params = error.params as Record<string, unknown>
  const value = valueAt(data, path)
  const issue = (issuePath: YamlPath, message: string): ValuesIssue => ({
    path: formatPath(issuePath),
    line: lineOf(values, issuePath),
    message,
  })
  switch (error.keyword) {
    case 'required':
      return issue([...path, String(params.missingProperty)], 'is required')
    case 'additionalProperties':
      return issue(
        [...path, String(params.additionalProperty)],
        'is not allowed here (the schema has no such property)',
      )
    case 'enum':
      return issue(
        path,
        `${JSON.stringify(value)} is not one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      )
    case 'pattern':
      return issue(path, `${JSON.stringify(value)} does not match ${String(params.pattern)}`)
    case 'type':
      return issue(path, `${JSON.stringify(value)} is not of type ${String(params.type)}`)
    default:
      return issue(path, error.message ?? 'is invalid')
  }
}

/** `/servers/0/port` -> ['servers', 0, 'port'] (numbers where the data holds a list). */
function pointerPath(data: unknown, pointer: string): YamlPath {
  const path: (string | number)[] = []
  let node = data
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    const step = Array.isArray(node) ? Number(key) : key
    path.push(step)
    node = (node as Record<string | number, unknown> | undefined)?.[step]
  }
  return path
}

function valueAt(data: unknown, path: YamlPath): unknown {
  let node = data
  for (const key of path) node = (node as Record<string | number, unknown> | undefined)?.[key]
  return node
}
