import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { VersioningError, versionWorkspace } from '@polyship/versioning'
import { describe, expect, it } from 'vitest'
import { changedFiles, polyship, repoRoot, tempWorkspace } from './workspace.ts'

const changesetsConfig = await readFile(join(repoRoot, '.changeset', 'config.json'), 'utf8')

const pkg = (name: string, version: string, polyshipField: object, extra: object = {}) =>
  `${JSON.stringify({ name, version, private: true, ...extra, polyship: polyshipField }, null, 2)}\n`

/** Two projects (a Go server and a Rust server) and one pending changeset per test. */
function workspace(overrides: Readonly<Record<string, string>>): Promise<string> {
  return tempWorkspace({
    'package.json': '{ "name": "ws", "version": "0.0.0", "private": true }\n',
    'pnpm-workspace.yaml': 'packages:\n  - apps/*\n',
    '.changeset/config.json': changesetsConfig,
    'apps/clock/package.json': pkg('clock', '1.0.0', { binary: { toolchain: 'go' } }),
    'apps/clock/go.mod': 'module example.com/clock\n\ngo 1.24\n',
    'apps/echo/package.json': pkg('echo', '1.0.0', { binary: { toolchain: 'rust' } }),
    'apps/echo/Cargo.toml': '[package]\nname = "echo"\nversion = "1.0.0"\nedition = "2021"\n',
    '.changeset/pending.md': '---\n"echo": patch\n---\n\nFix it\n',
    ...overrides,
  })
}

async function rejection(root: string): Promise<VersioningError> {
  const error = await versionWorkspace(root).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(VersioningError)
  // Nothing may be half-written when a run fails.
  expect(await changedFiles(root)).toEqual([])
  return error as VersioningError
}

describe('bad input is a coded error and changes nothing', () => {
  it('a changeset naming an unknown project lists the known ones', async () => {
    const root = await workspace({ '.changeset/pending.md': '---\n"ehco": patch\n---\n\nTypo\n' })
    const error = await rejection(root)
    expect(error.code).toBe('VERSION_UNKNOWN_PROJECT')
    expect(error.message).toBe('.changeset/pending.md names "ehco", which is not a project of this workspace')
    expect(error.hint).toBe('known projects: clock, echo')
  })

  it('malformed frontmatter names the changeset file', async () => {
    const root = await workspace({ '.changeset/broken.md': '---\n"echo": patch\n\nNo closing fence\n' })
    const error = await rejection(root)
    expect(error.code).toBe('VERSION_CHANGESET_INVALID')
    expect(error.message).toMatch(/^\.changeset\/broken\.md: missing or invalid frontmatter/)
  })

  it('an unknown bump type names the changeset file', async () => {
    const root = await workspace({ '.changeset/pending.md': '---\n"echo": huge\n---\n\nBig\n' })
    const error = await rejection(root)
    expect(error.code).toBe('VERSION_CHANGESET_INVALID')
    expect(error.message).toMatch(/^\.changeset\/pending\.md: invalid version type "huge"/)
  })

  it('a Cargo.toml inheriting its version with no workspace above it', async () => {
    const root = await workspace({
      'apps/echo/Cargo.toml': '[package]\nname = "echo"\nversion.workspace = true\nedition = "2021"\n',
    })
    const error = await rejection(root)
    expect(error.code).toBe('VERSION_MANIFEST_INVALID')
    expect(error.message).toBe(
      'apps/echo/Cargo.toml: package.version.workspace = true, but no Cargo workspace ([workspace] in a Cargo.toml above it) was found',
    )
  })

  it.each([
    [
      'Cargo.toml',
      'apps/echo/Cargo.toml',
      '[package]\nname = "echo"\nversion = "1.0"\n',
      'package.version "1.0" is not SemVer',
    ],
    [
      'package.json',
      'apps/echo/package.json',
      pkg('echo', '1.0', { binary: { toolchain: 'rust' } }),
      'version "1.0" is not SemVer',
    ],
    [
      'pyproject.toml',
      'apps/echo/pyproject.toml',
      '[project]\nname = "echo"\nversion = "one"\n',
      'project.version "one"',
    ],
    ['VERSION', 'apps/clock/VERSION', 'v1\n', '"v1" is not a SemVer version'],
    [
      'Chart.yaml',
      'apps/echo/Chart.yaml',
      'apiVersion: v2\nname: echo\nversion: latest\n',
      'version "latest" is not SemVer',
    ],
  ])('a non-SemVer version in %s', async (_, file, content, message) => {
    const root = await workspace({
      [file]: content,
      '.changeset/pending.md': '---\n"echo": patch\n"clock": patch\n---\n\nx\n',
    })
    const error = await rejection(root)
    expect(error.code).toBe('VERSION_MANIFEST_INVALID')
    expect(error.message).toContain(file)
    expect(error.message).toContain(message)
  })

  it('a changesets config that changesets rejects', async () => {
    const root = await workspace({
      '.changeset/config.json': JSON.stringify({ privatePackages: { version: false, tag: true } }),
    })
    const error = await rejection(root)
    expect(error.code).toBe('VERSION_CONFIG_INVALID')
    expect(error.message).toContain('.changeset/config.json: privatePackages: Invalid combination')
  })

  it('a changesets config that is not JSON', async () => {
    const error = await rejection(await workspace({ '.changeset/config.json': '{ "baseBranch": main }' }))
    expect(error.code).toBe('VERSION_CONFIG_INVALID')
    expect(error.message).toMatch(/^\.changeset\/config\.json: not valid JSON/)
  })

  it('two projects sharing one Cargo workspace version at different versions conflict', async () => {
    const member = (name: string) => `[package]\nname = "${name}"\nversion.workspace = true\n`
    const root = await workspace({
      'apps/Cargo.toml':
        '[workspace]\nmembers = ["clock", "echo"]\n\n[workspace.package]\nversion = "1.0.0"\n',
      'apps/clock/Cargo.toml': member('clock'),
      'apps/echo/Cargo.toml': member('echo'),
      '.changeset/pending.md': '---\n"echo": patch\n"clock": minor\n---\n\nx\n',
    })
    const error = await rejection(root)
    expect(error.code).toBe('VERSION_CONFLICT')
    expect(error.message).toBe(
      'apps/Cargo.toml: clock needs workspace.package.version = 1.1.0 but echo needs 1.0.1',
    )
  })

  it('the CLI prints the code and hint and exits 1', async () => {
    const root = await workspace({ '.changeset/pending.md': '---\n"ehco": patch\n---\n\nTypo\n' })
    const result = await polyship(root, 'version')
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      'error VERSION_UNKNOWN_PROJECT: .changeset/pending.md names "ehco", which is not a project of this workspace\n  hint: known projects: clock, echo',
    )
  })
})
