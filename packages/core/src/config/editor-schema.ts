import { projectConfigSchema } from './schema/project.ts'
import { rootSchema } from './schema/root.ts'

/**
 * Where the published package serves the editor schemas (the `polyship` package on npm ships
 * them in `schema/`): the `$id` of each, and the `$schema` a polyship.json points at.
 */
export const SCHEMA_BASE_URL = 'https://unpkg.com/polyship/schema/'
export const ROOT_SCHEMA_FILE = 'polyship.schema.json'
export const PACKAGE_SCHEMA_FILE = 'package-polyship.schema.json'
/** The `$schema` of a polyship.json (what `polyship init` writes). */
export const ROOT_SCHEMA_URL = `${SCHEMA_BASE_URL}${ROOT_SCHEMA_FILE}`

/** The draft the config schemas are written in (ajv's default; `dependencies` is draft-07). */
const DRAFT = 'http://json-schema.org/draft-07/schema#'

/** A copy of `schema` where each `description` is also a `markdownDescription` (VS Code renders that one). */
function withMarkdown(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withMarkdown)
  if (schema === null || typeof schema !== 'object') return schema
  const entries = Object.entries(schema).map(([key, value]) => [
    key,
    // values, not schemas: a string there is data, never a description
    key === 'enum' || key === 'const' || key === 'required' ? value : withMarkdown(value),
  ])
  const copy = Object.fromEntries(entries) as Record<string, unknown>
  if (typeof copy.description === 'string' && copy.markdownDescription === undefined) {
    return { ...copy, markdownDescription: copy.description }
  }
  return copy
}

/**
 * The JSON Schemas for editors, written from the same schema objects the loader validates
 * with: `polyship.schema.json` for polyship.json, and `package-polyship.schema.json` for a
 * package.json (it constrains only its `polyship` field, so it sits beside the package.json
 * schema an editor already applies).
 */
export function editorSchemas(): Record<typeof ROOT_SCHEMA_FILE | typeof PACKAGE_SCHEMA_FILE, object> {
  const root = { $schema: DRAFT, $id: ROOT_SCHEMA_URL, ...rootSchema }
  const manifest = {
    $schema: DRAFT,
    $id: `${SCHEMA_BASE_URL}${PACKAGE_SCHEMA_FILE}`,
    title: 'package.json: the polyship field',
    description:
      "The `polyship` field of a package.json, which makes the package a project polyship releases. Only that field is described here, so this schema goes beside the editor's own package.json schema.",
    type: 'object',
    properties: { polyship: projectConfigSchema },
  }
  return {
    [ROOT_SCHEMA_FILE]: withMarkdown(root) as object,
    [PACKAGE_SCHEMA_FILE]: withMarkdown(manifest) as object,
  }
}
