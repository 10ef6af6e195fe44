import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import {
  appendFile,
  chmod,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { run } from '@polyship/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { commitAll, polyship, polyshipProcess } from './workspace.ts'

const REPO = join(import.meta.dirname, '..', '..', '..')
const PLUGIN = join(REPO, 'packages', 'nx-plugin', 'src', 'index.ts')

/**
 * A workspace with one Go server that embeds a page (`//go:embed`), nx.json naming the
 * polyship plugin and the repository's node_modules (nx and polyship themselves).
 */
async function nxWorkspace(
  parent: string,
  services: readonly string[] = ['svc'],
  platforms: readonly string[] = ['linux/amd64'],
): Promise<string> {
  const root = join(parent, 'repo')
  const files: Record<string, string> = {
    'package.json': '{ "name": "nx-ws", "private": true }\n',
    'pnpm-workspace.yaml': `packages:\n${services.map((svc) => `  - ${svc}\n`).join('')}`,
    'polyship.json': '{}\n',
    'nx.json': `${JSON.stringify({ plugins: [PLUGIN] }, null, 2)}\n`,
    '.gitignore': 'node_modules\n.nx\ndist/\n',
  }
  for (const svc of services) {
    files[`${svc}/package.json`] = `${JSON.stringify({
      name: svc,
      version: '1.0.0',
      private: true,
      polyship: { binary: { toolchain: 'go', main: '.', platforms } },
    })}\n`
    files[`${svc}/go.mod`] = `module example.com/${svc}\n\ngo 1.22\n`
    files[`${svc}/main.go`] =
      'package main\n\nimport _ "embed"\n\n//go:embed static/index.html\nvar page string\n\nfunc main() { println(page) }\n'
    files[`${svc}/static/index.html`] = `<h1>${svc}</h1>\n`
    files[`${svc}/NOTES.txt`] = 'not part of any artifact\n'
  }
  for (const [file, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, file)), { recursive: true })
    await writeFile(join(root, file), content)
  }
  await symlink(join(REPO, 'node_modules'), join(root, 'node_modules'))
  await run('git', ['init', '-q', '-b', 'main'], { cwd: root })
  await commitAll(root, services.join(' '))
  return root
}

/** A `go` in front of the real one that logs every `go build`: the compiler invocations. */
async function goShim(dir: string): Promise<{ bin: string; log: string }> {
  const real = (await run('sh', ['-c', 'command -v go'])).stdout.trim()
  const bin = join(dir, 'shim')
  const log = join(dir, 'go-builds.log')
  await mkdir(bin, { recursive: true })
  await writeFile(log, '')
  await writeFile(
    join(bin, 'go'),
    `#!/bin/sh\nif [ "$1" = build ]; then echo "$PWD" >> '${log}'; fi\nexec '${real}' "$@"\n`,
  )
  await chmod(join(bin, 'go'), 0o755)
  return { bin, log }
}

describe('polyship release through Nx (real nx, real go, real git)', () => {
  let parent: string
  let a: string
  let env: Record<string, string | undefined>
  let log: string
  const builds = async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean).length
  /** Each clone's own Nx cache folder (Nx's default is keyed by the workspace's path, outside it). */
  const envOf = (root: string) => ({ ...env, NX_CACHE_DIRECTORY: join(root, '..', 'nx-cache') })
  const nx = (root: string, args: readonly string[]) =>
    run(join(root, 'node_modules', '.bin', 'nx'), [...args, '--outputStyle=static'], {
      cwd: root,
      env: envOf(root),
    })

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'polyship-nx-build-'))
    a = await nxWorkspace(join(parent, 'first'))
    const shim = await goShim(parent)
    log = shim.log
    env = {
      ...process.env,
      PATH: `${shim.bin}:${process.env.PATH}`,
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      XDG_CONFIG_HOME: join(parent, 'config'),
      // `go env -w` writes here, not to the user's go env
      GOENV: join(parent, 'go.env'),
    }
    delete env.CI
    delete env.GOFLAGS
  })

  it('a release after `nx run-many -t polyship-build` compiles nothing', async () => {
    await nx(a, ['run-many', '-t', 'polyship-build'])
    expect(await builds()).toBe(1)
    const result = await polyship(['release', '--dry-run'], { root: a, env: envOf(a) })
    expect(result.code, result.stderr).toBe(0)
    expect(await builds()).toBe(1)
  })

  it("a second clone in another directory, given the first one's Nx cache, reuses every task", async () => {
    const b = join(parent, 'second', 'elsewhere', 'repo')
    await mkdir(dirname(b), { recursive: true })
    await run('git', ['clone', '-q', a, b], { env })
    await symlink(join(REPO, 'node_modules'), join(b, 'node_modules'))
    await cp(join(a, '..', 'nx-cache'), join(b, '..', 'nx-cache'), { recursive: true })
    // Nx's database cache serves only the entries its database lists: the database goes along
    const data = join(a, '.nx', 'workspace-data')
    await mkdir(join(b, '.nx', 'workspace-data'), { recursive: true })
    for (const file of await readdir(data))
      if (file.endsWith('.db')) await cp(join(data, file), join(b, '.nx', 'workspace-data', file))
    const result = await polyship(['release', '--dry-run'], { root: b, env: envOf(b) })
    expect(result.code, result.stderr).toBe(0)
    expect(await builds()).toBe(1)
    const unit = JSON.parse(await readFile(join(b, 'dist', 'build', 'svc', 'build.json'), 'utf8'))
    expect(JSON.stringify(unit)).not.toContain(parent)
    expect(unit.binaries.map((x: { path: string }) => x.path)).toEqual([expect.not.stringMatching(/^\//)])
  })

  it('--no-nx compiles in-process (Nx would have restored the unit from its cache)', async () => {
    await rm(join(a, 'dist'), { recursive: true, force: true })
    const result = await polyship(['release', '--dry-run', '--no-nx'], { root: a, env: envOf(a) })
    expect(result.code, result.stderr).toBe(0)
    expect(await builds()).toBe(2)
  })

  it('an unrelated change is a cache hit; a change to the embedded page compiles again', async () => {
    const before = await builds()
    await appendFile(join(a, 'svc', 'NOTES.txt'), 'more notes\n')
    await commitAll(a, 'notes')
    const unrelated = await nx(a, ['run', 'svc:polyship-build'])
    expect(`${unrelated.stdout}${unrelated.stderr}`).toMatch(/local cache|from the cache/)
    expect(await builds()).toBe(before)

    await appendFile(join(a, 'svc', 'static', 'index.html'), '<p>changed</p>\n')
    await commitAll(a, 'page')
    await nx(a, ['run', 'svc:polyship-build'])
    expect(await builds()).toBe(before + 1)
    expect(existsSync(join(a, 'dist', 'build', 'svc', 'build.json'))).toBe(true)
  })

  /** `go env -w <setting>`, then the task again: a cache miss that compiles; the binary's build info. */
  async function afterGoEnvWrite(setting: string): Promise<string> {
    const before = await builds()
    await run('go', ['env', '-w', setting], { env })
    // without the unit in dist/, only a cache miss compiles (a hit restores the old binary)
    await rm(join(a, 'dist'), { recursive: true, force: true })
    const task = await nx(a, ['run', 'svc:polyship-build'])
    expect(`${task.stdout}${task.stderr}`).not.toMatch(/local cache|from the cache/)
    expect(await builds()).toBe(before + 1)
    const unit = JSON.parse(await readFile(join(a, 'dist', 'build', 'svc', 'build.json'), 'utf8'))
    const info = await run('go', ['version', '-m', join(a, 'dist', 'build', 'svc', unit.binaries[0].path)], {
      env,
    })
    return info.stdout
  }

  it('GOFLAGS stored with `go env -w` are an input of the Go task (they change the binary)', async () => {
    // merged with polyship's own -mod=readonly, not replaced by it
    expect(await afterGoEnvWrite('GOFLAGS=-tags=polyshiptag')).toMatch(/-tags=polyshiptag/)
  })

  it('GOAMD64 stored with `go env -w` is an input of the Go task (another instruction set, another binary)', async () => {
    expect(await afterGoEnvWrite('GOAMD64=v3')).toMatch(/GOAMD64=v3/)
  })
})

describe('polyship-build tasks of several projects at once (real nx, real go)', () => {
  let parent: string
  let root: string
  let env: Record<string, string | undefined>
  let log: string
  const builds = async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean).length
  const unitOf = async (svc: string) =>
    JSON.parse(await readFile(join(root, 'dist', 'build', svc, 'build.json'), 'utf8'))

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'polyship-nx-parallel-'))
    root = await nxWorkspace(parent, ['svc-a', 'svc-b', 'svc-c'], ['linux/amd64', 'linux/arm64'])
    const shim = await goShim(parent)
    log = shim.log
    env = {
      ...process.env,
      PATH: `${shim.bin}:${process.env.PATH}`,
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      NX_CACHE_DIRECTORY: join(parent, 'nx-cache'),
      XDG_CONFIG_HOME: join(parent, 'config'),
    }
    delete env.CI
  })

  it('`nx run-many -t polyship-build --parallel=2` builds every project (no RELEASE_LOCKED between them)', async () => {
    const result = await run(
      join(root, 'node_modules', '.bin', 'nx'),
      ['run-many', '-t', 'polyship-build', '--parallel=2', '--skip-nx-cache', '--outputStyle=static'],
      { cwd: root, env, timeoutMs: 600_000 },
    )
    expect(`${result.stdout}${result.stderr}`).not.toContain('RELEASE_LOCKED')
    expect(await builds()).toBe(6)
    for (const svc of ['svc-a', 'svc-b', 'svc-c'])
      expect((await unitOf(svc)).binaries.map((b: { platform: string }) => b.platform)).toEqual([
        'linux/amd64',
        'linux/arm64',
      ])
    // the release's own Nx run (--parallel up to its concurrency) finds every unit in place
    const release = await polyship(['release', '--dry-run', '--concurrency', '2'], { root, env })
    expect(release.code, release.stderr).toBe(0)
    expect(await builds()).toBe(6)
  })

  it('two processes building the same project take turns: the unit is whole and compiled once', async () => {
    await rm(join(root, 'dist'), { recursive: true, force: true })
    const before = await builds()
    const [first, second] = await Promise.all([
      polyshipProcess(['build', '--only', 'svc-a', '--debug'], { root, env }),
      polyshipProcess(['build', '--only', 'svc-a', '--debug'], { root, env }),
    ])
    expect(first.code, first.stderr).toBe(0)
    expect(second.code, second.stderr).toBe(0)
    // one compiled both platforms, the other waited for its unit lock and reused the unit
    expect(await builds()).toBe(before + 2)
    const unit = await unitOf('svc-a')
    for (const binary of unit.binaries as { path: string; digest: string }[]) {
      const bytes = await readFile(join(root, 'dist', 'build', 'svc-a', binary.path))
      expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(binary.digest)
    }
    expect(`${first.stderr}${second.stderr}`).toMatch(/reusing .*svc-a/)
  })

  it('a build is refused (RELEASE_LOCKED) while another live release holds the workspace lock', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
    try {
      await mkdir(join(root, 'dist'), { recursive: true })
      await writeFile(join(root, 'dist', '.polyship.lock'), `${holder.pid}\n`)
      const refused = await polyship(['build', '--only', 'svc-b'], { root, env })
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain(`error RELEASE_LOCKED: another polyship release (pid ${holder.pid})`)
      // that release's own Nx tasks are told the lock is theirs
      const own = await polyship(['build', '--only', 'svc-b'], {
        root,
        env: { ...env, POLYSHIP_RELEASE_PID: String(holder.pid) },
      })
      expect(own.code, own.stderr).toBe(0)
    } finally {
      holder.kill('SIGKILL')
      await rm(join(root, 'dist', '.polyship.lock'), { force: true })
    }
  })
})
