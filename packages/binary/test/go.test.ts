import { readFile } from 'node:fs/promises'
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

const EPOCH = '1767323045' // 2026-01-02T03:04:05Z, the fixture commit date
const env = { ...process.env, SOURCE_DATE_EPOCH: EPOCH }

describe('time-server-go, built twice from copies in different directories', () => {
  afterAll(removeWorkspaces)
  let a: TestWorkspace
  let b: TestWorkspace
  let first: BinaryRelease
  let second: BinaryRelease
  const reporter = collectingReporter()

  beforeAll(async () => {
    a = await makeWorkspace(join(EXAMPLES, 'time-server-go'), { git: true })
    b = await makeWorkspace(join(EXAMPLES, 'time-server-go'), {
      git: true,
      nest: ['some', 'deeper', 'place'],
    })
    const stamp = await readGitStamp(a.root)
    const options = { ...stamp, env, reporter, requireCleanTree: true }
    // Different concurrency on purpose: scheduling must not change the bytes.
    first = await buildBinaryRelease(a.project, { ...options, outDir: a.outDir, concurrency: 2 })
    second = await buildBinaryRelease(b.project, { ...options, outDir: b.outDir, concurrency: 1 })
  })

  it('builds all five default platforms with GoReleaser archive names', () => {
    expect(first.binaries.map((bin) => formatPlatform(bin.artifact.platform))).toEqual([
      'linux/amd64',
      'linux/arm64',
      'darwin/amd64',
      'darwin/arm64',
      'windows/amd64',
    ])
    expect(first.skipped).toEqual([])
    expect(first.archives.map((archive) => archive.name)).toEqual([
      'time-server-go_0.1.0_linux_amd64.tar.gz',
      'time-server-go_0.1.0_linux_arm64.tar.gz',
      'time-server-go_0.1.0_darwin_amd64.tar.gz',
      'time-server-go_0.1.0_darwin_arm64.tar.gz',
      'time-server-go_0.1.0_windows_amd64.zip',
    ])
    expect(first.checksums.name).toBe('time-server-go_0.1.0_checksums.txt')
  })

  it('injects version, commit and date into a binary that runs', async () => {
    const stamp = await readGitStamp(a.root)
    const linux = first.binaries[0]!.artifact.path
    expect(sh(linux, ['-version']).trim()).toBe(
      `time-server-go 0.1.0 (commit ${stamp.commit}, built 2026-01-02T03:04:05Z)`,
    )
  })

  it('links statically, and file recognises every platform', () => {
    const described = first.binaries.map((bin) => sh('file', ['-b', bin.artifact.path]))
    expect(described[0]).toMatch(/ELF 64-bit.*x86-64.*statically linked/)
    expect(described[1]).toMatch(/ELF 64-bit.*ARM aarch64.*statically linked/)
    expect(described[2]).toMatch(/Mach-O 64-bit x86_64 executable/)
    expect(described[3]).toMatch(/Mach-O 64-bit arm64 executable/)
    expect(described[4]).toMatch(/PE32\+ executable.*x86-64/)
  })

  it('writes a checksums file that sha256sum -c accepts, sorted by name', async () => {
    const verdicts = sh('sha256sum', ['-c', first.checksums.name], a.outDir).trim().split('\n')
    expect(verdicts).toHaveLength(5)
    for (const line of verdicts) expect(line).toMatch(/^time-server-go_0\.1\.0_\w+\.(tar\.gz|zip): OK$/)
    const names = (await readFile(first.checksums.path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => line.split('  ')[1])
    expect(names).toEqual([...names].sort())
    expect(names).toHaveLength(5)
  })

  it('archives the executable (0755) with LICENSE and README', () => {
    const tar = first.archives[0]!.path
    expect(sh('tar', ['-tzf', tar]).trim().split('\n')).toEqual(['LICENSE', 'README.md', 'time-server-go'])
    expect(sh('tar', ['-tvzf', tar])).toMatch(/^-rwxr-xr-x 0\/0 .* time-server-go$/m)
    const zip = first.archives[4]!.path
    const listing = sh('unzip', ['-l', zip])
    for (const entry of ['LICENSE', 'README.md', 'time-server-go.exe']) expect(listing).toContain(entry)
    expect(sh('zipinfo', [zip])).toMatch(/^-rwxr-xr-x .* time-server-go\.exe$/m)
  })

  it('gives identical bytes for every binary, archive and the checksums file', async () => {
    await expectIdenticalFiles(first, second)
    expect(first.binaries[0]!.artifact.path).not.toBe(second.binaries[0]!.artifact.path)
  })

  it('reads the embedded build info for the SBOM', () => {
    const deps = first.binaries[2]!.dependencies
    expect(deps.toolchain).toBe('go')
    if (deps.toolchain !== 'go') return
    expect(deps.main.path).toBe('example.com/polyship/time-server-go')
    expect(deps.modules).toContainEqual({
      path: 'github.com/go-chi/chi/v5',
      version: 'v5.5.0',
      sum: expect.stringMatching(/^h1:/),
    })
    expect(deps.modules.map((m) => m.path)).toContain('github.com/google/uuid')
    expect(deps.settings).toMatchObject({
      GOOS: 'darwin',
      GOARCH: 'amd64',
      CGO_ENABLED: '0',
      '-trimpath': 'true',
    })
  })

  it('reports every binary, archive and checksums file as an artifact event', () => {
    const kinds = reporter.events.flatMap((e) => (e.type === 'artifact' ? [e.artifact.kind] : []))
    expect(kinds.filter((k) => k === 'binary')).toHaveLength(10)
    expect(kinds.filter((k) => k === 'archive')).toHaveLength(10)
    expect(kinds.filter((k) => k === 'checksums')).toHaveLength(2)
  })
})
