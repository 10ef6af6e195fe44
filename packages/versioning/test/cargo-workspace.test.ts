import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { versionWorkspace } from '@polyship/versioning'
import { parse as parseToml } from 'smol-toml'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  addChangeset,
  changedFiles,
  commitAll,
  git,
  onlyVersionsChanged,
  repoRoot,
  tempWorkspace,
} from './workspace.ts'

const rustProject = (name: string, extra: object = {}) =>
  `${JSON.stringify({ name, version: '0.3.0', private: true, ...extra, polyship: { binary: { toolchain: 'rust' } } }, null, 2)}\n`

/**
 * `rusty`: a Cargo workspace whose members inherit `[workspace.package].version`, one
 * member with its own version, and `plugin`, another project with its own lock that
 * depends on a rusty crate by path. No registry crates: cargo runs offline.
 */
const files = {
  'package.json': '{ "name": "ws", "version": "0.0.0", "private": true }\n',
  'pnpm-workspace.yaml': 'packages:\n  - projects/*\n',
  'projects/rusty/package.json': rustProject('rusty'),
  'projects/rusty/Cargo.toml': `# The rusty workspace: one version for the CLI and its core.
[workspace]
members = ["crates/*"]
resolver = "2"

[workspace.package]
version = "0.3.0"    # written by polyship version
edition = "2021"
license = "Apache-2.0"

[workspace.dependencies]
rusty-core = { path = "crates/core", version = "0.3.0" }
rusty-util = { path = "crates/util", version = "=2.0.0" }
`,
  'projects/rusty/crates/core/Cargo.toml':
    '[package]\nname = "rusty-core"\nversion.workspace = true\nedition.workspace = true\n\n[dependencies]\nrusty-util.workspace = true\n',
  'projects/rusty/crates/core/src/lib.rs': 'pub fn answer() -> u32 { rusty_util::base() + 2 }\n',
  'projects/rusty/crates/cli/Cargo.toml':
    '[package]\nname = "rusty"\nversion = { workspace = true }\nedition.workspace = true\n\n[dependencies]\nrusty-core = { workspace = true }\n',
  'projects/rusty/crates/cli/src/main.rs': 'fn main() { println!("{}", rusty_core::answer()); }\n',
  'projects/rusty/crates/util/Cargo.toml':
    '[package]\nname = "rusty-util"\nversion = "2.0.0"\nedition = "2021"\n',
  'projects/rusty/crates/util/src/lib.rs': 'pub fn base() -> u32 { 40 }\n',
  'projects/plugin/package.json': rustProject('plugin', { dependencies: { rusty: 'workspace:*' } }),
  'projects/plugin/Cargo.toml': `[package]
name = "plugin"
version = "0.3.0"
edition = "2021"

[dependencies]
rusty-core = { path = "../rusty/crates/core", version = "0.3" } # the released core
`,
  'projects/plugin/src/lib.rs': 'pub fn plugged() -> u32 { rusty_core::answer() }\n',
}

describe('a Cargo workspace whose members inherit the version', () => {
  let root: string

  beforeAll(async () => {
    root = await tempWorkspace({
      ...files,
      '.changeset/config.json': await readFile(join(repoRoot, '.changeset', 'config.json'), 'utf8'),
    })
    for (const project of ['rusty', 'plugin']) {
      await run('cargo', ['generate-lockfile', '--offline'], { cwd: join(root, 'projects', project) })
    }
    await addChangeset(root, 'new-flag', { rusty: 'minor' }, 'Add --json')
    await commitAll(root, 'locks and changeset')
    await versionWorkspace(root)
  })

  it('sets [workspace.package].version and the workspace path dependency, nothing else', async () => {
    expect(await readFile(join(root, 'projects/rusty/Cargo.toml'), 'utf8')).toMatchInlineSnapshot(`
      "# The rusty workspace: one version for the CLI and its core.
      [workspace]
      members = ["crates/*"]
      resolver = "2"

      [workspace.package]
      version = "0.4.0"    # written by polyship version
      edition = "2021"
      license = "Apache-2.0"

      [workspace.dependencies]
      rusty-core = { path = "crates/core", version = "0.4.0" }
      rusty-util = { path = "crates/util", version = "=2.0.0" }
      "
    `)
    expect((await changedFiles(root)).filter((f) => !f.includes('CHANGELOG.md'))).toEqual([
      'D .changeset/new-flag.md',
      'M projects/plugin/Cargo.lock',
      'M projects/plugin/Cargo.toml',
      'M projects/plugin/package.json',
      'M projects/rusty/Cargo.lock',
      'M projects/rusty/Cargo.toml',
      'M projects/rusty/package.json',
    ])
  })

  it('updates both locks so that cargo --locked accepts them, and cargo itself would write the same', async () => {
    for (const project of ['rusty', 'plugin']) {
      const dir = join(root, 'projects', project)
      const lock = await readFile(join(dir, 'Cargo.lock'), 'utf8')
      expect(
        onlyVersionsChanged(await git(root, 'show', `HEAD:projects/${project}/Cargo.lock`), lock),
      ).toEqual([])
      await run('cargo', ['metadata', '--locked', '--offline', '--format-version', '1'], { cwd: dir })
      await run('cargo', ['update', '--workspace', '--offline'], { cwd: dir })
      expect(await readFile(join(dir, 'Cargo.lock'), 'utf8')).toBe(lock)
    }
    const lock = parseToml(await readFile(join(root, 'projects/rusty/Cargo.lock'), 'utf8')) as {
      package: { name: string; version: string }[]
    }
    expect(lock.package.map((p) => `${p.name} ${p.version}`)).toEqual([
      'rusty 0.4.0',
      'rusty-core 0.4.0',
      'rusty-util 2.0.0',
    ])
  })

  it('bumps the dependent project and points its path dependency at the new version', async () => {
    const plugin = parseToml(await readFile(join(root, 'projects/plugin/Cargo.toml'), 'utf8')) as {
      package: { version: string }
      dependencies: Record<string, { version: string }>
    }
    expect(plugin.package.version).toBe('0.3.1')
    expect(plugin.dependencies['rusty-core']?.version).toBe('0.4.0')
  })
})

describe('a project that is one member of a Cargo workspace, with a version of its own', () => {
  let root: string

  beforeAll(async () => {
    root = await tempWorkspace({
      'package.json': '{ "name": "ws", "version": "0.0.0", "private": true }\n',
      'pnpm-workspace.yaml': 'packages:\n  - tools/crates/*\n',
      '.changeset/config.json': await readFile(join(repoRoot, '.changeset', 'config.json'), 'utf8'),
      'tools/Cargo.toml': '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n',
      'tools/crates/cli/package.json': rustProject('cli'),
      'tools/crates/cli/Cargo.toml':
        '[package]\nname = "cli"\nversion = "0.3.0"\nedition = "2021"\n\n[dependencies]\nlib = { path = "../lib" }\n',
      'tools/crates/cli/src/main.rs': 'fn main() { println!("{}", lib::n()); }\n',
      'tools/crates/lib/Cargo.toml': '[package]\nname = "lib"\nversion = "1.0.0"\nedition = "2021"\n',
      'tools/crates/lib/src/lib.rs': 'pub fn n() -> u32 { 1 }\n',
    })
    await run('cargo', ['generate-lockfile', '--offline'], { cwd: join(root, 'tools') })
    await addChangeset(root, 'fix', { cli: 'patch' }, 'Fix')
    await commitAll(root, 'lock and changeset')
    await versionWorkspace(root)
  })

  it("updates the workspace root's Cargo.lock, which cargo --locked then accepts", async () => {
    expect((await changedFiles(root)).filter((f) => !f.includes('CHANGELOG.md'))).toEqual([
      'D .changeset/fix.md',
      'M tools/Cargo.lock',
      'M tools/crates/cli/Cargo.toml',
      'M tools/crates/cli/package.json',
    ])
    await run('cargo', ['metadata', '--locked', '--offline', '--format-version', '1'], {
      cwd: join(root, 'tools'),
    })
    const lock = parseToml(await readFile(join(root, 'tools/Cargo.lock'), 'utf8')) as {
      package: { name: string; version: string }[]
    }
    expect(lock.package.map((p) => `${p.name} ${p.version}`)).toEqual(['cli 0.3.1', 'lib 1.0.0'])
  })
})
