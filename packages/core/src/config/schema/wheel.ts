import { stringList } from './common.ts'

/**
 * `polyship.wheel`: Python wheels (and an sdist) built by the project's PEP 517 backend:
 * maturin itself for maturin projects, `uv build` for every other backend.
 */
export interface WheelConfig {
  /** maturin: Rust target triples, or `host` (default `["host"]`); other backends build for `host` only. */
  readonly targets?: readonly string[]
  /** maturin `--compatibility`, e.g. `manylinux_2_17`, `musllinux_1_2`, `pypi` (maturin projects only). */
  readonly compatibility?: string
  readonly sdist?: boolean
  /** maturin: interpreters for non-abi3 builds, e.g. `python3.11`. */
  readonly interpreters?: readonly string[]
  /** Directory of pyproject.toml relative to the project (default `.`). */
  readonly path?: string
  /**
   * The Python distribution name (pyproject.toml `project.name`) when it differs from
   * package.json's `name`, e.g. `fastjson` for a project named `fastjson-py`. Without it
   * the two must be equal after PEP 503 normalization.
   */
  readonly distribution?: string
}

export const wheelSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    targets: { ...stringList, minItems: 1 },
    compatibility: {
      type: 'string',
      pattern: '^(pypi|linux|manylinux_\\d+_\\d+|musllinux_\\d+_\\d+|manylinux\\d+)$',
    },
    sdist: { type: 'boolean' },
    interpreters: stringList,
    path: { type: 'string' },
    distribution: { type: 'string', pattern: '^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$' },
  },
} as const
