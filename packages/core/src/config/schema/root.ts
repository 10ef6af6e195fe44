import type { ConfigOf } from './config-type.ts'

const ociDestinationSchema = {
  description:
    'An OCI layout directory or a registry; each image or chart goes to `<repository>/<name>` (registry) or `<path>/<name>` (layout).',
  oneOf: [
    {
      type: 'object',
      required: ['type', 'path'],
      additionalProperties: false,
      properties: {
        type: { const: 'oci-layout' },
        path: { description: 'Directory of OCI layouts, relative to the workspace root.', type: 'string' },
      },
    },
    {
      type: 'object',
      required: ['type', 'repository'],
      additionalProperties: false,
      properties: {
        type: { const: 'registry' },
        repository: { description: 'Registry and path prefix, e.g. `ghcr.io/org`.', type: 'string' },
        insecure: { description: 'Plain http (a local registry on a trusted network).', type: 'boolean' },
      },
    },
  ],
} as const

/** `{ "type": "directory", "path" }`: an embedded destination directory. */
const directoryDestination = {
  type: 'object',
  required: ['type', 'path'],
  additionalProperties: false,
  properties: {
    type: { const: 'directory' },
    path: { description: 'Directory, relative to the workspace root.', type: 'string' },
  },
} as const

const pypiDestinationSchema = {
  description:
    'A PyPI-compatible index (PyPI, TestPyPI, pypiserver, devpi, Artifactory, Nexus), found as twine finds it: these fields first, then `TWINE_REPOSITORY_URL` / `TWINE_USERNAME` / `TWINE_PASSWORD`, then the `.pypirc` repository. `{ "type": "pypi" }` alone is PyPI.',
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { const: 'pypi' },
    url: {
      description:
        "The upload (legacy API) URL; without it, `$TWINE_REPOSITORY_URL`, else the .pypirc repository's `repository`.",
      type: 'string',
    },
    repository: {
      description:
        'A repository (section) of the .pypirc, like `twine --repository`; default `$TWINE_REPOSITORY`, else `pypi`.',
      type: 'string',
      minLength: 1,
    },
    configFile: {
      description:
        'The .pypirc to read, like `twine --config-file` (default `~/.pypirc`); relative to the workspace root.',
      type: 'string',
      minLength: 1,
    },
    simpleUrl: {
      description:
        'The simple (read) API when it is not `simple/` under the upload URL (devpi `+simple`, Artifactory).',
      type: 'string',
    },
    tokenEnv: {
      description:
        'Variable holding an API token, sent as `__token__` (default `PYPI_TOKEN`); when set, the only password source.',
      type: 'string',
      minLength: 1,
    },
    usernameEnv: {
      description:
        "Variable holding the username for `passwordEnv` (default `TWINE_USERNAME`, then the .pypirc's).",
      type: 'string',
      minLength: 1,
    },
    passwordEnv: {
      description: 'Variable holding a password (pypiserver, devpi); when set, the only password source.',
      type: 'string',
      minLength: 1,
    },
    insecure: {
      description:
        'Send credentials over plain http to a host that is not loopback (a trusted network only).',
      type: 'boolean',
    },
  },
} as const

const wheelDestinationSchema = {
  description: 'A PEP 503 simple index directory, or a PyPI-compatible index.',
  oneOf: [
    {
      type: 'object',
      required: ['type', 'path'],
      additionalProperties: false,
      properties: {
        type: { const: 'simple-index' },
        path: { description: 'Directory of the index, relative to the workspace root.', type: 'string' },
      },
    },
    pypiDestinationSchema,
  ],
} as const

const npmDestinationSchema = {
  description:
    'Where npm packages go: a registry, or a directory of tarballs `npm install` takes (default `dist/npm`).',
  oneOf: [
    directoryDestination,
    {
      type: 'object',
      required: ['type', 'url'],
      additionalProperties: false,
      properties: {
        type: { const: 'registry' },
        url: {
          description: 'Registry URL, e.g. `https://registry.npmjs.org/`.',
          type: 'string',
          pattern: '^https?://',
        },
        insecure: {
          description: 'Plain http to a host that is not loopback (a trusted network only).',
          type: 'boolean',
        },
      },
    },
  ],
} as const

const mcpRegistryDestinationSchema = {
  description:
    'An MCP registry (the official one at registry.modelcontextprotocol.io, or a compatible one) that receives the server.json of every project marked `mcp`, through `POST /v0/publish` with a registry token (Bearer) read from `tokenEnv` (default `MCP_REGISTRY_TOKEN`). Without it, server.json files go only to the files destination.',
  type: 'object',
  required: ['type', 'url'],
  additionalProperties: false,
  properties: {
    type: { const: 'registry' },
    url: { description: 'The registry URL.', type: 'string', pattern: '^https?://' },
    tokenEnv: {
      description: 'Variable holding the registry token (default `MCP_REGISTRY_TOKEN`).',
      type: 'string',
      minLength: 1,
    },
  },
} as const

const fileDestinationSchema = {
  description:
    'Where archives, checksums, SBOMs and the release record go: a directory, or a GitHub release.',
  oneOf: [
    directoryDestination,
    {
      type: 'object',
      required: ['type', 'repository'],
      additionalProperties: false,
      properties: {
        type: { const: 'github' },
        repository: { description: '`owner/name` of the GitHub repository.', type: 'string' },
        tokenEnv: {
          description: 'Variable holding the GitHub token (default `GITHUB_TOKEN`).',
          type: 'string',
        },
      },
    },
  ],
} as const

const gpgSigningSchema = {
  description:
    'OpenPGP signatures made with gpg, beside the Sigstore ones (opt-in): `<file>.asc` for the checksums files (and archives), and signed git tags.',
  type: 'object',
  additionalProperties: false,
  properties: {
    key: {
      description:
        'Fingerprint, key id or email of the secret key; default: the only key in $POLYSHIP_GPG_KEY or the keyring.',
      type: 'string',
      minLength: 1,
    },
    artifacts: {
      description:
        "Which files get a `.asc`: `checksums` (default, as GoReleaser's `signs`), `archives`, or `all` of both.",
      enum: ['checksums', 'archives', 'all'],
    },
    tags: {
      description: "Whether the release's git tags are signed (annotated) tags; default true.",
      type: 'boolean',
    },
  },
} as const

const signingSchema = {
  description:
    'The Sigstore mode (chosen by the environment when absent: a key locally, keyless in CI with an OIDC token) and GPG signatures. `signing` may hold only `gpg`.',
  type: 'object',
  // `key` and `identityToken` belong to a mode; `signing` may hold only `gpg`
  dependencies: { key: ['mode'], identityToken: ['mode'] },
  additionalProperties: false,
  properties: {
    mode: {
      description:
        '`key` (a cosign key, generated on first use outside CI), `keyless` (Fulcio + Rekor with an OIDC token) or `none`.',
      enum: ['key', 'keyless', 'none'],
    },
    key: {
      description:
        'mode `key`: the key file (default `~/.config/polyship/cosign.key`, or `$POLYSHIP_SIGNING_KEY`).',
      type: 'string',
    },
    identityToken: {
      description: 'mode `keyless`: the name of the environment variable holding the OIDC identity token.',
      type: 'string',
    },
    gpg: gpgSigningSchema,
  },
} as const

const scanSchema = {
  description:
    'The vulnerability gate: every SBOM of a release is scanned with osv-scanner against an offline OSV database before anything is published. Without it, a release is not scanned (and its record says so).',
  type: 'object',
  required: ['database'],
  additionalProperties: false,
  properties: {
    database: {
      description:
        "The offline OSV database, relative to the workspace root: a directory of `<ecosystem>/all.zip` (or osv-scanner's own cache, `<dir>/osv-scanner/<ecosystem>/all.zip`), or one `<ecosystem>/all.zip`.",
      type: 'string',
      minLength: 1,
    },
    failOn: {
      description:
        'Findings at or above this severity stop the release (default `high`); unknown severity counts as `critical`.',
      enum: ['low', 'medium', 'high', 'critical'],
    },
    maxAge: {
      description:
        'How old the database may be, `<n>d` or `<n>h` (default `7d`); older stops the release before building.',
      type: 'string',
      pattern: '^[1-9][0-9]*[dh]$',
    },
    ignore: {
      description: 'Advisory ids (or their aliases) accepted as not applying; they are still listed.',
      type: 'array',
      items: { type: 'string', minLength: 1 },
      uniqueItems: true,
    },
  },
} as const

export const rootSchema = {
  title: 'polyship.json',
  description: 'polyship workspace configuration, at the workspace root. Every field is optional.',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { description: 'The JSON Schema of this file, for editors.', type: 'string' },
    outDir: {
      description: 'Where build units, staging and the embedded destinations go (default `dist`).',
      type: 'string',
    },
    nx: {
      description:
        '`false`: `polyship release` compiles in-process even in an Nx workspace. Default: when nx.json names the polyship plugin, the compile step runs as Nx `polyship-build` tasks.',
      type: 'boolean',
    },
    repository: {
      description:
        'Source repository URL recorded in provenance and image annotations; never with credentials (CONFIG_URL_CREDENTIALS).',
      type: 'string',
    },
    bases: {
      description:
        'Replaces image bases by name for the whole release, e.g. `{ "python": "oci:bases/python" }` to build offline from a seeded layout. Explicit only: polyship never swaps a base silently.',
      type: 'object',
      additionalProperties: { type: 'string', minLength: 1 },
    },
    concurrency: {
      description:
        'Compiles a release runs at once (projects and their platforms); default: the cores available. `--concurrency N` overrides it.',
      type: 'integer',
      minimum: 1,
    },
    scan: scanSchema,
    signing: signingSchema,
    destinations: {
      description: 'Where each kind of artifact goes. Defaults are embedded destinations under `outDir`.',
      type: 'object',
      additionalProperties: false,
      properties: {
        images: ociDestinationSchema,
        charts: ociDestinationSchema,
        wheels: wheelDestinationSchema,
        npm: npmDestinationSchema,
        mcpRegistry: mcpRegistryDestinationSchema,
        files: fileDestinationSchema,
      },
    },
  },
} as const

/** `polyship.json` at the workspace root. Every field is optional. */
export type RootConfig = ConfigOf<typeof rootSchema>

// the parts are read off RootConfig (one FromSchema for the file keeps type-checking cheap)
type Destinations = NonNullable<RootConfig['destinations']>
/** Where images (and charts) go: an OCI layout directory or a registry. */
export type ImageDestination = NonNullable<Destinations['images']>
export type WheelDestination = NonNullable<Destinations['wheels']>
export type FileDestination = NonNullable<Destinations['files']>
/** Where npm packages go: a registry, or a directory of tarballs `npm install` takes. */
export type NpmDestination = NonNullable<Destinations['npm']>
/** An MCP registry that receives the server.json of every project marked `mcp`. */
export type McpRegistryDestination = NonNullable<Destinations['mcpRegistry']>

/** polyship.json `signing`: the Sigstore mode (default chosen by environment when absent) and GPG. */
export type SigningSettings = NonNullable<RootConfig['signing']>
/** OpenPGP signatures made with gpg, beside the Sigstore ones (opt-in). */
export type GpgSigningConfig = NonNullable<SigningSettings['gpg']>
type SigningMode = NonNullable<SigningSettings['mode']>
/** The Sigstore part of `signing` once a mode is set, one member per mode. */
export type SigningConfig = {
  [M in SigningMode]: Omit<SigningSettings, 'mode' | 'gpg'> & { readonly mode: M }
}[SigningMode]

/** The vulnerability gate: SBOMs scanned with osv-scanner against an offline OSV database. */
export type ScanConfig = NonNullable<RootConfig['scan']>
/** Advisory severities, lowest first (OSV `database_specific.severity`, CVSS bands). */
export type ScanSeverity = NonNullable<ScanConfig['failOn']>
