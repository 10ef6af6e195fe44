import { join } from 'node:path'
import { type BinaryRelease, buildBinaryRelease, readGitStamp } from '@polyship/binary'
import { collectingReporter, formatPlatform } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EXAMPLES,
  expectIdenticalFiles,
  makeWorkspace,
  removeWorkspaces,
  sh,
  type TestWorkspace,
} from './workspace.ts'

const env = { ...process.env, SOURCE_DATE_EPOCH: '1767323045' }

// Two release builds of the example (the slow part of this package's tests): once per
// copy, each with its own CARGO_TARGET_DIR inside the copy.
describe('echo-server-rust, built twice from copies in different directories', () => {
  afterAll(removeWorkspaces)
  let a: TestWorkspace
  let b: TestWorkspace
  let first: BinaryRelease
  let second: BinaryRelease
  const reporter = collectingReporter()

  beforeAll(async () => {
    a = await makeWorkspace(join(EXAMPLES, 'echo-server-rust'), { git: true })
    b = await makeWorkspace(join(EXAMPLES, 'echo-server-rust'), { git: true, nest: ['x', 'longer', 'path'] })
    const options = { ...(await readGitStamp(a.root)), env, reporter, requireCleanTree: true }
    first = await buildBinaryRelease(a.project, { ...options, outDir: a.outDir })
    second = await buildBinaryRelease(b.project, { ...options, outDir: b.outDir })
  })

  it('builds the host target and names every platform it skipped, with the reason', () => {
    expect(first.binaries.map((bin) => [formatPlatform(bin.artifact.platform), bin.target])).toContainEqual([
      'linux/amd64',
      'x86_64-unknown-linux-gnu',
    ])
    const built = new Set(first.binaries.map((bin) => formatPlatform(bin.artifact.platform)))
    const skipped = first.skipped.map((s) => formatPlatform(s.platform))
    expect([...built, ...skipped].sort()).toEqual(['darwin/arm64', 'linux/amd64', 'linux/arm64'])
    for (const skip of first.skipped) expect(skip.reason).toMatch(/not installed|linker|SDK/)
    const events = reporter.events.flatMap((e) => (e.type === 'skipped' ? [e.what] : []))
    expect(events).toHaveLength(2 * first.skipped.length)
  })

  it('runs, prints its version, and is statically linked', () => {
    const linux = first.binaries.find((bin) => bin.target === 'x86_64-unknown-linux-gnu')!
    expect(sh(linux.artifact.path, ['--version']).trim()).toBe('echo-server-rust 0.1.0')
    expect(sh('file', ['-b', linux.artifact.path])).toMatch(/static(-pie)? linked|statically linked/)
  })

  it('archives with LICENSE and README, and checksums that sha256sum -c accepts', () => {
    const archive = first.archives.find((x) => x.name === 'echo-server-rust_0.1.0_linux_amd64.tar.gz')!
    expect(sh('tar', ['-tzf', archive.path]).trim().split('\n')).toEqual([
      'LICENSE',
      'README.md',
      'echo-server-rust',
    ])
    expect(sh('tar', ['-tvzf', archive.path])).toMatch(/^-rwxr-xr-x 0\/0 .* echo-server-rust$/m)
    expect(first.checksums.name).toBe('echo-server-rust_0.1.0_checksums.txt')
    expect(sh('sha256sum', ['-c', first.checksums.name], a.outDir)).toContain(`${archive.name}: OK`)
  })

  it('gives identical bytes for the binary, archive and checksums file', async () => {
    await expectIdenticalFiles(first, second)
  })

  it('lists the crates with versions, sources and Cargo.lock checksums for the SBOM', () => {
    const deps = first.binaries[0]!.dependencies
    expect(deps.toolchain).toBe('rust')
    if (deps.toolchain !== 'rust') return
    expect(deps.root).toEqual({ name: 'echo-server-rust', version: '0.1.0' })
    expect(deps.target).toBe('x86_64-unknown-linux-gnu')
    expect(deps.crates.find((c) => c.name === 'tiny_http')).toEqual({
      name: 'tiny_http',
      version: '0.12.0',
      source: 'registry+https://github.com/rust-lang/crates.io-index',
      checksum: '389915df6413a2e74fb181895f933386023c71110878cd0825588928e64cdc82',
      license: 'MIT OR Apache-2.0',
      buildOnly: false,
    })
    expect(deps.crates.map((c) => c.name)).toContain('serde_json')
    expect(deps.crates.every((c) => c.checksum !== undefined && c.source !== undefined)).toBe(true)
  })
})
