/** Where each kind of artifact goes. Defaults are embedded destinations under `outDir`. */
export type ImageDestination =
  | { readonly type: 'oci-layout'; readonly path: string }
  | { readonly type: 'registry'; readonly repository: string; readonly insecure?: boolean }

export type WheelDestination =
  | { readonly type: 'simple-index'; readonly path: string }
  | { readonly type: 'pypi'; readonly url: string; readonly tokenEnv?: string }

export type FileDestination =
  | { readonly type: 'directory'; readonly path: string }
  | { readonly type: 'github'; readonly repository: string; readonly tokenEnv?: string }

/** Where npm packages go: a registry, or a directory of tarballs `npm install` takes. */
export type NpmDestination =
  | { readonly type: 'directory'; readonly path: string }
  | { readonly type: 'registry'; readonly url: string; readonly insecure?: boolean }

export type SigningConfig =
  | { readonly mode: 'key'; readonly key?: string }
  | { readonly mode: 'keyless'; readonly identityToken?: string }
  | { readonly mode: 'none' }

/** `polyship.json` at the workspace root. Every field is optional. */
export interface RootConfig {
  readonly outDir?: string
  /** Source repository URL recorded in provenance and image annotations; never with credentials (CONFIG_URL_CREDENTIALS). */
  readonly repository?: string
  readonly signing?: SigningConfig
  /**
   * Replaces image bases by name for the whole release, e.g. `{ "python": "oci:bases/python" }`
   * to build offline from a seeded layout. Explicit only: polyship never swaps a base silently.
   */
  readonly bases?: Readonly<Record<string, string>>
  readonly destinations?: {
    readonly images?: ImageDestination
    readonly charts?: ImageDestination
    readonly wheels?: WheelDestination
    readonly files?: FileDestination
    readonly npm?: NpmDestination
  }
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
    repository: { type: 'string' },
    bases: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
    signing: {
      type: 'object',
      required: ['mode'],
      additionalProperties: false,
      properties: {
        mode: { enum: ['key', 'keyless', 'none'] },
        key: { type: 'string' },
        identityToken: { type: 'string' },
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
              required: ['type', 'url'],
              additionalProperties: false,
              properties: { type: { const: 'pypi' }, url: { type: 'string' }, tokenEnv: { type: 'string' } },
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
