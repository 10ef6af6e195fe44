import type { Options } from 'ajv'

/**
 * ajv's options for config schemas, at run time and in the precompiled validators
 * (scripts/write-schemas.ts). No `verbose`: messages read the schema through `schemaPath`.
 */
export const VALIDATOR_OPTIONS = {
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
} as const satisfies Options
