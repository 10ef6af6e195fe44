import { platformList, stringList, stringMap } from './common.ts'

/** `polyship.image`: a container image assembled without a daemon (or built from a Dockerfile). */
export interface ImageConfig {
  /**
   * `static` (built-in minimal base: passwd/group with root and nonroot 65532, CA bundle, /tmp),
   * `scratch`, `python` (the base `python.base` names), `node` (the base `node.base` names, and a
   * Node server image), a registry reference
   * (`docker.io/library/debian:12-slim`) or an OCI layout (`oci:path/to/layout:tag`,
   * relative to the project). Ignored when `dockerfile` is set.
   */
  readonly base: string
  readonly platforms?: readonly string[]
  /** Repository name under the images destination (default: the project name). */
  readonly repository?: string
  readonly entrypoint?: readonly string[]
  readonly cmd?: readonly string[]
  readonly env?: Readonly<Record<string, string>>
  readonly workdir?: string
  readonly ports?: readonly number[]
  /** `uid[:gid]` or a name from the image's /etc/passwd (default `65532:65532`, nonroot). */
  readonly user?: string
  readonly labels?: Readonly<Record<string, string>>
  /**
   * Extra files from the project: `{ from: 'config/app.toml', to: '/etc/app.toml' }`;
   * a directory is copied whole. `owner` is numeric `uid[:gid]` (default 0:0).
   */
  readonly files?: readonly {
    readonly from: string
    readonly to: string
    readonly mode?: string
    readonly owner?: string
  }[]
  /** Where the project's binary artifacts go, one per platform (default `/usr/local/bin`). */
  readonly binaryDir?: string
  /** The Python that wheels are installed for (wheel images). */
  readonly python?: {
    /** The image `base: "python"` stands for (default `docker.io/library/python:3.11-slim`). */
    readonly base?: string
    /** `major.minor` of that Python (default: read from the base tag, else 3.11). */
    readonly version?: string
    /** Default `/usr/local/lib/python<version>/site-packages` (the official python images). */
    readonly sitePackages?: string
    /** Interpreter in the #! line of console-script launchers (default `/usr/local/bin/python<version>`). */
    readonly interpreter?: string
    /** Where launchers and wheel scripts go (default `/usr/local/bin`). */
    readonly scriptsDir?: string
    /**
     * Install the wheel's dependencies (its `Requires-Dist`), resolved by uv for each image
     * platform from `index`, wheels only (default true; nothing runs when the wheel has none).
     */
    readonly dependencies?: boolean
    /**
     * The package index dependencies come from: a PEP 503 simple index URL, or a directory
     * (relative to the project) holding one. Default: uv's own (UV_INDEX_URL, else PyPI).
     */
    readonly index?: string
    /** More indexes after `index` (e.g. PyPI behind the workspace's own); each package comes from the first that has it. */
    readonly extraIndexes?: readonly string[]
    /** A constraints or lock file in requirements format (`uv pip compile` output), relative to the project. */
    readonly constraints?: string
    /** The glibc the base has, as a manylinux tag version (`2_28`, the default; Debian bookworm is `2_36`). */
    readonly manylinux?: string
  }
  /**
   * A Node.js server image: the project (an npm workspace package) deployed with its
   * production dependencies only (`pnpm deploy --prod`) under `dir`, run by `node`. Set by
   * this field or by `base: "node"`.
   */
  readonly node?: {
    /** The image `base: "node"` stands for (default `docker.io/library/node:24-slim`). */
    readonly base?: string
    /** The file `node` runs, relative to the package (default: package.json `bin`, else `main`). */
    readonly entry?: string
    /** Absolute path of node in the image (default: the first `node` on the base's PATH). */
    readonly interpreter?: string
    /** Where the deployed package goes (default `/app`, also the working directory). */
    readonly dir?: string
  }
  /** Tags besides the version: `latest`, `{major}.{minor}`, ... */
  readonly tags?: readonly string[]
  readonly healthcheck?: {
    readonly test: readonly string[]
    readonly interval?: string
    readonly timeout?: string
    readonly retries?: number
    readonly startPeriod?: string
  }
  /** A Dockerfile (relative to the project) built by `docker buildx` or `buildah` instead of assembling. */
  readonly dockerfile?: string
  /** Build context of the Dockerfile, relative to the project (default `.`). */
  readonly context?: string
}

export const imageSchema = {
  type: 'object',
  required: ['base'],
  additionalProperties: false,
  properties: {
    base: { type: 'string', minLength: 1 },
    platforms: platformList,
    // the OCI distribution spec's repository name
    repository: {
      type: 'string',
      maxLength: 255,
      pattern: '^[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$',
    },
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
          owner: { type: 'string', pattern: '^[0-9]{1,7}(:[0-9]{1,7})?$' },
        },
      },
    },
    binaryDir: { type: 'string', pattern: '^/' },
    python: {
      type: 'object',
      additionalProperties: false,
      properties: {
        base: { type: 'string', minLength: 1 },
        version: { type: 'string', pattern: '^[0-9]+\\.[0-9]+$' },
        sitePackages: { type: 'string', pattern: '^/' },
        interpreter: { type: 'string', pattern: '^/' },
        scriptsDir: { type: 'string', pattern: '^/' },
        dependencies: { type: 'boolean' },
        index: { type: 'string', minLength: 1 },
        extraIndexes: stringList,
        constraints: { type: 'string', minLength: 1 },
        manylinux: { type: 'string', pattern: '^(2014|2_[0-9]+)$' },
      },
    },
    node: {
      type: 'object',
      additionalProperties: false,
      properties: {
        base: { type: 'string', minLength: 1 },
        entry: { type: 'string', minLength: 1 },
        interpreter: { type: 'string', pattern: '^/' },
        dir: { type: 'string', pattern: '^/.' },
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
        startPeriod: { type: 'string' },
      },
    },
    dockerfile: { type: 'string' },
    context: { type: 'string' },
  },
} as const
