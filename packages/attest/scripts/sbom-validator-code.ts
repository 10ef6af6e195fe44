import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Spec } from '@cyclonedx/cyclonedx-library'
import { _, Ajv, type Options } from 'ajv'

const require = createRequire(import.meta.url)
/** The library's table of its schema files (dist.node/resources.node.js; not in its typings). */
const { FILES } = (
  require('@cyclonedx/cyclonedx-library') as {
    _Resources: {
      FILES: {
        CDX: { JSON_STRICT_SCHEMA: Readonly<Record<string, string | undefined>> }
        SPDX: { JSON_SCHEMA: string }
        CryptoDefs: { JSON_SCHEMA: string }
        JSF: { JSON_SCHEMA: string }
      }
    }
  }
)._Resources
const addFormats = require('ajv-formats') as (ajv: Ajv) => Ajv
const addFormatsDraft2019 = require('ajv-formats-draft2019') as (
  ajv: Ajv,
  options: { formats: string[] },
) => Ajv

const standaloneCode = (await import('ajv/dist/standalone/index.js')).default.default

export const SBOM_VALIDATOR_FILE = 'src/sbom/cyclonedx-validator.generated.js'

/**
 * The options @cyclonedx/cyclonedx-library's JsonStrictValidator compiles its schemas with
 * (dist.node/_optPlug.node/__jsonValidators/ajv.js), so the precompiled validator accepts and
 * rejects exactly what it does; `allErrors` stays off as there (validate.ts shows the first).
 */
const OPTIONS = {
  useDefaults: false,
  strict: false,
  strictSchema: false,
  addUsedSchema: false,
} as const satisfies Options

/** Keys that annotate a schema (documentation for readers); validation never reads them. */
const ANNOTATIONS: Readonly<Record<string, (value: unknown) => boolean>> = {
  title: (value) => typeof value === 'string',
  description: (value) => typeof value === 'string',
  $comment: (value) => typeof value === 'string',
  examples: Array.isArray,
  'meta:enum': (value) => value !== null && typeof value === 'object' && !Array.isArray(value),
}

/**
 * `schema` without its annotations: they are half of the generated code, and ajv's errors
 * (no `verbose`) do not carry them. A property *named* `description` or `title` holds a
 * schema (an object), not annotation text, so it stays; `enum` and `const` values stay as they are.
 */
function withoutAnnotations(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutAnnotations)
  if (schema === null || typeof schema !== 'object') return schema
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !ANNOTATIONS[key]?.(value))
      .map(([key, value]) => [key, key === 'enum' || key === 'const' ? value : withoutAnnotations(value)]),
  )
}

const readJson = (file: string): object =>
  withoutAnnotations(JSON.parse(readFileSync(file, 'utf8'))) as object

/**
 * The precompiled CycloneDX 1.6 strict validator: ajv standalone code for the schema files
 * @cyclonedx/cyclonedx-library ships (its strict 1.6 schema and the SPDX license, JSF and
 * cryptography schemas it references), with the library's formats (ajv-formats' full formats,
 * `idn-email` from ajv-formats-draft2019, `iri-reference` unchecked). The schemas are read
 * through the library's own table of files; only their content (no path) is in the output.
 */
export function sbomValidatorModule(): string {
  const ajv = new Ajv({ ...OPTIONS, code: { source: true, esm: true, formats: _`sbomFormats` } })
  ajv.addSchema(readJson(FILES.SPDX.JSON_SCHEMA), 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json')
  ajv.addSchema(
    readJson(FILES.CryptoDefs.JSON_SCHEMA),
    'http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json',
  )
  ajv.addSchema(readJson(FILES.JSF.JSON_SCHEMA), 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json')
  const strict = FILES.CDX.JSON_STRICT_SCHEMA[Spec.Version.v1dot6]
  if (strict === undefined)
    throw new Error('@cyclonedx/cyclonedx-library ships no strict CycloneDX 1.6 schema')
  // the library's formats; the generated code takes them from `sbomFormats` (same packages)
  addFormats(ajv)
  addFormatsDraft2019(ajv, { formats: ['idn-email'] })
  ajv.addFormat('iri-reference', true)
  const validate = ajv.compile(readJson(strict))
  const code = standaloneCode(ajv, validate).replaceAll('require(', 'requireAjv(')
  return [
    '// biome-ignore-all format: generated',
    '// biome-ignore-all lint: generated',
    '// Written by packages/attest/scripts/write-sbom-validator.ts (ajv standalone code for the CycloneDX 1.6 strict schema of @cyclonedx/cyclonedx-library); do not edit.',
    "import { createRequire } from 'node:module'",
    '',
    'const requireAjv = createRequire(import.meta.url)',
    "const sbomFormats = { ...requireAjv('ajv-formats/dist/formats').fullFormats, 'idn-email': requireAjv('ajv-formats-draft2019/formats/idn-email'), 'iri-reference': true }",
    code,
    '',
  ].join('\n')
}

export const SBOM_VALIDATOR_TYPES = `// Written by packages/attest/scripts/write-sbom-validator.ts; do not edit.
import type { ValidateFunction } from 'ajv'

/** Validates a parsed CycloneDX 1.6 JSON document against the specification's strict schema. */
declare const validate: ValidateFunction
export default validate
`
