import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { run } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commitAll, polyship } from './workspace.ts'

/**
 * Go projects (`svc`, then `others`) whose binaries print `tag=x` when built with `-tags x`,
 * else `tag=none`.
 */
async function goWorkspace(parent: string, others: readonly string[] = []): Promise<string> {
  const root = join(parent, 'repo')
  const files: Record<string, string> = {
    'package.json': '{ "name": "reuse-ws", "private": true }\n',
    'pnpm-workspace.yaml': `packages:\n${['svc', ...others].map((p) => `  - ${p}\n`).join('')}`,
    'polyship.json': '{}\n',
    '.gitignore': 'dist/\n',
    'svc/package.json': `${JSON.stringify({
      name: 'svc',
      version: '1.0.0',
      private: true,
      polyship: { binary: { toolchain: 'go', main: '.', platforms: ['linux/amd64'] } },
    })}\n`,
    'svc/go.mod': 'module example.com/svc\n\ngo 1.22\n',
    'svc/main.go':
      'package main\n\nvar tag = "none"\n\nvar extra = ""\n\nfunc main() { println("tag=" + tag + extra) }\n',
    'svc/tagged.go': '//go:build x\n\npackage main\n\nfunc init() { tag = "x" }\n',
  }
  for (const other of others) {
    for (const [file, content] of Object.entries(files))
      if (file.startsWith('svc/')) files[file.replace('svc/', `${other}/`)] = content.replaceAll('svc', other)
  }
  for (const [file, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, file)), { recursive: true })
    await writeFile(join(root, file), content)
  }
  await run('git', ['init', '-q', '-b', 'main'], { cwd: root })
  await commitAll(root, 'svc')
  return root
}

/**
 * A `go` in front of the real one that logs every `go build` (the compiler invocations) and,
 * when FAKE_GOVERSION is set, reports that version to `go env` (a fake of a toolchain upgrade:
 * the one part of this test that is not the real thing).
 */
async function goShim(dir: string): Promise<{ bin: string; log: string; envLog: string }> {
  const real = (await run('sh', ['-c', 'command -v go'])).stdout.trim()
  const bin = join(dir, 'shim')
  const log = join(dir, 'go-builds.log')
  const envLog = join(dir, 'go-env.log')
  await mkdir(bin, { recursive: true })
  await writeFile(log, '')
  await writeFile(envLog, '')
  await writeFile(
    join(bin, 'go'),
    [
      '#!/bin/sh',
      `if [ "$1" = build ]; then echo "$PWD" >> '${log}'; fi`,
      `if [ "$1" = env ] && [ "$2" = -json ]; then echo "$*" >> '${envLog}'; fi`,
      `if [ "$1" = env ] && [ -n "$FAKE_GOVERSION" ]; then '${real}' "$@" | sed "s/\\"go1[^\\"]*\\"/\\"$FAKE_GOVERSION\\"/"; exit; fi`,
      `exec '${real}' "$@"`,
      '',
    ].join('\n'),
  )
  await chmod(join(bin, 'go'), 0o755)
  return { bin, log, envLog }
}

describe('a build unit is reused only when the toolchain, flags and config are the same (real go, real git)', () => {
  let parent: string
  let root: string
  let log: string
  let env: Record<string, string | undefined>
  const builds = async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean).length
  const release = async (extra: Record<string, string | undefined> = {}) => {
    const result = await polyship(['release', '--dry-run', '--debug'], { root, env: { ...env, ...extra } })
    expect(result.code, result.stderr).toBe(0)
    return result
  }
  const unit = async () =>
    JSON.parse(await readFile(join(root, 'dist', 'build', 'svc', 'build.json'), 'utf8'))
  /** What the unit's linux/amd64 binary prints (this machine runs it). */
  const printed = async () => {
    const binary = join(root, 'dist', 'build', 'svc', (await unit()).binaries[0].path)
    const result = await run(binary, [])
    return `${result.stdout}${result.stderr}`.trim()
  }
  const goEnv = (...args: string[]) => run('go', ['env', ...args], { env })

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'polyship-unit-reuse-'))
    root = await goWorkspace(parent)
    const shim = await goShim(parent)
    log = shim.log
    env = {
      ...process.env,
      PATH: `${shim.bin}:${process.env.PATH}`,
      XDG_CONFIG_HOME: join(parent, 'config'),
      // `go env -w` writes here, not to the user's go env
      GOENV: join(parent, 'go.env'),
      SOURCE_DATE_EPOCH: '1700000000',
    }
    for (const name of ['CI', 'GOFLAGS', 'GOAMD64', 'GOEXPERIMENT', 'FAKE_GOVERSION']) delete env[name]
  })
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true })
  })

  it('the same commit with nothing changed reuses the unit: no compile', async () => {
    await release()
    expect(await builds()).toBe(1)
    expect(await printed()).toBe('tag=none')
    expect((await unit()).inputs).toMatchObject({ toolchains: { go: expect.stringMatching(/^go1\./) } })
    const again = await release()
    expect(await builds()).toBe(1)
    expect(again.stderr).toMatch(/svc: reusing /)
  })

  it('`go env -w GOFLAGS=-tags=x` at the same commit rebuilds, and the binary carries the tag', async () => {
    await goEnv('-w', 'GOFLAGS=-tags=x')
    const result = await release()
    expect(await builds()).toBe(2)
    expect(result.stderr).toMatch(/svc: rebuilding .*GOFLAGS changed/)
    expect(await printed()).toBe('tag=x')
    expect((await unit()).inputs.env.GOFLAGS).toBe('-tags=x')
    await release()
    expect(await builds()).toBe(2)
  })

  it('GOFLAGS in the environment is compared as go sees it: the same effective flags reuse, others rebuild', async () => {
    // the environment's GOFLAGS wins over `go env -w`: the same value, the same unit
    await release({ GOFLAGS: '-tags=x' })
    expect(await builds()).toBe(2)
    const other = await release({ GOFLAGS: '-tags=y' })
    expect(await builds()).toBe(3)
    expect(other.stderr).toMatch(/GOFLAGS changed/)
    expect(await printed()).toBe('tag=none')
    await goEnv('-u', 'GOFLAGS')
    await release()
    expect(await builds()).toBe(4)
    expect(await printed()).toBe('tag=none')
  })

  it('GOAMD64 from `go env -w` rebuilds', async () => {
    await goEnv('-w', 'GOAMD64=v2')
    const result = await release()
    expect(await builds()).toBe(5)
    expect(result.stderr).toMatch(/GOAMD64 changed/)
    await goEnv('-u', 'GOAMD64')
    await release()
    expect(await builds()).toBe(6)
  })

  it('another Go version (faked in `go env` by the shim) rebuilds, saying which', async () => {
    const result = await release({ FAKE_GOVERSION: 'go1.99.0' })
    expect(await builds()).toBe(7)
    expect(result.stderr).toMatch(/toolchain go1\.[\d.]+ -> go1\.99\.0/)
  })

  it('a unit written before the inputs were recorded is rebuilt', async () => {
    await release()
    const before = await builds()
    const { inputs: _, ...old } = await unit()
    await writeFile(join(root, 'dist', 'build', 'svc', 'build.json'), JSON.stringify(old))
    const result = await release()
    expect(await builds()).toBe(before + 1)
    expect(result.stderr).toMatch(/built before polyship recorded toolchains and flags/)
  })

  it('a change to binary.ldflags rebuilds: uncommitted (dry run) every time, then committed once', async () => {
    const before = await builds()
    const manifest = join(root, 'svc', 'package.json')
    const json = JSON.parse(await readFile(manifest, 'utf8'))
    json.polyship.binary.ldflags = { extra: ['-X main.extra=+ld'] }
    await writeFile(manifest, `${JSON.stringify(json)}\n`)
    // a dry run builds a dirty project; its unit came from no commit and is never reused
    await release()
    expect(await builds()).toBe(before + 1)
    expect(await printed()).toBe('tag=none+ld')
    expect((await unit()).clean).toBe(false)
    await release()
    expect(await builds()).toBe(before + 2)
    await commitAll(root, 'ldflags')
    await release()
    expect(await builds()).toBe(before + 3)
    expect(await printed()).toBe('tag=none+ld')
    await release()
    expect(await builds()).toBe(before + 3)
  })
})

describe('checking the toolchain costs one `go env` per release, not one per project (real go, real git)', () => {
  it('a release of three Go projects runs `go env` once, a no-change re-run in the same process not at all, and compiles nothing', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'polyship-unit-reuse-'))
    try {
      const root = await goWorkspace(parent, ['svc2', 'svc3'])
      const shim = await goShim(parent)
      const env: Record<string, string | undefined> = {
        ...process.env,
        PATH: `${shim.bin}:${process.env.PATH}`,
        XDG_CONFIG_HOME: join(parent, 'config'),
        GOENV: join(parent, 'go.env'),
        SOURCE_DATE_EPOCH: '1700000000',
      }
      for (const name of ['CI', 'GOFLAGS', 'GOAMD64', 'GOEXPERIMENT', 'FAKE_GOVERSION']) delete env[name]
      const lines = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean).length
      const first = await polyship(['release', '--dry-run'], { root, env })
      expect(first.code, first.stderr).toBe(0)
      expect(await lines(shim.log)).toBe(3)
      // the toolchain check and the unit inputs of all three projects share one `go env`
      expect(await lines(shim.envLog)).toBe(1)
      await writeFile(shim.envLog, '')
      const again = await polyship(['release', '--dry-run', '--debug'], { root, env })
      expect(again.code, again.stderr).toBe(0)
      expect(await lines(shim.log)).toBe(3)
      expect(again.stderr.match(/reusing /g)).toHaveLength(3)
      // same process, same go, environment and go env file: answered without asking go again
      expect(await lines(shim.envLog)).toBe(0)
    } finally {
      await rm(parent, { recursive: true, force: true })
    }
  })
})
