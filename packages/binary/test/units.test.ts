import {
  archiveFileName,
  checksumsFileName,
  compareGoVersions,
  defaultGoBinaryName,
  encodedRustflags,
  formatChecksums,
  goLdflags,
  parseCargoLock,
  parseGoBuildInfo,
  parseGoMod,
  planRustTarget,
  type RustTargetFacts,
  readonlyGoflags,
} from '@polyship/binary'
import { parsePlatform, sha256 } from '@polyship/core'
import { describe, expect, it } from 'vitest'

const p = (text: string) => parsePlatform(text)

describe('names', () => {
  it('follows GoReleaser: no leading v, zip for windows, armv7, npm scope dropped', () => {
    expect(archiveFileName('time-server-go', 'v1.2.3', p('linux/amd64'))).toBe(
      'time-server-go_1.2.3_linux_amd64.tar.gz',
    )
    expect(archiveFileName('@acme/tool', '1.0.0-rc.1', p('windows/arm64'))).toBe(
      'tool_1.0.0-rc.1_windows_arm64.zip',
    )
    expect(archiveFileName('x', '1.0.0', p('linux/arm/v7'))).toBe('x_1.0.0_linux_armv7.tar.gz')
    expect(archiveFileName('x', '1.0.0', p('linux/arm64/v8'))).toBe('x_1.0.0_linux_arm64.tar.gz')
    expect(checksumsFileName('@acme/tool', 'v2.0.0')).toBe('tool_2.0.0_checksums.txt')
  })

  it('names a Go binary as go build would', () => {
    expect(defaultGoBinaryName('example.com/polyship/time-server-go', '.')).toBe('time-server-go')
    expect(defaultGoBinaryName('github.com/acme/tool/v2', '.')).toBe('tool')
    expect(defaultGoBinaryName('github.com/acme/tool', './cmd/server/')).toBe('server')
  })
})

describe('checksums', () => {
  it('writes sha256sum lines sorted bytewise by name', () => {
    const text = formatChecksums([
      { name: 'b_linux.tar.gz', digest: sha256('b') },
      { name: 'B_upper.zip', digest: sha256('B') },
      { name: 'a_linux.tar.gz', digest: sha256('a') },
    ])
    expect(text.split('\n').map((line) => line.slice(66))).toEqual([
      'B_upper.zip',
      'a_linux.tar.gz',
      'b_linux.tar.gz',
      '',
    ])
    expect(text.startsWith(`${sha256('B').slice(7)}  B_upper.zip\n`)).toBe(true)
  })
})

describe('go flags', () => {
  it('injects version, commit and date, quoting what Go would split', () => {
    expect(goLdflags({ version: '1.2.3', commit: 'abc', date: '2026-01-02T03:04:05Z' })).toBe(
      '-s -w -X main.version=1.2.3 -X main.commit=abc -X main.date=2026-01-02T03:04:05Z',
    )
    expect(
      goLdflags(
        { version: '1.0.0', commit: 'c', date: 'd' },
        { version: 'example.com/x/internal/build.Version' },
      ),
    ).toContain('-X example.com/x/internal/build.Version=1.0.0')
    expect(goLdflags({ version: 'a b', commit: "it's", date: 'd' })).toContain(
      `-X 'main.version=a b' -X "main.commit=it's"`,
    )
  })

  it('forces -mod=readonly (or -mod=vendor for a vendored module) and keeps the other GOFLAGS', () => {
    expect(readonlyGoflags(['-buildvcs=false -mod=mod', undefined, '-tags=netgo'])).toBe(
      '-buildvcs=false -tags=netgo -mod=readonly',
    )
    expect(readonlyGoflags([undefined])).toBe('-mod=readonly')
    expect(readonlyGoflags(['-mod=mod'], true)).toBe('-mod=vendor')
  })

  it('compares Go versions like the go command', () => {
    expect(compareGoVersions('1.26.8', '1.24')).toBeGreaterThan(0)
    expect(compareGoVersions('1.24.0', '1.24')).toBeGreaterThan(0)
    expect(compareGoVersions('1.24rc1', '1.24.0')).toBeLessThan(0)
    expect(compareGoVersions('1.24rc1', '1.24')).toBeGreaterThan(0)
    expect(compareGoVersions('go1.9', '1.10')).toBeLessThan(0)
    expect(compareGoVersions('1.24.1', 'go1.24.1')).toBe(0)
  })

  it('parses go.mod module, go and toolchain lines', () => {
    const text =
      'module "example.com/x" // the module\n\ngo 1.24.1\n\ntoolchain go1.25.0\nrequire (\n\tgo.x v1\n)\n'
    expect(parseGoMod(text, 'go.mod')).toEqual({
      file: 'go.mod',
      module: 'example.com/x',
      go: '1.24.1',
      toolchain: '1.25.0',
    })
  })

  it('parses go version -m -json and rejects what is not build info', () => {
    const info = parseGoBuildInfo(
      JSON.stringify({
        GoVersion: 'go1.26.8',
        Path: 'example.com/x',
        Main: { Path: 'example.com/x', Version: '(devel)' },
        Deps: [
          { Path: 'a.com/a', Version: 'v1.0.0', Sum: 'h1:aaa=' },
          { Path: 'b.com/b', Version: 'v2.0.0', Replace: { Path: '../b', Version: '(devel)' } },
        ],
        Settings: [{ Key: 'GOOS', Value: 'linux' }],
      }),
      'bin',
    )
    expect(info.modules).toEqual([
      { path: 'a.com/a', version: 'v1.0.0', sum: 'h1:aaa=' },
      { path: 'b.com/b', version: 'v2.0.0', replace: { path: '../b', version: '(devel)' } },
    ])
    expect(info.settings).toEqual({ GOOS: 'linux' })
    expect(() => parseGoBuildInfo('not json', 'bin')).toThrow(/bin: output is not JSON/)
  })
})

describe('Rust target planning', () => {
  const facts: RustTargetFacts = {
    host: 'x86_64-unknown-linux-gnu',
    sysroot: '/sysroot',
    installed: new Set(['x86_64-unknown-linux-gnu']),
    zigbuild: true,
    linkers: new Set(),
  }
  const plan = (platform: string, more: Partial<RustTargetFacts> = {}) =>
    planRustTarget(p(platform), { ...facts, ...more }, 'test')

  it('builds the host with cargo and skips a target without its standard library', () => {
    expect(plan('linux/amd64')).toMatchObject({
      status: 'build',
      triple: 'x86_64-unknown-linux-gnu',
      linker: 'cargo',
    })
    expect(plan('linux/arm64')).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(
        /aarch64-unknown-linux-gnu or aarch64-unknown-linux-musl is not installed in \/sysroot \(rustup target add aarch64-unknown-linux-gnu\); cargo-zigbuild provides a linker, not a standard library/,
      ),
    })
  })

  it('cross-links linux musl with cargo-zigbuild, and says what is missing otherwise', () => {
    const musl = new Set([...facts.installed, 'aarch64-unknown-linux-musl'])
    expect(plan('linux/arm64', { installed: musl })).toMatchObject({
      status: 'build',
      triple: 'aarch64-unknown-linux-musl',
      linker: 'zigbuild',
    })
    expect(plan('linux/arm64', { installed: musl, zigbuild: false })).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('needs cargo-zigbuild with zig'),
    })
    const gnu = new Set([...facts.installed, 'aarch64-unknown-linux-gnu'])
    expect(plan('linux/arm64', { installed: gnu })).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('set CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER'),
    })
    expect(
      plan('linux/arm64', { installed: gnu, linkers: new Set(['AARCH64_UNKNOWN_LINUX_GNU']) }),
    ).toMatchObject({
      status: 'build',
      triple: 'aarch64-unknown-linux-gnu',
      linker: 'cargo',
    })
  })

  it('skips darwin and windows from linux even with their std, and builds darwin on darwin', () => {
    const all = new Set([...facts.installed, 'aarch64-apple-darwin', 'x86_64-pc-windows-msvc'])
    expect(plan('darwin/arm64', { installed: all })).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('needs the darwin SDK and linker'),
    })
    expect(plan('windows/amd64', { installed: all })).toMatchObject({ status: 'skipped' })
    expect(
      plan('darwin/amd64', { host: 'aarch64-apple-darwin', installed: new Set(['x86_64-apple-darwin']) }),
    ).toMatchObject({ status: 'build', triple: 'x86_64-apple-darwin', linker: 'cargo' })
  })

  it('throws BINARY_PLATFORM_UNSUPPORTED for a platform with no Rust triple', () => {
    expect(() => plan('freebsd/riscv64')).toThrow(/no Rust target for freebsd\/riscv64/)
  })
})

describe('Rust flags and lockfile', () => {
  it('appends static linking and path remapping to the caller`s flags, spaces intact', () => {
    const flags = encodedRustflags(
      { RUSTFLAGS: '-C opt-level=3', CARGO_HOME: '/home/u/.cargo' },
      'x86_64-unknown-linux-gnu',
      '/src/my repo',
      '/build/target',
    ).split('\x1f')
    expect(flags).toEqual([
      '-C',
      'opt-level=3',
      '-C',
      'target-feature=+crt-static',
      '--remap-path-prefix=/home/u/.cargo/registry/src=/cargo/registry/src',
      '--remap-path-prefix=/home/u/.cargo/git/checkouts=/cargo/git/checkouts',
      '--remap-path-prefix=/src/my repo=.',
      '--remap-path-prefix=/build/target=./target',
    ])
    const darwin = encodedRustflags({ HOME: '/h' }, 'aarch64-apple-darwin', '/src', '/src/target').split(
      '\x1f',
    )
    expect(darwin).not.toContain('target-feature=+crt-static')
    expect(darwin.at(-1)).toBe('--remap-path-prefix=/src=.')
  })

  it('reads name, version, source and checksum from Cargo.lock', () => {
    const lock = [
      'version = 4',
      '[[package]]',
      'name = "app"',
      'version = "0.1.0"',
      '[[package]]',
      'name = "itoa"',
      'version = "1.0.18"',
      'source = "registry+https://github.com/rust-lang/crates.io-index"',
      'checksum = "8f42"',
    ].join('\n')
    expect(parseCargoLock(lock, 'Cargo.lock')).toEqual([
      { name: 'app', version: '0.1.0' },
      {
        name: 'itoa',
        version: '1.0.18',
        source: 'registry+https://github.com/rust-lang/crates.io-index',
        checksum: '8f42',
      },
    ])
    expect(() => parseCargoLock('[[package', 'Cargo.lock')).toThrow(/Cargo\.lock: not valid TOML/)
  })
})
