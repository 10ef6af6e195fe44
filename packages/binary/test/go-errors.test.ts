import { execFileSync, spawnSync } from 'node:child_process'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildBinaryRelease, buildGoBinaries, readGitStamp } from '@polyship/binary'
import { loadWorkspace, parsePlatform } from '@polyship/core'
import { afterAll, describe, expect, it } from 'vitest'
import { codeOf, EXAMPLES, makeWorkspace, removeWorkspaces } from './workspace.ts'

const stamp = { commit: 'abc1234', date: '2026-01-02T03:04:05Z' }

/** A dependency-free Go program: builds in a second, offline. */
function tinyGo(overrides: Record<string, string> = {}, polyship: object = {}): Record<string, string> {
  return {
    'package.json': JSON.stringify({
      name: 'tiny',
      version: '1.0.0',
      polyship: { binary: { toolchain: 'go', platforms: ['linux/amd64'], ...polyship } },
    }),
    'go.mod': 'module example.com/tiny\n\ngo 1.22\n',
    'main.go': 'package main\n\nvar version = "dev"\n\nfunc main() { println(version) }\n',
    ...overrides,
  }
}

describe('buildGoBinaries refuses bad input with coded errors', () => {
  afterAll(removeWorkspaces)
  it('shows the compiler error tail: BINARY_BUILD_FAILED', async () => {
    const ws = await makeWorkspace(
      tinyGo({ 'main.go': 'package main\n\nfunc main() { undefinedThing() }\n' }),
    )
    const message = await codeOf(buildGoBinaries(ws.project, { ...stamp, outDir: ws.outDir }))
    expect(message).toMatch(/^BINARY_BUILD_FAILED: go build for linux\/amd64 of tiny failed/)
    expect(message).toContain('main.go:3:15: undefined: undefinedThing')
  })

  it('names the missing toolchain: BINARY_TOOLCHAIN_MISSING', async () => {
    const ws = await makeWorkspace(tinyGo())
    const env = { ...process.env, PATH: '/nonexistent' }
    expect(await codeOf(buildGoBinaries(ws.project, { ...stamp, outDir: ws.outDir, env }))).toMatch(
      /^BINARY_TOOLCHAIN_MISSING: go is not on PATH; .*go\.mod needs Go 1\.22 or newer/,
    )
  })

  it('checks go.mod`s go line against the local Go: BINARY_TOOLCHAIN_MISSING', async () => {
    const ws = await makeWorkspace(tinyGo({ 'go.mod': 'module example.com/tiny\n\ngo 1.99.1\n' }))
    expect(await codeOf(buildGoBinaries(ws.project, { ...stamp, outDir: ws.outDir }))).toMatch(
      /^BINARY_TOOLCHAIN_MISSING: .*go\.mod requires Go >= 1\.99\.1 \(its go line\), but the go on PATH is 1\.\d+/,
    )
  })

  it('rejects a platform Go cannot target: BINARY_PLATFORM_UNSUPPORTED', async () => {
    const ws = await makeWorkspace(tinyGo({}, { platforms: ['darwin/386'] }))
    expect(await codeOf(buildGoBinaries(ws.project, { ...stamp, outDir: ws.outDir }))).toMatch(
      /^BINARY_PLATFORM_UNSUPPORTED: .*Go cannot build darwin\/386 \(not in go tool dist list\)/,
    )
    const platforms = [parsePlatform('linux/arm/v8')]
    expect(await codeOf(buildGoBinaries(ws.project, { ...stamp, outDir: ws.outDir, platforms }))).toMatch(
      /^BINARY_PLATFORM_UNSUPPORTED: .*Go cannot build linux\/arm\/v8 \(no GOARM for variant v8\)/,
    )
  })

  it('rejects an unknown platform when the config loads: PLATFORM_INVALID', async () => {
    const ws = await makeWorkspace(tinyGo())
    await writeFile(
      join(ws.project.root, 'package.json'),
      JSON.stringify({
        name: 'tiny',
        version: '1.0.0',
        polyship: { binary: { toolchain: 'go', platforms: ['plan9/amd64'] } },
      }),
    )
    expect(await codeOf(loadWorkspace(ws.root))).toMatch(
      /^PLATFORM_INVALID: .*"plan9\/amd64" is not a platform/,
    )
  })

  it('refuses uncommitted changes on a release build: BINARY_DIRTY_TREE', async () => {
    const ws = await makeWorkspace(tinyGo(), { git: true })
    const options = { ...(await readGitStamp(ws.root)), outDir: ws.outDir, requireCleanTree: true }
    await writeFile(join(ws.project.root, 'main.go'), 'package main\n\nfunc main() { println("changed") }\n')
    await writeFile(join(ws.project.root, 'notes.txt'), 'untracked\n')
    const message = await codeOf(buildGoBinaries(ws.project, options))
    expect(message).toMatch(/^BINARY_DIRTY_TREE: .* has uncommitted changes/)
    expect(message).toContain(' M proj/main.go')
    expect(message).toContain('?? proj/notes.txt')

    const notGit = await makeWorkspace(tinyGo())
    expect(await codeOf(buildGoBinaries(notGit.project, { ...options, outDir: notGit.outDir }))).toMatch(
      /^BINARY_DIRTY_TREE: cannot tell which commit .* is: git status failed/,
    )
  })

  it('rejects a project whose toolchain is not go: BINARY_PROJECT_INVALID', async () => {
    const rust = await makeWorkspace(join(EXAMPLES, 'echo-server-rust'))
    expect(await codeOf(buildGoBinaries(rust.project, { ...stamp, outDir: rust.outDir }))).toMatch(
      /^BINARY_PROJECT_INVALID: .*package\.json: polyship\.binary\.toolchain is "rust", not "go"/,
    )
    const noGoMod = await makeWorkspace(tinyGo({ 'go.mod': '' }))
    expect(await codeOf(buildGoBinaries(noGoMod.project, { ...stamp, outDir: noGoMod.outDir }))).toMatch(
      /^BINARY_PROJECT_INVALID: .*go\.mod: no module line/,
    )
  })

  it('builds arm v7 with GOARM=7 and names it armv7', async () => {
    const ws = await makeWorkspace(tinyGo({}, { platforms: ['linux/arm/v7'], name: 'tiny-arm' }))
    const build = await buildGoBinaries(ws.project, { ...stamp, outDir: ws.outDir })
    const [binary] = build.binaries
    expect(binary!.artifact.path).toBe(join(ws.outDir, 'tiny-arm_linux_armv7', 'tiny-arm'))
    expect(binary!.dependencies.toolchain === 'go' && binary!.dependencies.settings.GOARM).toBe('7')
  })
})

describe('buildGoBinaries and the user’s own go settings', () => {
  afterAll(removeWorkspaces)
  it('keeps the GOFLAGS of `go env -w` (build tags) beside its own -mod=readonly', async () => {
    const ws = await makeWorkspace(
      tinyGo({
        'tagged.go': '//go:build polyshiptag\n\npackage main\n\nfunc init() { version = "tagged" }\n',
      }),
    )
    const goenv = join(ws.root, 'go.env')
    const env = { ...process.env, GOENV: goenv, GOFLAGS: undefined }
    execFileSync('go', ['env', '-w', 'GOFLAGS=-tags=polyshiptag'], { env })
    const build = await buildGoBinaries(ws.project, { ...stamp, outDir: ws.outDir, env })
    const binary = build.binaries[0]!.artifact.path
    // println writes to stderr; the tagged file ran, so the user's tags reached the build
    expect(spawnSync(binary, { encoding: 'utf8' }).stderr.trim()).toBe('tagged')
    const info = execFileSync('go', ['version', '-m', binary], { encoding: 'utf8' })
    expect(info).toMatch(/-tags=polyshiptag/)
  })
})

describe('archiveFiles ship files of the project only', () => {
  afterAll(removeWorkspaces)
  it('a symlink resolving outside the project is BINARY_PROJECT_INVALID, nothing archived', async () => {
    const ws = await makeWorkspace(tinyGo({}, { archiveFiles: ['deploy/key.pem'] }))
    const outside = join(ws.root, '..', 'id_ed25519')
    await writeFile(outside, 'PRIVATE KEY\n')
    await mkdir(join(ws.project.root, 'deploy'))
    await symlink(outside, join(ws.project.root, 'deploy', 'key.pem'))
    expect(await codeOf(buildBinaryRelease(ws.project, { ...stamp, outDir: ws.outDir }))).toMatch(
      /^BINARY_PROJECT_INVALID: .*archiveFiles\[0\] "deploy\/key\.pem" resolves outside .* \(a symlink\?\)/,
    )
  })
})
