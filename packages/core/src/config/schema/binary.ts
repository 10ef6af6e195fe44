import { platformList, stringList, stringMap } from './common.ts'

/** `polyship.binary`: static Go or Rust binaries, archived per platform. */
export interface BinaryConfig {
  readonly toolchain: 'go' | 'rust'
  /** Go: the main package path (default `.`). Rust: unused. */
  readonly main?: string
  /** Binary name (default: the Go module's last element / the Cargo package name). */
  readonly name?: string
  readonly platforms?: readonly string[]
  /** Go: `-X` targets for version, commit and date. */
  readonly ldflags?: { readonly version?: string; readonly commit?: string; readonly date?: string }
  readonly env?: Readonly<Record<string, string>>
  /** Extra files to put in every archive, relative to the project (LICENSE and README are added when present). */
  readonly archiveFiles?: readonly string[]
}

export const binarySchema = {
  type: 'object',
  required: ['toolchain'],
  additionalProperties: false,
  properties: {
    toolchain: { enum: ['go', 'rust'] },
    main: { type: 'string' },
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
    platforms: platformList,
    ldflags: {
      type: 'object',
      additionalProperties: false,
      properties: { version: { type: 'string' }, commit: { type: 'string' }, date: { type: 'string' } },
    },
    env: stringMap,
    archiveFiles: stringList,
  },
} as const
