import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type BinaryRelease,
  buildBinaryRelease,
  buildRustBinaries,
  planBinaries,
  readGitStamp,
} from '@polyship/binary'
import { loadWorkspace } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf, makeWorkspace, removeWorkspaces, sh, type TestWorkspace } from './workspace.ts'

const MAIN = (name: string) => `fn main() { println!("${name} {}", env!("CARGO_PKG_VERSION")); }\n`

/**
 * A Cargo virtual workspace (no [package] at the root): `server` with one binary, `tools`
 * with two [[bin]] targets, and a library member without any. Dependency-free: offline.
 */
export function cargoWorkspace(binary: object = {}, version = '2.0.0'): Record<string, string> {
  const member = (name: string) =>
    `[package]\nname = "${name}"\nversion.workspace = true\nedition.workspace = true\n`
  return {
    'package.json': JSON.stringify({
      name: 'suite',
      version,
      polyship: { binary: { toolchain: 'rust', platforms: ['linux/amd64'], ...binary } },
    }),
    'Cargo.toml': `[workspace]\nresolver = "2"\nmembers = ["crates/*"]\n\n[workspace.package]\nversion = "${version}"\nedition = "2021"\n`,
    'crates/server/Cargo.toml': member('server'),
    'crates/server/src/main.rs': MAIN('server'),
    'crates/tools/Cargo.toml': `${member('tools')}\n[[bin]]\nname = "toolctl"\npath = "src/bin/toolctl.rs"\n\n[[bin]]\nname = "toolgen"\npath = "src/bin/toolgen.rs"\n`,
    'crates/tools/src/bin/toolctl.rs': MAIN('toolctl'),
    'crates/tools/src/bin/toolgen.rs': MAIN('toolgen'),
    'crates/common/Cargo.toml': member('common'),
    'crates/common/src/lib.rs': 'pub fn answer() -> u32 { 42 }\n',
    LICENSE: 'MIT\n',
  }
}

export async function cargoWorkspaceAt(binary: object = {}, git = false): Promise<TestWorkspace> {
  const ws = await makeWorkspace(cargoWorkspace(binary))
  execFileSync('cargo', ['generate-lockfile', '--offline'], { cwd: ws.project.root, stdio: 'pipe' })
  if (git) {
    const env = {
      ...process.env,
      GIT_AUTHOR_DATE: '2026-01-02T03:04:05Z',
      GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z',
    }
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', ...args], {
        cwd: ws.root,
        env,
        stdio: 'pipe',
      })
    git('init', '-q', '-b', 'main')
    git('add', '-A')
    git('commit', '-q', '-m', 'fixture')
  }
  return ws
}

describe('a Cargo virtual workspace root as the project', () => {
  afterAll(removeWorkspaces)
  let ws: TestWorkspace
  let release: BinaryRelease

  beforeAll(async () => {
    ws = await cargoWorkspaceAt({}, true)
    release = await buildBinaryRelease(ws.project, {
      ...(await readGitStamp(ws.root)),
      outDir: ws.outDir,
      env: { ...process.env, CARGO_TARGET_DIR: join(ws.outDir, '..', 'target') },
    })
  })

  it('ships every bin target of every member (two [[bin]] of one crate included)', () => {
    expect(release.binaryNames).toEqual(['server', 'toolctl', 'toolgen'])
    expect(release.binaries.map((b) => b.name)).toEqual(['server', 'toolctl', 'toolgen'])
    for (const binary of release.binaries)
      expect(sh(binary.artifact.path, []).trim()).toBe(`${binary.name} 2.0.0`)
  })

  it('records each binary`s own crate as the SBOM root', () => {
    expect(
      release.binaries.map((b) => (b.dependencies.toolchain === 'rust' ? b.dependencies.root.name : '')),
    ).toEqual(['server', 'tools', 'tools'])
  })

  it('archives the three binaries together; sha256sum -c accepts the checksums', () => {
    expect(release.archives.map((a) => a.name)).toEqual(['suite_2.0.0_linux_amd64.tar.gz'])
    expect(sh('tar', ['-tzf', release.archives[0]!.path]).trim().split('\n')).toEqual([
      'LICENSE',
      'server',
      'toolctl',
      'toolgen',
    ])
    expect(sh('sha256sum', ['-c', release.checksums.name], ws.outDir).trim()).toBe(
      'suite_2.0.0_linux_amd64.tar.gz: OK',
    )
  })
})

describe('selecting members and bins of a Cargo workspace', () => {
  afterAll(removeWorkspaces)

  it('binary.packages and binary.bins select what ships', async () => {
    const tools = await cargoWorkspaceAt({ packages: ['tools'] })
    expect((await planBinaries(tools.project)).binaries).toEqual(['toolctl', 'toolgen'])
    const picked = await cargoWorkspaceAt({ bins: ['toolgen', 'server'] })
    expect((await planBinaries(picked.project)).binaries).toEqual(['server', 'toolgen'])
  })

  it('an unknown member or bin, or name beside bins, is BINARY_PROJECT_INVALID naming the field', async () => {
    const member = await cargoWorkspaceAt({ packages: ['tools', 'nope'] })
    expect(await codeOf(planBinaries(member.project))).toMatch(
      /^BINARY_PROJECT_INVALID: .*package\.json: polyship\.binary\.packages\[1\]: "nope" is not a member of the Cargo workspace at .* \(members: .*common.*server.*tools.*\)/,
    )
    const bin = await cargoWorkspaceAt({ bins: ['server', 'toolz'] })
    expect(await codeOf(planBinaries(bin.project))).toMatch(
      /^BINARY_PROJECT_INVALID: .*polyship\.binary\.bins\[1\]: no bin target named "toolz" .*\(bin targets: server \(server\), toolctl \(tools\), toolgen \(tools\)\)/,
    )
    const both = await cargoWorkspaceAt({ bins: ['server'], name: 'server' })
    expect(await codeOf(planBinaries(both.project))).toMatch(
      /^BINARY_PROJECT_INVALID: .*polyship\.binary: set name \(one bin target\) or bins \(several\), not both/,
    )
  })

  it('a Go-only field on a Rust project (and the reverse) is BINARY_PROJECT_INVALID naming it', async () => {
    const ws = await cargoWorkspaceAt({ tags: ['x'] })
    expect(await codeOf(planBinaries(ws.project))).toMatch(
      /^BINARY_PROJECT_INVALID: .*package\.json: polyship\.binary\.tags applies to Go binaries only; this project's toolchain is "rust"/,
    )
    const go = { ...ws.project, config: { binary: { toolchain: 'go' as const, bins: ['x'] } } }
    expect(await codeOf(planBinaries(go))).toMatch(
      /^BINARY_PROJECT_INVALID: .*polyship\.binary\.bins applies to Rust binaries only/,
    )
  })

  it('a member version other than the release version is BINARY_VERSION_MISMATCH', async () => {
    const ws = await cargoWorkspaceAt()
    const project = { ...ws.project, version: '2.1.0' }
    expect(await codeOf(buildRustBinaries(project, { commit: 'c', date: 'd', outDir: ws.outDir }))).toMatch(
      /^BINARY_VERSION_MISMATCH: .*crates\/server\/Cargo\.toml says version 2\.0\.0, but suite is being released as 2\.1\.0/,
    )
  })

  it('a member crate as the project ships its own bins only', async () => {
    const ws = await cargoWorkspaceAt()
    const dir = join(ws.project.root, 'crates', 'tools')
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'tools', version: '2.0.0', polyship: { binary: { toolchain: 'rust' } } }),
    )
    await writeFile(join(ws.root, 'pnpm-workspace.yaml'), 'packages:\n  - proj/crates/tools\n')
    const project = (await loadWorkspace(ws.root)).projects[0]!
    expect((await planBinaries(project, { platforms: [] })).binaries).toEqual(['toolctl', 'toolgen'])
  })
})
