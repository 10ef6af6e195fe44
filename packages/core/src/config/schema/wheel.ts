import { stringList } from './common.ts'
import type { ConfigOf } from './config-type.ts'

export const wheelSchema = {
  title: 'polyship.wheel',
  description:
    "Python wheels (and an sdist) built by the project's PEP 517 backend: maturin itself for maturin projects, `uv build` for every other backend.",
  type: 'object',
  additionalProperties: false,
  properties: {
    targets: {
      ...stringList,
      minItems: 1,
      description:
        'maturin: Rust target triples, or `host` (default `["host"]`); other backends build for `host` only.',
    },
    compatibility: {
      description:
        'maturin `--compatibility`, e.g. `manylinux_2_17`, `musllinux_1_2`, `pypi` (maturin projects only).',
      type: 'string',
      pattern: '^(pypi|linux|manylinux_\\d+_\\d+|musllinux_\\d+_\\d+|manylinux\\d+)$',
    },
    sdist: { description: 'Build the sdist too (default true).', type: 'boolean' },
    checkReproducible: {
      description:
        'Non-maturin backends: build a second time with the same SOURCE_DATE_EPOCH and compare the bytes, warning when the backend is not reproducible (default false: one build, as `uv build` does).',
      type: 'boolean',
    },
    interpreters: {
      ...stringList,
      description: 'maturin: interpreters for non-abi3 builds, e.g. `python3.11`.',
    },
    path: {
      description: 'Directory of pyproject.toml relative to the project (default `.`).',
      type: 'string',
    },
    distribution: {
      description:
        "The Python distribution name (pyproject.toml `project.name`) when it differs from package.json's `name`, e.g. `fastjson` for a project named `fastjson-py`. Without it the two must be equal after PEP 503 normalization.",
      type: 'string',
      pattern: '^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$',
    },
  },
} as const

/** `polyship.wheel`: Python wheels (and an sdist) built by the project's PEP 517 backend. */
export type WheelConfig = ConfigOf<typeof wheelSchema>
