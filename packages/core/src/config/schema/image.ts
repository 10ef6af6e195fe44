import { platformList, stringList, stringMap } from './common.ts'
import type { ConfigOf } from './config-type.ts'

const absolutePath = { type: 'string', pattern: '^/' } as const

export const imageSchema = {
  title: 'polyship.image',
  description: 'A container image assembled without a daemon (or built from a Dockerfile).',
  type: 'object',
  required: ['base'],
  additionalProperties: false,
  properties: {
    base: {
      description:
        '`static` (built-in minimal base: passwd/group with root and nonroot 65532, CA bundle, /tmp), `scratch`, `python` (the base `python.base` names), `node` (the base `node.base` names, and a Node server image), a registry reference (`docker.io/library/debian:12-slim`) or an OCI layout (`oci:path/to/layout:tag`, relative to the project). Ignored when `dockerfile` is set.',
      type: 'string',
      minLength: 1,
    },
    platforms: {
      ...platformList,
      description: '`os/arch[/variant]` of the image index (default linux/amd64, linux/arm64).',
    },
    repository: {
      description:
        "Repository name under the images destination (default: the project name); the OCI distribution spec's repository form.",
      type: 'string',
      maxLength: 255,
      pattern: '^[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$',
    },
    entrypoint: { ...stringList, description: 'The image config `Entrypoint`.' },
    cmd: { ...stringList, description: 'The image config `Cmd`.' },
    env: { ...stringMap, description: 'Environment variables of the image.' },
    workdir: { description: 'Working directory of the image.', type: 'string' },
    ports: {
      description: 'TCP ports the image exposes.',
      type: 'array',
      items: { type: 'integer', minimum: 1, maximum: 65535 },
    },
    user: {
      description: "`uid[:gid]` or a name from the image's /etc/passwd (default `65532:65532`, nonroot).",
      type: 'string',
      minLength: 1,
    },
    labels: { ...stringMap, description: 'Image config labels.' },
    files: {
      description:
        'Extra files from the project: `{ "from": "config/app.toml", "to": "/etc/app.toml" }`; a directory is copied whole.',
      type: 'array',
      items: {
        type: 'object',
        required: ['from', 'to'],
        additionalProperties: false,
        properties: {
          from: { description: 'File or directory, relative to the project.', type: 'string' },
          to: { description: 'Absolute path in the image.', type: 'string' },
          mode: { description: 'Octal file mode, e.g. `0644`.', type: 'string', pattern: '^0?[0-7]{3,4}$' },
          owner: {
            description: 'Numeric `uid[:gid]` (default `0:0`).',
            type: 'string',
            pattern: '^[0-9]{1,7}(:[0-9]{1,7})?$',
          },
        },
      },
    },
    binaryDir: {
      ...absolutePath,
      description: "Where the project's binary artifacts go, one per platform (default `/usr/local/bin`).",
    },
    python: {
      description: 'The Python that wheels are installed for (wheel images).',
      type: 'object',
      additionalProperties: false,
      properties: {
        base: {
          description:
            'The image `base: "python"` stands for (default `docker.io/library/python:3.11-slim`).',
          type: 'string',
          minLength: 1,
        },
        version: {
          description: '`major.minor` of that Python (default: read from the base tag, else 3.11).',
          type: 'string',
          pattern: '^[0-9]+\\.[0-9]+$',
        },
        sitePackages: {
          ...absolutePath,
          description: 'Default `/usr/local/lib/python<version>/site-packages` (the official python images).',
        },
        interpreter: {
          ...absolutePath,
          description:
            'Interpreter in the #! line of console-script launchers (default `/usr/local/bin/python<version>`).',
        },
        scriptsDir: {
          ...absolutePath,
          description: 'Where launchers and wheel scripts go (default `/usr/local/bin`).',
        },
        dependencies: {
          description:
            "Install the wheel's dependencies (its `Requires-Dist`), resolved by uv for each image platform from `index`, wheels only (default true; nothing runs when the wheel has none).",
          type: 'boolean',
        },
        index: {
          description:
            "The package index dependencies come from: a PEP 503 simple index URL, or a directory (relative to the project) holding one. Default: uv's own (UV_INDEX_URL, else PyPI).",
          type: 'string',
          minLength: 1,
        },
        extraIndexes: {
          ...stringList,
          description:
            "More indexes after `index` (e.g. PyPI behind the workspace's own); each package comes from the first that has it.",
        },
        constraints: {
          description:
            'A constraints or lock file in requirements format (`uv pip compile` output), relative to the project.',
          type: 'string',
          minLength: 1,
        },
        manylinux: {
          description:
            'The glibc the base has, as a manylinux tag version (`2_28`, the default; Debian bookworm is `2_36`).',
          type: 'string',
          pattern: '^(2014|2_[0-9]+)$',
        },
      },
    },
    node: {
      description:
        'A Node.js server image: the project (an npm workspace package) deployed with its production dependencies only (`pnpm deploy --prod`) under `dir`, run by `node`. Set by this field or by `base: "node"`.',
      type: 'object',
      additionalProperties: false,
      properties: {
        base: {
          description: 'The image `base: "node"` stands for (default `docker.io/library/node:24-slim`).',
          type: 'string',
          minLength: 1,
        },
        entry: {
          description:
            'The file `node` runs, relative to the package (default: package.json `bin`, else `main`).',
          type: 'string',
          minLength: 1,
        },
        interpreter: {
          ...absolutePath,
          description: "Absolute path of node in the image (default: the first `node` on the base's PATH).",
        },
        dir: {
          description: 'Where the deployed package goes (default `/app`, also the working directory).',
          type: 'string',
          pattern: '^/.',
        },
      },
    },
    tags: { ...stringList, description: 'Tags besides the version: `latest`, `{major}.{minor}`, ...' },
    healthcheck: {
      description: 'The image config `Healthcheck`.',
      type: 'object',
      required: ['test'],
      additionalProperties: false,
      properties: {
        test: { ...stringList, description: 'The test command, e.g. `["CMD", "/healthz"]`.' },
        interval: { description: 'Time between checks, e.g. `30s`.', type: 'string' },
        timeout: { description: 'Time a check may take, e.g. `5s`.', type: 'string' },
        retries: {
          description: 'Failures in a row that make the container unhealthy.',
          type: 'integer',
          minimum: 0,
        },
        startPeriod: { description: 'Grace period after start, e.g. `10s`.', type: 'string' },
      },
    },
    dockerfile: {
      description:
        'A Dockerfile (relative to the project) built by `docker buildx` or `buildah` instead of assembling.',
      type: 'string',
    },
    context: {
      description: 'Build context of the Dockerfile, relative to the project (default `.`).',
      type: 'string',
    },
  },
} as const

/** `polyship.image`: a container image assembled without a daemon (or built from a Dockerfile). */
export type ImageConfig = ConfigOf<typeof imageSchema>
