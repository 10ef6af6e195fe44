import { posix } from 'node:path'
import type { ProjectConfig } from '@polyship/core'

/** Name of the per-project named input holding every file a project's artifacts are made of. */
export const SOURCES_INPUT = 'polyship-sources'

/** `{projectRoot}/<sub>/<pattern>`, without `./` segments Nx would not match. */
function under(sub: string | undefined, pattern: string): string {
  const path = posix.normalize(posix.join(sub ?? '.', pattern))
  return `{projectRoot}/${path}`
}

/**
 * Where a project's build reaches above its own directory, relative to the workspace root
 * (`''` is the root itself): the Go module whose go.mod is above the project, the Cargo
 * workspace whose Cargo.lock is above a member crate.
 */
export interface EnclosingRoots {
  readonly goModule?: string
  readonly cargoWorkspace?: string
}

function atWorkspace(dir: string, pattern: string): string {
  return `{workspaceRoot}/${posix.normalize(posix.join(dir === '' ? '.' : dir, pattern))}`
}

/** What a Go or Rust binary is compiled from. */
function binaryInputs(config: ProjectConfig, roots: EnclosingRoots): string[] {
  switch (config.binary?.toolchain) {
    case 'go': {
      // Tests never reach a binary: a change to *_test.go must not rebuild or re-release it.
      const own = [
        '{projectRoot}/**/*.go',
        '!{projectRoot}/**/*_test.go',
        '{projectRoot}/go.mod',
        '{projectRoot}/go.sum',
        '{projectRoot}/vendor/modules.txt',
      ]
      // go build uses a go.work it finds above the module (polyship does not set GOWORK=off)
      const work = ['{workspaceRoot}/go.work', '{workspaceRoot}/go.work.sum']
      const mod = roots.goModule
      // A project inside a module (cmd/podcli of a module above it) compiles the module's packages too.
      return mod === undefined
        ? [...own, ...work]
        : [
            ...own.slice(0, 2),
            atWorkspace(mod, '**/*.go'),
            `!${atWorkspace(mod, '**/*_test.go')}`,
            atWorkspace(mod, 'go.mod'),
            atWorkspace(mod, 'go.sum'),
            atWorkspace(mod, 'vendor/modules.txt'),
            ...work,
          ]
    }
    case 'rust': {
      // Every crate's src/ and build script (workspace members included); tests/ and benches/ are not shipped.
      const own = [
        '{projectRoot}/**/src/**/*',
        '{projectRoot}/**/build.rs',
        '{projectRoot}/**/Cargo.toml',
        '{projectRoot}/Cargo.lock',
        ...cargoSettings('{projectRoot}'),
        '!{projectRoot}/target/**/*',
      ]
      const ws = roots.cargoWorkspace
      // A member crate builds against the workspace's Cargo.lock and its path crates.
      return ws === undefined
        ? own
        : [
            ...own,
            atWorkspace(ws, 'Cargo.toml'),
            atWorkspace(ws, 'Cargo.lock'),
            atWorkspace(ws, '**/src/**/*'),
            atWorkspace(ws, '**/build.rs'),
            atWorkspace(ws, '**/Cargo.toml'),
            ...cargoSettings(atWorkspace(ws, '.')),
            `!${atWorkspace(ws, 'target/**/*')}`,
          ]
    }
    case undefined:
      return []
  }
}

/**
 * What a wheel and the sdist are built from: the whole Python project directory, as an
 * sdist holds it (pyproject.toml and the backend's files: maturin's Rust core, setuptools'
 * or hatchling's package wherever it lives, tests/ that sdists ship), never build output
 * or virtualenvs; and cargo's settings for a Rust core.
 */
function wheelInputs(config: ProjectConfig): string[] {
  if (config.wheel === undefined) return []
  const at = config.wheel.path
  return [
    under(at, '**/*'),
    ...cargoSettings(under(at, '.')),
    ...[
      'target',
      '.venv',
      'venv',
      'build',
      'dist',
      '**/__pycache__',
      '.pytest_cache',
      '.mypy_cache',
      '.ruff_cache',
    ].map((dir) => `!${under(at, `${dir}/**/*`)}`),
  ]
}

/** Files besides the sources that change what cargo compiles: the pinned toolchain, `.cargo/config.toml` (rustflags, profiles). */
function cargoSettings(dir: string): string[] {
  return ['rust-toolchain.toml', 'rust-toolchain', '.cargo/config.toml', '.cargo/config'].map((file) =>
    posix.join(dir, file),
  )
}

/**
 * What a chart package holds: every file of the chart directory, as `helm package` takes
 * them. `.helmignore` is not translated: ignored files only cause a needless re-package,
 * while a missed one would leave a stale chart in the cache.
 */
function chartInputs(config: ProjectConfig): string[] {
  return config.chart === undefined ? [] : [under(config.chart.path, '**/*')]
}

/** Extra files copied into archives and images. */
function packagedFiles(config: ProjectConfig): string[] {
  const files = [
    ...(config.binary === undefined ? [] : ['{projectRoot}/README*', '{projectRoot}/LICENSE*']),
    ...(config.binary?.archiveFiles ?? []).map((file) => under('.', file)),
    ...(config.image?.files ?? []).map((file) => under('.', file.from)),
    ...(config.image?.dockerfile === undefined ? [] : [under('.', config.image.dockerfile)]),
  ]
  return files
}

/**
 * Inputs of the build target: the compiler's sources, `embedded` files (Go's `//go:embed`,
 * found by the plugin), the version (package.json).
 */
export function buildInputs(
  config: ProjectConfig,
  embedded: readonly string[] = [],
  roots: EnclosingRoots = {},
): string[] {
  return ordered([
    ...binaryInputs(config, roots),
    ...embedded,
    ...wheelInputs(config),
    '{projectRoot}/package.json',
  ])
}

/** The project's `polyship-sources` named input: everything any of its artifacts contains. */
export function sourceInputs(
  config: ProjectConfig,
  embedded: readonly string[] = [],
  roots: EnclosingRoots = {},
): string[] {
  return ordered([...buildInputs(config, embedded, roots), ...chartInputs(config), ...packagedFiles(config)])
}

/** Deduplicated, exclusions (`!pattern`) last so that they apply to every pattern. */
function ordered(patterns: readonly string[]): string[] {
  const unique = [...new Set(patterns)]
  return [...unique.filter((p) => !p.startsWith('!')), ...unique.filter((p) => p.startsWith('!'))]
}
