import { execFileSync } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { buildRustBinaries, findZigbuild } from '@polyship/binary'
import { parsePlatform } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf, makeWorkspace, removeWorkspaces, type TestWorkspace } from './workspace.ts'

const stamp = { commit: 'abc1234', date: '2026-01-02T03:04:05Z' }

/** A dependency-free crate: builds in seconds, offline. */
function tinyRust(overrides: Record<string, string> = {}, polyship: object = {}): Record<string, string> {
  return {
    'package.json': JSON.stringify({
      name: 'tiny-rs',
      version: '1.0.0',
      polyship: { binary: { toolchain: 'rust', platforms: ['linux/amd64'], ...polyship } },
    }),
    'Cargo.toml': '[package]\nname = "tiny-rs"\nversion = "1.0.0"\nedition = "2021"\n',
    'src/main.rs': 'fn main() { println!("tiny"); }\n',
    ...overrides,
  }
}

async function tinyWorkspace(overrides?: Record<string, string>, polyship?: object): Promise<TestWorkspace> {
  const ws = await makeWorkspace(tinyRust(overrides, polyship))
  execFileSync('cargo', ['generate-lockfile', '--offline'], { cwd: ws.project.root, stdio: 'pipe' })
  return ws
}

describe('buildRustBinaries refuses bad input with coded errors', () => {
  afterAll(removeWorkspaces)
  let tiny: TestWorkspace
  beforeAll(async () => {
    tiny = await tinyWorkspace()
  })

  it('shows the compiler error tail: BINARY_BUILD_FAILED', async () => {
    const ws = await tinyWorkspace({ 'src/main.rs': 'fn main() { let x: u32 = "text"; }\n' })
    const message = await codeOf(buildRustBinaries(ws.project, { ...stamp, outDir: ws.outDir }))
    expect(message).toMatch(
      /^BINARY_BUILD_FAILED: cargo build for x86_64-unknown-linux-gnu of tiny-rs failed/,
    )
    expect(message).toContain('error[E0308]: mismatched types')
  })

  it('names the missing toolchain: BINARY_TOOLCHAIN_MISSING', async () => {
    const env = { ...process.env, PATH: '/nonexistent' }
    expect(await codeOf(buildRustBinaries(tiny.project, { ...stamp, outDir: tiny.outDir, env }))).toMatch(
      /^BINARY_TOOLCHAIN_MISSING: (rustc|cargo) is not on PATH/,
    )
  })

  it('checks rust-version against rustc: BINARY_TOOLCHAIN_MISSING', async () => {
    const ws = await tinyWorkspace({
      'Cargo.toml':
        '[package]\nname = "tiny-rs"\nversion = "1.0.0"\nedition = "2021"\nrust-version = "1.999"\n',
    })
    expect(await codeOf(buildRustBinaries(ws.project, { ...stamp, outDir: ws.outDir }))).toMatch(
      /^BINARY_TOOLCHAIN_MISSING: .*Cargo\.toml needs Rust 1\.999 \(rust-version\), but rustc is 1\.\d+/,
    )
  })

  it('fails when no platform can be built here: BINARY_NOTHING_BUILT', async () => {
    const platforms = [parsePlatform('linux/s390x')]
    const message = await codeOf(
      buildRustBinaries(tiny.project, { ...stamp, outDir: tiny.outDir, platforms }),
    )
    expect(message).toMatch(/^BINARY_NOTHING_BUILT: none of tiny-rs's platforms can be built here/)
    expect(message).toContain('linux/s390x: the Rust standard library for s390x-unknown-linux-gnu')
  })

  it('rejects a platform with no Rust target: BINARY_PLATFORM_UNSUPPORTED', async () => {
    const platforms = [parsePlatform('freebsd/s390x')]
    expect(
      await codeOf(buildRustBinaries(tiny.project, { ...stamp, outDir: tiny.outDir, platforms })),
    ).toMatch(/^BINARY_PLATFORM_UNSUPPORTED: .*no Rust target for freebsd\/s390x/)
  })

  it('refuses a Cargo.toml version other than the release version: BINARY_VERSION_MISMATCH', async () => {
    expect(
      await codeOf(buildRustBinaries(tiny.project, { ...stamp, outDir: tiny.outDir, version: '2.0.0' })),
    ).toMatch(
      /^BINARY_VERSION_MISMATCH: .*Cargo\.toml says version 1\.0\.0, but tiny-rs is being released as 2\.0\.0/,
    )
  })

  it('needs a committed Cargo.lock and a real bin target: BINARY_PROJECT_INVALID', async () => {
    const ws = await tinyWorkspace({}, { name: 'other' })
    expect(await codeOf(buildRustBinaries(ws.project, { ...stamp, outDir: ws.outDir }))).toMatch(
      /^BINARY_PROJECT_INVALID: .*package\.json: polyship\.binary\.name: no bin target named "other" in .*Cargo\.toml \(bin targets: tiny-rs\)/,
    )
    await rm(join(ws.project.root, 'Cargo.lock'))
    expect(await codeOf(buildRustBinaries(ws.project, { ...stamp, outDir: ws.outDir }))).toMatch(
      /^BINARY_PROJECT_INVALID: .*Cargo\.lock/,
    )
  })
})

describe('cargo-zigbuild detection', () => {
  it('finds polyship`s cargo-zigbuild and checks that it reaches zig', async () => {
    // Off PATH, it is still found in polyship's tool venv (cargo-zigbuild itself needs rustc on PATH).
    const path = (process.env.PATH ?? '')
      .split(':')
      .filter((dir) => !dir.endsWith('/venv/bin'))
      .join(':')
    const zigbuild = await findZigbuild({ ...process.env, PATH: path })
    expect(zigbuild?.command).toMatch(/venv\/bin\/cargo-zigbuild$/)
    expect(await findZigbuild(process.env, '/nonexistent/cargo-zigbuild')).toBeUndefined()
  })
})
