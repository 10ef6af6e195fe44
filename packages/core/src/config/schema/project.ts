import { SEMVER } from '../../semver.ts'
import { type BinaryConfig, binarySchema } from './binary.ts'
import { type ChartConfig, chartSchema } from './chart.ts'
import { type ImageConfig, imageSchema } from './image.ts'
import { type McpConfig, mcpSchema } from './mcp.ts'
import { type NpmPackageConfig, npmSchema } from './npm.ts'
import { type WheelConfig, wheelSchema } from './wheel.ts'

/** The `polyship` field of a project's package.json: which formats it ships. */
export interface ProjectConfig {
  readonly binary?: BinaryConfig
  readonly image?: ImageConfig
  readonly wheel?: WheelConfig
  readonly chart?: ChartConfig
  readonly npm?: NpmPackageConfig
  /** The project is an MCP server: a server.json lists its released packages. */
  readonly mcp?: McpConfig
}

export type FormatName = keyof ProjectConfig
export const FORMATS: readonly FormatName[] = ['binary', 'image', 'wheel', 'chart', 'npm', 'mcp']

/** Schema of a releasable project's package.json (only the fields polyship reads). */
export const projectManifestSchema = {
  type: 'object',
  required: ['name', 'version', 'polyship'],
  properties: {
    name: { type: 'string', pattern: '^(@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*$' },
    version: { type: 'string', pattern: SEMVER.source },
    polyship: {
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
    },
  },
} as const
