import { createRequire } from 'node:module'
import { Ajv } from 'ajv'
import { projectManifestSchema } from '../src/config/schema/project.ts'
import { rootSchema } from '../src/config/schema/root.ts'
import { VALIDATOR_OPTIONS } from '../src/config/validator-options.ts'

const standaloneCode = createRequire(import.meta.url)(
  'ajv/dist/standalone',
) as typeof import('ajv/dist/standalone/index.js').default

export const VALIDATORS_FILE = 'src/config/validators.generated.js'

/** `schema` without its annotations (editors read them; validation does not). */
function withoutAnnotations(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutAnnotations)
  if (schema === null || typeof schema !== 'object') return schema
  return Object.fromEntries(
    Object.entries(schema)
      // a property *named* description or title holds a schema (an object), not annotation text
      .filter(([key, value]) => !((key === 'description' || key === 'title') && typeof value === 'string'))
      .map(([key, value]) => [key, key === 'enum' || key === 'const' ? value : withoutAnnotations(value)]),
  )
}

/**
 * The precompiled validators of polyship.json and of a project's package.json: ajv standalone
 * code for the schemas in src/config/schema/, with the options validate.ts compiles others with.
 */
export function validatorModule(): string {
  const ajv = new Ajv({ ...VALIDATOR_OPTIONS, code: { source: true, esm: true } })
  ajv.addSchema(withoutAnnotations(rootSchema) as object, 'root')
  ajv.addSchema(withoutAnnotations(projectManifestSchema) as object, 'project')
  const code = standaloneCode(ajv, { root: 'root', project: 'project' }).replaceAll('require(', 'requireAjv(')
  return [
    '// biome-ignore-all format: generated',
    '// biome-ignore-all lint: generated',
    '// Written by packages/core/scripts/write-schemas.ts (ajv standalone code for src/config/schema/); do not edit.',
    "import { createRequire } from 'node:module'",
    '',
    'const requireAjv = createRequire(import.meta.url)',
    code,
    '',
  ].join('\n')
}

export const VALIDATORS_TYPES = `// Written by packages/core/scripts/write-schemas.ts; do not edit.
import type { ValidateFunction } from 'ajv'

/** Validates polyship.json. */
export declare const root: ValidateFunction
/** Validates a releasable project's package.json. */
export declare const project: ValidateFunction
`
