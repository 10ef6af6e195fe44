import type { FromSchema, JSONSchema } from 'json-schema-to-ts'

type Frozen<T> = T extends readonly (infer U)[]
  ? readonly Frozen<U>[]
  : T extends object
    ? { readonly [K in keyof T]: Frozen<T[K]> }
    : T

/**
 * The values a config schema accepts, deeply readonly: the schema is the one statement of a
 * section's shape, and its TypeScript type is read off it (config is data, never mutated).
 */
export type ConfigOf<S extends JSONSchema> = Frozen<FromSchema<S>>
