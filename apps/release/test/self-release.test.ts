import { spawn } from 'node:child_process'
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { startVerdaccio, type TestVerdaccio } from '@polyship/npm/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CARGO_TARGET_DIR } from './workspace.ts'

/**
 * polyship as a new user gets it, end to end with real processes: this repository releases
 * its own npm package with itself to a loopback Verdaccio (which proxies everything else to
 * the npm registry, as a company registry does); then, in a temp directory outside the
 * repository, an Nx + pnpm workspace holding the example projects without any polyship
 * file installs polyship from that registry, runs `polyship init`, `polyship release` and
 * `polyship verify`. Nothing of this repository is on a path the user's workspace uses.
 */

const REPO = join(import.meta.dirname, '..', '..', '..')
const UPSTREAM = process.env.npm_config_registry ?? 'https://registry.npmjs.org/'
const EXAMPLES = ['time-server-go', 'echo-server-rust', 'fastjson-py', 'charts/mcp-stack'] as const
const SKIP = /(^|\/)(target|dist|node_modules|\.venv|__pycache__)(\/|$)/
const DATE = '2026-01-02T03:04:05Z'

let work: string
let verdaccio: TestVerdaccio
let env: Record<string, string>

/** Project-level .npmrc as users commit it (the token from the environment), and a store of the test's own. */
async function useRegistry(dir: string): Promise<void> {
  const host = new URL(verdaccio.url).host
  await writeFile(
    join(dir, '.npmrc'),
    `registry=${verdaccio.url}\n//${host}/:_authToken=\${NPM_TOKEN}\nstore-dir=${join(work, 'store')}\n`,
  )
}

interface Result {
  readonly code: number | null
  readonly output: string
}

/** A command as a child process in `cwd`, output kept (stdout and stderr together). */
function exec(command: string, args: readonly string[], cwd: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const gitEnv = {
    ...env,
    GIT_AUTHOR_NAME: 'polyship tests',
    GIT_AUTHOR_EMAIL: 'tests@polyship.invalid',
    GIT_COMMITTER_NAME: 'polyship tests',
    GIT_COMMITTER_EMAIL: 'tests@polyship.invalid',
    GIT_AUTHOR_DATE: DATE,
    GIT_COMMITTER_DATE: DATE,
  }
  return (await run('git', args, { cwd, env: gitEnv })).stdout
}

/** Every file under `dir`, relative, with its size and mtime: what "changes nothing" compares. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name).slice(dir.length + 1)
    if (!entry.isFile() || /^(node_modules|dist|\.git|\.nx)\//.test(path)) continue
    const info = await stat(join(dir, path))
    files.set(path, `${info.size}:${info.mtimeMs}`)
  }
  return files
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-self-release-'))
  verdaccio = await startVerdaccio({ uplink: { url: UPSTREAM, local: ['polyship'] } })
  const base: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/TOKEN|^GITHUB_|^PYPI_|^POLYSHIP_|^ACTIONS_|^CI$|^npm_/.test(name))
      base[name] = value
  }
  // A developer's machine, not CI: polyship generates its signing key on first use, here.
  env = { ...base, XDG_CONFIG_HOME: join(work, 'config'), CARGO_TARGET_DIR, NPM_TOKEN: verdaccio.token }
}, 120_000)

afterAll(async () => {
  await verdaccio?.stop()
  await rm(work, { recursive: true, force: true })
})

describe('polyship releases itself, and a new user installs it from the registry', () => {
  let source: string
  let user: string

  it('releases its own npm package to the registry with itself', async () => {
    // The committed tree of this repository, as CI checks it out.
    source = join(work, 'polyship')
    await run('git', ['clone', '-q', '--no-hardlinks', REPO, source])
    const install = await exec('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], source)
    expect(install.code, install.output).toBe(0)
    const config = JSON.parse(await readFile(join(source, 'polyship.json'), 'utf8')) as Record<
      string,
      unknown
    >
    await writeFile(
      join(source, 'polyship.json'),
      JSON.stringify({ ...config, destinations: { npm: { type: 'registry', url: verdaccio.url } } }),
    )
    await useRegistry(source)
    const bin = join(source, 'apps', 'release', 'src', 'bin.ts')
    const release = await exec(process.execPath, [bin, 'release', '--only', 'polyship'], source)
    expect(release.code, release.output).toBe(0)
    const view = await exec(
      'npm',
      ['view', 'polyship', 'version', 'bin.polyship', 'engines.node', '--registry', verdaccio.url],
      work,
    )
    const { version } = JSON.parse(await readFile(join(source, 'apps', 'release', 'package.json'), 'utf8'))
    expect(view.output).toContain(version)
    expect(view.output).toContain('./dist/bin.js')
  }, 600_000)

  it('installs into an Nx + pnpm workspace outside the repository, and init makes it releasable', async () => {
    user = join(work, 'acme')
    const tracked = (await run('git', ['ls-files', '-z', 'examples'], { cwd: REPO })).stdout.split('\0')
    for (const example of EXAMPLES) {
      for (const file of tracked.filter((f) => f.startsWith(`examples/${example}/`) && !SKIP.test(f))) {
        // The user's projects, as they are before polyship: no package.json anywhere.
        if (file.endsWith('/package.json')) continue
        const to = join(user, 'services', file.slice('examples/'.length))
        await mkdir(join(to, '..'), { recursive: true })
        await cp(join(REPO, file), to)
      }
    }
    await writeFile(join(user, 'package.json'), '{ "name": "acme", "private": true }\n')
    await writeFile(
      join(user, 'pnpm-workspace.yaml'),
      '# acme monorepo\npackages: []\nallowBuilds:\n  nx: false\n',
    )
    await writeFile(join(user, 'nx.json'), '{ "$schema": "./node_modules/nx/schemas/nx-schema.json" }\n')
    await writeFile(join(user, '.gitignore'), 'node_modules/\ntarget/\n.nx/\n')
    await git(user, 'init', '-q', '-b', 'main')
    await useRegistry(user)

    const add = await exec('pnpm', ['add', '-D', 'polyship', 'nx@24.0.6'], user)
    expect(add.code, add.output).toBe(0)
    // A real install, not a link into this repository.
    expect((await lstat(join(user, 'node_modules', 'polyship'))).isSymbolicLink()).toBe(true)
    const installed = await run('realpath', [join(user, 'node_modules', 'polyship')])
    expect(installed.stdout.startsWith(REPO)).toBe(false)
    const polyship = join(user, 'node_modules', '.bin', 'polyship')

    const dry = await exec(polyship, ['init', '--dry-run'], user)
    expect(dry.code, dry.output).toBe(0)
    expect(await readdir(join(user, 'services', 'time-server-go'))).not.toContain('package.json')
    const init = await exec(polyship, ['init'], user)
    expect(init.code, init.output).toBe(0)
    await git(user, 'add', '-A')
    await git(user, 'commit', '-q', '-m', 'polyship init')

    const plan = await exec(polyship, ['plan', '--json'], user)
    expect(plan.code, plan.output).toBe(0)
    const projects = (
      JSON.parse(plan.output.slice(plan.output.indexOf('{'))) as { projects: { name: string }[] }
    ).projects
    expect(projects.map((p) => p.name).sort()).toEqual([
      'echo-server-rust',
      'fastjson',
      'mcp-stack',
      'time-server-go',
    ])
    const nx = await exec(
      join(user, 'node_modules', '.bin', 'nx'),
      ['show', 'project', 'time-server-go', '--json'],
      user,
    )
    expect(nx.code, nx.output).toBe(0)
    expect(
      Object.keys((JSON.parse(nx.output.slice(nx.output.indexOf('{'))) as { targets: object }).targets),
    ).toContain('polyship-build')
  }, 600_000)

  it('releases the workspace to the embedded destinations, and verify passes from the outside', async () => {
    const release = await exec(join(user, 'node_modules', '.bin', 'polyship'), ['release'], user)
    expect(release.code, release.output).toBe(0)
    const verify = await exec(
      join(user, 'node_modules', '.bin', 'polyship'),
      ['verify', 'dist/release.json'],
      user,
    )
    expect(verify.code, verify.output).toBe(0)
    const record = await readFile(join(user, 'dist', 'release.json'), 'utf8')
    expect(record).not.toContain(REPO)
  }, 900_000)

  it('a second polyship init changes nothing', async () => {
    const before = await snapshot(user)
    const again = await exec(join(user, 'node_modules', '.bin', 'polyship'), ['init'], user)
    expect(again.code, again.output).toBe(0)
    expect(await snapshot(user)).toEqual(before)
    expect(await git(user, 'status', '--porcelain', '--untracked-files=no')).toBe('')
    // The same through Nx: `nx add polyship` runs this generator after installing.
    const generator = await exec(
      join(user, 'node_modules', '.bin', 'nx'),
      ['g', 'polyship:init', '--no-interactive'],
      user,
    )
    expect(generator.code, generator.output).toBe(0)
    expect(generator.output).toContain('Nothing to change')
    expect(await snapshot(user)).toEqual(before)
  })
})
