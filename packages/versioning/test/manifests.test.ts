import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { collectingReporter } from '@polyship/core'
import { VersioningError, versionWorkspace } from '@polyship/versioning'
import { describe, expect, it } from 'vitest'
import { addChangeset, changedFiles, commitAll, repoRoot, tempWorkspace } from './workspace.ts'

const changesetsConfig = await readFile(join(repoRoot, '.changeset', 'config.json'), 'utf8')
const manifest = (name: string, polyship: object, dependencies: Record<string, string> = {}) =>
  `${JSON.stringify({ name, version: '1.4.0', private: true, dependencies, polyship }, null, 2)}\n`

async function versioned(files: Record<string, string>, releases: Record<string, string>) {
  const root = await tempWorkspace({
    'package.json': '{ "name": "ws", "version": "0.0.0", "private": true }\n',
    'pnpm-workspace.yaml': 'packages:\n  - p/*\n',
    '.changeset/config.json': changesetsConfig,
    ...files,
  })
  await addChangeset(root, 'change', releases, 'A change')
  await commitAll(root, 'changeset')
  const reporter = collectingReporter()
  const result = await versionWorkspace(root, { reporter }).catch((error: unknown) => error)
  const text = (file: string) => readFile(join(root, file), 'utf8')
  return { root, result, reporter, text }
}

describe('native manifests', () => {
  it('Go: a VERSION file and a Version constant follow; an ldflags placeholder is left alone', async () => {
    const { text } = await versioned(
      {
        'p/clock/package.json': manifest('clock', { binary: { toolchain: 'go', main: './cmd/clock' } }),
        'p/clock/go.mod': 'module example.com/clock\n\ngo 1.24\n',
        'p/clock/VERSION': 'v1.4.0\n',
        'p/clock/cmd/clock/version.go':
          'package main\n\n// Version is set by polyship version.\nconst Version = "1.4.0"\n',
        'p/clock/main.go': 'package main\n\nvar version = "dev"\n',
        'p/clock/pkg/version/version.go': 'package version\n\nvar VERSION = "1.4.0"\n',
      },
      { clock: 'minor' },
    )
    expect(await text('p/clock/VERSION')).toBe('v1.5.0\n')
    expect(await text('p/clock/cmd/clock/version.go')).toBe(
      'package main\n\n// Version is set by polyship version.\nconst Version = "1.5.0"\n',
    )
    expect(await text('p/clock/main.go')).toBe('package main\n\nvar version = "dev"\n')
    expect(await text('p/clock/pkg/version/version.go')).toBe('package version\n\nvar VERSION = "1.5.0"\n')
  })

  it('Go: a project in cmd/<name> of a module above it updates the module’s pkg/version and internal/version files', async () => {
    const { text } = await versioned(
      {
        'pnpm-workspace.yaml': 'packages:\n  - p/pod/cmd/*\n',
        'p/pod/go.mod': 'module example.com/pod\n\ngo 1.24\n',
        'p/pod/cmd/podinfo/package.json': manifest('podinfo', { binary: { toolchain: 'go' } }),
        'p/pod/cmd/podinfo/main.go': 'package main\n\nfunc main() {}\n',
        'p/pod/pkg/version/info.go': 'package version\n\nvar VERSION = "1.4.0"\nvar REVISION = "unknown"\n',
        'p/pod/internal/version/version.go':
          'package version\n\nconst (\n\tName    = "pod"\n\tVersion = "v1.4.0"\n)\n',
        'p/pod/internal/version/version_test.go': 'package version\n\nconst Version = "1.4.0"\n',
        'p/pod/VERSION': 'release train 7\n',
      },
      { podinfo: 'patch' },
    )
    expect(await text('p/pod/pkg/version/info.go')).toBe(
      'package version\n\nvar VERSION = "1.4.1"\nvar REVISION = "unknown"\n',
    )
    expect(await text('p/pod/internal/version/version.go')).toBe(
      'package version\n\nconst (\n\tName    = "pod"\n\tVersion = "v1.4.1"\n)\n',
    )
    // tests are not version files; the module's non-version VERSION file is not the project's
    expect(await text('p/pod/internal/version/version_test.go')).toBe(
      'package version\n\nconst Version = "1.4.0"\n',
    )
    expect(await text('p/pod/VERSION')).toBe('release train 7\n')
  })

  it("Chart.yaml: a project shipping an image and a chart bumps the chart's appVersion with no config", async () => {
    const { text } = await versioned(
      {
        'p/web/package.json': manifest('web', { image: { base: 'static' }, chart: { path: 'deploy' } }),
        'p/web/deploy/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.4.0\nappVersion: "1.4.0"\n',
      },
      { web: 'patch' },
    )
    expect(await text('p/web/deploy/Chart.yaml')).toBe(
      'apiVersion: v2\nname: web\nversion: 1.4.1\nappVersion: "1.4.1"\n',
    )
  })

  it('Chart.yaml: sibling chart dependencies follow the released chart, keeping their operator', async () => {
    const { text } = await versioned(
      {
        'p/db/package.json': manifest('db', { chart: {} }),
        'p/db/Chart.yaml': 'apiVersion: v2\nname: db\nversion: 1.4.0\n',
        'p/stack/package.json': manifest('stack', { chart: { path: 'chart' } }, { db: 'workspace:*' }),
        'p/stack/chart/Chart.yaml': `apiVersion: v2
name: stack
version: "1.4.0"
dependencies:
  - name: db
    version: ~1.4.0 # the sibling chart
    repository: file://../../db
  - name: redis
    version: 19.0.0
    repository: oci://registry-1.docker.io/bitnamicharts
`,
      },
      { db: 'major' },
    )
    expect(await text('p/stack/chart/Chart.yaml')).toBe(`apiVersion: v2
name: stack
version: "1.4.1"
dependencies:
  - name: db
    version: ~2.0.0 # the sibling chart
    repository: file://../../db
  - name: redis
    version: 19.0.0
    repository: oci://registry-1.docker.io/bitnamicharts
`)
  })

  it('pyproject.toml: a dynamic version is left to maturin, which reads the Cargo manifest it names', async () => {
    const { text, root } = await versioned(
      {
        'p/wheel/package.json': manifest('wheel', { wheel: { path: 'py' } }),
        'p/wheel/py/pyproject.toml': `[build-system]
build-backend = "maturin"

[project]
name = "wheel"
dynamic = ["version"]

[tool.maturin]
manifest-path = "../rust/Cargo.toml"
`,
        'p/wheel/rust/Cargo.toml': '[package]\nname = "wheel-core"\nversion = "1.4.0"\n',
      },
      { wheel: 'patch' },
    )
    expect(await text('p/wheel/rust/Cargo.toml')).toBe('[package]\nname = "wheel-core"\nversion = "1.4.1"\n')
    expect((await changedFiles(root)).filter((f) => f.includes('pyproject'))).toEqual([])
  })

  it('a chart whose appVersion follows a released project but has no appVersion field', async () => {
    const { result, root } = await versioned(
      {
        'p/app/package.json': manifest('app', { binary: { toolchain: 'go' } }),
        'p/chart/package.json': manifest(
          'chart',
          { chart: { appVersionFrom: 'app' } },
          { app: 'workspace:*' },
        ),
        'p/chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 1.4.0\n',
      },
      { app: 'minor' },
    )
    expect(result).toBeInstanceOf(VersioningError)
    expect((result as VersioningError).code).toBe('VERSION_MANIFEST_INVALID')
    expect((result as VersioningError).hint).toBe('add appVersion: "1.5.0" to p/chart/Chart.yaml')
    expect(await changedFiles(root)).toEqual([])
  })

  it('warns when a chart follows a released project without depending on it', async () => {
    const { reporter, text } = await versioned(
      {
        'p/app/package.json': manifest('app', { binary: { toolchain: 'go' } }),
        'p/chart/package.json': manifest('chart', { chart: { appVersionFrom: 'app' } }),
        'p/chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 1.4.0\nappVersion: 1.4.0\n',
      },
      { app: 'minor' },
    )
    expect(reporter.events.filter((e) => e.type === 'log')).toEqual([
      {
        type: 'log',
        level: 'warn',
        message:
          'chart takes its appVersion from app, which is released, but it is not: add "app": "workspace:*" to its package.json dependencies',
      },
    ])
    expect(await text('p/chart/Chart.yaml')).toContain('appVersion: 1.4.0')
  })
})
