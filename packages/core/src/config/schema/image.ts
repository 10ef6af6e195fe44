import { platformList, stringList, stringMap } from './common.ts'

/** `polyship.image`: a container image assembled without a daemon (or built from a Dockerfile). */
export interface ImageConfig {
  /** `static` (built-in minimal base), `scratch`, `python` (wheel images), or an image reference. */
  readonly base: string
  readonly platforms?: readonly string[]
  /** Repository name under the images destination (default: the project name). */
  readonly repository?: string
  readonly entrypoint?: readonly string[]
  readonly cmd?: readonly string[]
  readonly env?: Readonly<Record<string, string>>
  readonly workdir?: string
  readonly ports?: readonly number[]
  readonly user?: string
  readonly labels?: Readonly<Record<string, string>>
  /** Extra files from the project: `{ from: 'config/app.toml', to: '/etc/app.toml' }`. */
  readonly files?: readonly { readonly from: string; readonly to: string; readonly mode?: string }[]
  /** Tags besides the version: `latest`, `{major}.{minor}`, ... */
  readonly tags?: readonly string[]
  readonly healthcheck?: {
    readonly test: readonly string[]
    readonly interval?: string
    readonly timeout?: string
    readonly retries?: number
  }
  readonly dockerfile?: string
}

export const imageSchema = {
  type: 'object',
  required: ['base'],
  additionalProperties: false,
  properties: {
    base: { type: 'string', minLength: 1 },
    platforms: platformList,
    repository: { type: 'string', pattern: '^[a-z0-9]+([._/-][a-z0-9]+)*$' },
    entrypoint: stringList,
    cmd: stringList,
    env: stringMap,
    workdir: { type: 'string' },
    ports: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 65535 } },
    user: { type: 'string', minLength: 1 },
    labels: stringMap,
    files: {
      type: 'array',
      items: {
        type: 'object',
        required: ['from', 'to'],
        additionalProperties: false,
        properties: {
          from: { type: 'string' },
          to: { type: 'string' },
          mode: { type: 'string', pattern: '^0?[0-7]{3,4}$' },
        },
      },
    },
    tags: stringList,
    healthcheck: {
      type: 'object',
      required: ['test'],
      additionalProperties: false,
      properties: {
        test: stringList,
        interval: { type: 'string' },
        timeout: { type: 'string' },
        retries: { type: 'integer', minimum: 0 },
      },
    },
    dockerfile: { type: 'string' },
  },
} as const
