import { platformList, stringList, stringMap } from './common.ts'
import type { ConfigOf } from './config-type.ts'

/** The fields an `archiveName` template may use. */
export const ARCHIVE_NAME_FIELDS = ['ProjectName', 'Version', 'Os', 'Arch', 'Arm', 'Amd64', 'Binary'] as const

const FIELD = `\\.(?:${ARCHIVE_NAME_FIELDS.join('|')})`
/**
 * Literal file-name text and known actions only: a template naming an unknown field fails at
 * load (CONFIG_INVALID naming the field); the binary package names the placeholder itself.
 */
const ARCHIVE_NAME_PATTERN = `^(?:[^{}/\\\\]|\\{\\{-? *(?:${FIELD}|\\.|(?:if|with) ${FIELD}|end) *-?\\}\\})+$`

const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } as const

/** Go build settings a binary may set; in `binaries[]` they override the section's own. */
const goSettings = {
  ldflags: {
    description: 'Go: the `-X` targets polyship fills, and linker flags of your own appended after them.',
    type: 'object',
    additionalProperties: false,
    properties: {
      version: { description: 'Variable set to the version (default `main.version`).', type: 'string' },
      commit: {
        description: 'Variable set to the full commit hash (default `main.commit`).',
        type: 'string',
      },
      date: {
        description: 'Variable set to the commit date, RFC 3339 UTC (default `main.date`).',
        type: 'string',
      },
      extra: {
        ...stringList,
        description:
          "More linker flags, joined with spaces after polyship's (`-X pkg.builtBy=polyship`). `{{ .Version }}`, `{{ .Commit }}`, `{{ .ShortCommit }}` and `{{ .Date }}` are replaced.",
      },
    },
  },
  tags: {
    description: 'Go build tags: `go build -tags a,b`.',
    type: 'array',
    items: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
  },
  strip: {
    description: 'Go: `false` keeps the symbol table and DWARF (drops `-s -w`). Default true.',
    type: 'boolean',
  },
  env: { ...stringMap, description: "Environment for the compiler, merged over the section's `env`." },
} as const

export const binarySchema = {
  title: 'polyship.binary',
  description: 'Static Go or Rust binaries, archived per platform, with checksums.',
  type: 'object',
  required: ['toolchain'],
  additionalProperties: false,
  properties: {
    toolchain: { description: 'The toolchain that builds the binaries.', enum: ['go', 'rust'] },
    main: {
      description:
        'Go: the main package, relative to the project and inside it (default `.`); with `binaries`, set `main` there instead.',
      type: 'string',
    },
    name: {
      ...NAME,
      description:
        "Binary name. Go: default the main package's directory, or the module's last element. Rust: the one bin target to ship.",
    },
    binaries: {
      description:
        "Go: several binaries from the module (GoReleaser's `builds`); each lands in every archive and in the image, and its fields override the section's own.",
      type: 'array',
      minItems: 1,
      items: {
        description: 'One Go binary of the module.',
        type: 'object',
        additionalProperties: false,
        properties: {
          main: {
            description:
              'Main package, relative to the project (`./cmd/podcli`, default `.`); it must stay inside the project.',
            type: 'string',
          },
          name: {
            ...NAME,
            description: "Executable name (default: the main package's directory, as `go build` names it).",
          },
          ...goSettings,
        },
      },
    },
    platforms: {
      ...platformList,
      description:
        '`os/arch[/variant]` to build for (default linux/amd64, linux/arm64, darwin/amd64, darwin/arm64, windows/amd64).',
    },
    goamd64: {
      description:
        'Go: GOAMD64 levels to build for each amd64 platform (default `v1` only); `v2`-`v4` archives are named `amd64v3` etc.',
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { enum: ['v1', 'v2', 'v3', 'v4'] },
    },
    goarm: {
      description:
        'Go: GOARM versions to build for each `arm` platform given without a variant (archives `armv6`, `armv7`).',
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { enum: ['5', '6', '7'] },
    },
    packages: {
      description:
        'Rust: the workspace members whose bin targets ship (a virtual workspace root; default every member with a bin target).',
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string' },
    },
    bins: {
      description: 'Rust: the bin targets that ship (default every bin target of the selected packages).',
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: NAME,
    },
    ...goSettings,
    archiveFiles: {
      ...stringList,
      description:
        'Extra files in every archive, relative to the project. Without it, LICENSE*, README* and CHANGELOG* of the project are added when present; listed files come beside them; `[]` ships the binaries alone.',
    },
    archiveName: {
      description:
        "Archive file name without its extension (`.tar.gz`/`.zip` is appended), GoReleaser's `name_template` subset: `{{ .ProjectName }}`, `{{ .Version }}`, `{{ .Os }}`, `{{ .Arch }}`, `{{ .Arm }}` (`7`), `{{ .Amd64 }}` (`v1`..`v4` on amd64), `{{ .Binary }}`, and `{{ if .Arm }}...{{ end }}` / `{{ with .Arm }}v{{ . }}{{ end }}`. Default `{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}{{ with .Arm }}v{{ . }}{{ end }}` (plus `v3` etc. for amd64 levels above v1).",
      type: 'string',
      minLength: 1,
      pattern: ARCHIVE_NAME_PATTERN,
    },
  },
} as const

/** `polyship.binary`: static Go or Rust binaries, archived per platform. */
export type BinaryConfig = ConfigOf<typeof binarySchema>
