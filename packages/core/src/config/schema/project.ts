import { SEMVER } from '../../semver.ts'
import { binarySchema } from './binary.ts'
import { chartSchema } from './chart.ts'
import type { ConfigOf } from './config-type.ts'
import { imageSchema } from './image.ts'
import { mcpSchema } from './mcp.ts'
import { npmSchema } from './npm.ts'
import { wheelSchema } from './wheel.ts'

/** The `polyship` field of a project's package.json. */
export const projectConfigSchema = {
  title: 'polyship',
  description:
    'The formats this project releases with polyship: a package.json with this field is a releasable project. See https://github.com/polyship/polyship/blob/main/docs/config.md',
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    binary: binarySchema,
    image: imageSchema,
    wheel: wheelSchema,
    chart: chartSchema,
    npm: npmSchema,
    mcp: mcpSchema,
  },
} as const

type Sections = typeof projectConfigSchema.properties
/**
 * The `polyship` field of a project's package.json: which formats it ships. Mapped over the
 * schema's sections so each section's type is read off its schema once.
 */
export type ProjectConfig = { readonly [K in keyof Sections]?: ConfigOf<Sections[K]> }

export type FormatName = keyof ProjectConfig
export const FORMATS: readonly FormatName[] = ['binary', 'image', 'wheel', 'chart', 'npm', 'mcp']

/** Schema of a releasable project's package.json (only the fields polyship reads). */
export const projectManifestSchema = {
  type: 'object',
  required: ['name', 'version', 'polyship'],
  properties: {
    name: { type: 'string', pattern: '^(@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*$' },
    version: { type: 'string', pattern: SEMVER.source },
    polyship: projectConfigSchema,
  },
} as const
