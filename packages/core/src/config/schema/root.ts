/** Where each kind of artifact goes. Defaults are embedded destinations under `outDir`. */
export type ImageDestination =
  | { readonly type: 'oci-layout'; readonly path: string }
  | { readonly type: 'registry'; readonly repository: string; readonly insecure?: boolean }

export type WheelDestination = { readonly type: 'simple-index'; readonly path: string } | PypiDestination

/**
 * A PyPI-compatible index (PyPI, TestPyPI, pypiserver, devpi, Artifactory, Nexus), found as
 * twine finds it: these fields first, then `TWINE_REPOSITORY_URL` / `TWINE_USERNAME` /
 * `TWINE_PASSWORD`, then the `.pypirc` repository. `{ "type": "pypi" }` alone is PyPI.
 */
export interface PypiDestination {
  readonly type: 'pypi'
  /** The upload (legacy API) URL; without it, `$TWINE_REPOSITORY_URL`, else the .pypirc repository's `repository`. */
  readonly url?: string
  /** A repository (section) of the .pypirc, like `twine --repository`; default `$TWINE_REPOSITORY`, else `pypi`. */
  readonly repository?: string
  /** The .pypirc to read, like `twine --config-file` (default `~/.pypirc`); relative to the workspace root. */
  readonly configFile?: string
  /** The simple (read) API when it is not `simple/` under the upload URL (devpi `+simple`, Artifactory). */
  readonly simpleUrl?: string
  /** Variable holding an API token, sent as `__token__` (default `PYPI_TOKEN`); when set, the only password source. */
  readonly tokenEnv?: string
  /** Variable holding the username for `passwordEnv` (default `TWINE_USERNAME`, then the .pypirc's). */
  readonly usernameEnv?: string
  /** Variable holding a password (pypiserver, devpi); when set, the only password source. */
  readonly passwordEnv?: string
  /** Send credentials over plain http to a host that is not loopback (a trusted network only). */
  readonly insecure?: boolean
}

export type FileDestination =
  | { readonly type: 'directory'; readonly path: string }
  | { readonly type: 'github'; readonly repository: string; readonly tokenEnv?: string }

/** Where npm packages go: a registry, or a directory of tarballs `npm install` takes. */
export type NpmDestination =
  | { readonly type: 'directory'; readonly path: string }
  | { readonly type: 'registry'; readonly url: string; readonly insecure?: boolean }

/**
 * An MCP registry (the official one at registry.modelcontextprotocol.io, or a compatible one)
 * that receives the server.json of every project marked `mcp`, through `POST /v0/publish`
 * with a registry token (Bearer) read from `tokenEnv` (default `MCP_REGISTRY_TOKEN`).
 */
export interface McpRegistryDestination {
  readonly type: 'registry'
  readonly url: string
  readonly tokenEnv?: string
}

export type SigningConfig =
  | { readonly mode: 'key'; readonly key?: string }
  | { readonly mode: 'keyless'; readonly identityToken?: string }
  | { readonly mode: 'none' }

/**
 * OpenPGP signatures made with gpg, beside the Sigstore ones (opt-in): `<file>.asc` for the
 * checksums files (and archives), and signed git tags.
 */
export interface GpgSigningConfig {
  /** Fingerprint, key id or email of the secret key; default: the only key in $POLYSHIP_GPG_KEY or the keyring. */
  readonly key?: string
  /** Which files get a `.asc`: `checksums` (default, as GoReleaser's `signs`), `archives`, or `all` of both. */
  readonly artifacts?: 'checksums' | 'archives' | 'all'
  /** Whether the release's git tags are signed (annotated) tags; default true. */
  readonly tags?: boolean
}

/** polyship.json `signing`: the Sigstore mode (default chosen by environment when absent) and GPG. */
export type SigningSettings = (SigningConfig | { readonly mode?: undefined }) & {
  readonly gpg?: GpgSigningConfig
}

/** Advisory severities, lowest first (OSV `database_specific.severity`, CVSS bands). */
export type ScanSeverity = 'low' | 'medium' | 'high' | 'critical'

/**
 * The vulnerability gate: every SBOM of a release is scanned with osv-scanner against an
 * offline OSV database before anything is published. Without it, a release is not scanned
 * (and its record says so).
 */
export interface ScanConfig {
  /**
   * The offline OSV database, relative to the workspace root: a directory of `<ecosystem>/all.zip`
   * (or osv-scanner's own cache, `<dir>/osv-scanner/<ecosystem>/all.zip`), or one `<ecosystem>/all.zip`.
   */
  readonly database: string
  /** Findings at or above this severity stop the release (default `high`); unknown severity counts as `critical`. */
  readonly failOn?: ScanSeverity
  /** How old the database may be, `<n>d` or `<n>h` (default `7d`); older stops the release before building. */
  readonly maxAge?: string
  /** Advisory ids (or their aliases) accepted as not applying; they are still listed. */
  readonly ignore?: readonly string[]
}

/** `polyship.json` at the workspace root. Every field is optional. */
export interface RootConfig {
  readonly outDir?: string
  /**
   * false: `polyship release` compiles in-process even in an Nx workspace. Default: when
   * nx.json names the polyship plugin, the compile step runs as Nx `polyship-build` tasks.
   */
  readonly nx?: boolean
  /** Source repository URL recorded in provenance and image annotations; never with credentials (CONFIG_URL_CREDENTIALS). */
  readonly repository?: string
  readonly signing?: SigningSettings
  /**
   * Replaces image bases by name for the whole release, e.g. `{ "python": "oci:bases/python" }`
   * to build offline from a seeded layout. Explicit only: polyship never swaps a base silently.
   */
  readonly bases?: Readonly<Record<string, string>>
  /** Compiles a release runs at once (projects and their platforms); default: the cores available. */
  readonly concurrency?: number
  readonly destinations?: {
    readonly images?: ImageDestination
    readonly charts?: ImageDestination
    readonly wheels?: WheelDestination
    readonly files?: FileDestination
    readonly npm?: NpmDestination
    /** Where server.json files are published; without it they go only to the files destination. */
    readonly mcpRegistry?: McpRegistryDestination
  }
  readonly scan?: ScanConfig
}

const ociDestination = {
  oneOf: [
    {
      type: 'object',
      required: ['type', 'path'],
      additionalProperties: false,
      properties: { type: { const: 'oci-layout' }, path: { type: 'string' } },
    },
    {
      type: 'object',
      required: ['type', 'repository'],
      additionalProperties: false,
      properties: {
        type: { const: 'registry' },
        repository: { type: 'string' },
        insecure: { type: 'boolean' },
      },
    },
  ],
} as const

/** `{ "type": "directory", "path" }`: an embedded destination directory. */
const directoryDestination = {
  type: 'object',
  required: ['type', 'path'],
  additionalProperties: false,
  properties: { type: { const: 'directory' }, path: { type: 'string' } },
} as const

export const rootSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    outDir: { type: 'string' },
    nx: { type: 'boolean' },
    repository: { type: 'string' },
    bases: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
    concurrency: { type: 'integer', minimum: 1 },
    scan: {
      type: 'object',
      required: ['database'],
      additionalProperties: false,
      properties: {
        database: { type: 'string', minLength: 1 },
        failOn: { enum: ['low', 'medium', 'high', 'critical'] },
        maxAge: { type: 'string', pattern: '^[1-9][0-9]*[dh]$' },
        ignore: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
      },
    },
    signing: {
      type: 'object',
      // `key` and `identityToken` belong to a mode; `signing` may hold only `gpg`
      dependencies: { key: ['mode'], identityToken: ['mode'] },
      additionalProperties: false,
      properties: {
        mode: { enum: ['key', 'keyless', 'none'] },
        key: { type: 'string' },
        identityToken: { type: 'string' },
        gpg: {
          type: 'object',
          additionalProperties: false,
          properties: {
            key: { type: 'string', minLength: 1 },
            artifacts: { enum: ['checksums', 'archives', 'all'] },
            tags: { type: 'boolean' },
          },
        },
      },
    },
    destinations: {
      type: 'object',
      additionalProperties: false,
      properties: {
        images: ociDestination,
        charts: ociDestination,
        wheels: {
          oneOf: [
            {
              type: 'object',
              required: ['type', 'path'],
              additionalProperties: false,
              properties: { type: { const: 'simple-index' }, path: { type: 'string' } },
            },
            {
              type: 'object',
              required: ['type'],
              additionalProperties: false,
              properties: {
                type: { const: 'pypi' },
                url: { type: 'string' },
                repository: { type: 'string', minLength: 1 },
                configFile: { type: 'string', minLength: 1 },
                simpleUrl: { type: 'string' },
                tokenEnv: { type: 'string', minLength: 1 },
                usernameEnv: { type: 'string', minLength: 1 },
                passwordEnv: { type: 'string', minLength: 1 },
                insecure: { type: 'boolean' },
              },
            },
          ],
        },
        npm: {
          oneOf: [
            directoryDestination,
            {
              type: 'object',
              required: ['type', 'url'],
              additionalProperties: false,
              properties: {
                type: { const: 'registry' },
                url: { type: 'string', pattern: '^https?://' },
                insecure: { type: 'boolean' },
              },
            },
          ],
        },
        mcpRegistry: {
          type: 'object',
          required: ['type', 'url'],
          additionalProperties: false,
          properties: {
            type: { const: 'registry' },
            url: { type: 'string', pattern: '^https?://' },
            tokenEnv: { type: 'string', minLength: 1 },
          },
        },
        files: {
          oneOf: [
            directoryDestination,
            {
              type: 'object',
              required: ['type', 'repository'],
              additionalProperties: false,
              properties: {
                type: { const: 'github' },
                repository: { type: 'string' },
                tokenEnv: { type: 'string' },
              },
            },
          ],
        },
      },
    },
  },
} as const
