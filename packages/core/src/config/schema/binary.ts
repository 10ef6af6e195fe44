import { platformList, stringList, stringMap } from './common.ts'

/** Go: the `-X` targets polyship fills, and flags of your own appended after them. */
export interface GoLdflags {
  /** Variable set to the version (default `main.version`). */
  readonly version?: string
  /** Variable set to the full commit hash (default `main.commit`). */
  readonly commit?: string
  /** Variable set to the commit date, RFC 3339 UTC (default `main.date`). */
  readonly date?: string
  /**
   * More linker flags, joined with spaces after polyship's (`-X pkg.builtBy=polyship`).
   * `{{ .Version }}`, `{{ .Commit }}`, `{{ .ShortCommit }}` and `{{ .Date }}` are replaced.
   */
  readonly extra?: readonly string[]
}

/** Go build settings a binary may set; in `binaries[]` they override the section's own. */
export interface GoBuildSettings {
  readonly ldflags?: GoLdflags
  /** Build tags: `go build -tags a,b`. */
  readonly tags?: readonly string[]
  /** `false` keeps the symbol table and DWARF (drops `-s -w`). Default true. */
  readonly strip?: boolean
  /** Environment for the compiler, merged over the section's `env`. */
  readonly env?: Readonly<Record<string, string>>
}

/** One Go binary of a module (GoReleaser's `builds[]`). */
export interface GoBinarySpec extends GoBuildSettings {
  /** Main package, relative to the project (`./cmd/podcli`, default `.`); it must stay inside the project. */
  readonly main?: string
  /** Executable name (default: the main package's directory, as `go build` names it). */
  readonly name?: string
}

/** `polyship.binary`: static Go or Rust binaries, archived per platform. */
export interface BinaryConfig extends GoBuildSettings {
  readonly toolchain: 'go' | 'rust'
  /** Go: the main package path (default `.`); with `binaries`, set `main` there instead. */
  readonly main?: string
  /** Binary name (default: the Go main package's directory / the module's last element; Rust: one bin target to ship). */
  readonly name?: string
  /** Go: several binaries from the module; each lands in every archive and in the image. */
  readonly binaries?: readonly GoBinarySpec[]
  readonly platforms?: readonly string[]
  /** Go: GOAMD64 levels to build for each amd64 platform (default `v1` only); `v2`-`v4` are named `amd64v3`. */
  readonly goamd64?: readonly ('v1' | 'v2' | 'v3' | 'v4')[]
  /** Go: GOARM versions to build for each `arm` platform given without a variant (named `armv6`, `armv7`). */
  readonly goarm?: readonly ('5' | '6' | '7')[]
  /** Rust: the workspace members whose bin targets ship (a virtual workspace root; default every member with a bin target). */
  readonly packages?: readonly string[]
  /** Rust: the bin targets that ship (default every bin target of the selected packages). */
  readonly bins?: readonly string[]
  /**
   * Extra files to put in every archive, relative to the project. Without it, LICENSE*, README*
   * and CHANGELOG* of the project are added when present; listed files come beside them;
   * `[]` ships the binaries alone.
   */
  readonly archiveFiles?: readonly string[]
  /**
   * Archive file name without its extension (`.tar.gz`/`.zip` is appended), GoReleaser's
   * `name_template` subset: `{{ .ProjectName }}`, `{{ .Version }}`, `{{ .Os }}`, `{{ .Arch }}`,
   * `{{ .Arm }}` (`7`), `{{ .Amd64 }}` (`v1`..`v4` on amd64), `{{ .Binary }}`, and
   * `{{ if .Arm }}...{{ end }}` / `{{ with .Arm }}v{{ . }}{{ end }}`. Default
   * `{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}`
   * (plus `v3` etc. for amd64 levels above v1).
   */
  readonly archiveName?: string
}

/** The fields an `archiveName` template may use. */
export const ARCHIVE_NAME_FIELDS = ['ProjectName', 'Version', 'Os', 'Arch', 'Arm', 'Amd64', 'Binary'] as const

const FIELD = `\\.(?:${ARCHIVE_NAME_FIELDS.join('|')})`
/**
 * Literal file-name text and known actions only: a template naming an unknown field fails at
 * load (CONFIG_INVALID naming the field); the binary package names the placeholder itself.
 */
const ARCHIVE_NAME_PATTERN = `^(?:[^{}/\\\\]|\\{\\{-? *(?:${FIELD}|\\.|(?:if|with) ${FIELD}|end) *-?\\}\\})+$`

const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } as const

const goSettings = {
  ldflags: {
    type: 'object',
    additionalProperties: false,
    properties: {
      version: { type: 'string' },
      commit: { type: 'string' },
      date: { type: 'string' },
      extra: stringList,
    },
  },
  tags: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' } },
  strip: { type: 'boolean' },
  env: stringMap,
} as const

export const binarySchema = {
  type: 'object',
  required: ['toolchain'],
  additionalProperties: false,
  properties: {
    toolchain: { enum: ['go', 'rust'] },
    main: { type: 'string' },
    name: NAME,
    binaries: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        properties: { main: { type: 'string' }, name: NAME, ...goSettings },
      },
    },
    platforms: platformList,
    goamd64: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['v1', 'v2', 'v3', 'v4'] } },
    goarm: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['5', '6', '7'] } },
    packages: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string' } },
    bins: { type: 'array', minItems: 1, uniqueItems: true, items: NAME },
    ...goSettings,
    archiveFiles: stringList,
    archiveName: { type: 'string', minLength: 1, pattern: ARCHIVE_NAME_PATTERN },
  },
} as const
