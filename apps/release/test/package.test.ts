import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const APP = join(import.meta.dirname, '..')
const manifest = JSON.parse(await readFile(join(APP, 'package.json'), 'utf8')) as {
  version: string
  engines: { node: string }
  dependencies: Record<string, string>
  peerDependencies: Record<string, string>
}

let work: string
let tarball: string
let files: string[]
let packed: Record<string, unknown>
let user: string

/** Runs a command with the test's environment; returns what it printed, even on failure. */
async function attempt(command: string, args: string[], cwd: string) {
  try {
    const { stdout, stderr } = await run(command, args, { cwd, timeoutMs: 300_000 })
    return { ok: true, output: stdout + stderr }
  } catch (error) {
    return { ok: false, output: String((error as Error).message) }
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-package-'))
  // `pnpm pack` runs prepack (tsdown) and applies publishConfig, as `pnpm publish` does.
  await run('pnpm', ['pack', '--pack-destination', work], { cwd: APP, timeoutMs: 300_000 })
  tarball = join(work, `polyship-${manifest.version}.tgz`)
  files = (await run('tar', ['tzf', tarball])).stdout.trim().split('\n').sort()
  packed = JSON.parse((await run('tar', ['xzf', tarball, '-O', 'package/package.json'])).stdout)
  // A user's workspace: a temp directory outside this repository, installing the tarball.
  user = join(work, 'user')
  await mkdir(join(user, 'svc'), { recursive: true })
  await writeFile(join(user, 'package.json'), JSON.stringify({ name: 'user-ws', private: true }))
  await writeFile(join(user, 'pnpm-workspace.yaml'), 'packages:\n  - svc\n')
  await writeFile(
    join(user, 'svc', 'package.json'),
    JSON.stringify({
      name: 'svc',
      version: '0.3.0',
      private: true,
      polyship: { binary: { toolchain: 'go', platforms: ['linux/amd64'] } },
    }),
  )
  await writeFile(join(user, 'svc', 'go.mod'), 'module example.com/svc\n\ngo 1.22\n')
  await writeFile(join(user, 'svc', 'main.go'), 'package main\n\nfunc main() {}\n')
  await run('pnpm', ['add', '-D', '-w', tarball], { cwd: user, timeoutMs: 300_000 })
}, 600_000)

afterAll(() => rm(work, { recursive: true, force: true }))

describe('the published polyship package', () => {
  it('holds built JavaScript, bundled types and its license, no sources or tests', () => {
    expect(files).toContain('package/dist/bin.js')
    expect(files).toContain('package/dist/index.d.ts')
    expect(files).toContain('package/dist/nx/plugin.js')
    expect(files).toContain('package/generators.json')
    expect(files).toContain('package/schema/polyship.schema.json')
    expect(files).toContain('package/schema/package-polyship.schema.json')
    expect(files).toContain('package/LICENSE')
    expect(files).toContain('package/README.md')
    expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([])
    expect(files.filter((f) => f.includes('/test/') || f.includes('/src/'))).toEqual([])
  })

  it('has a manifest npm can install: bin and exports into dist, engines, no workspace: protocol', () => {
    expect(packed.bin).toEqual({ polyship: './dist/bin.js' })
    expect(packed.engines).toEqual({ node: '>=24.15.0' })
    expect(JSON.stringify(packed)).not.toContain('workspace:')
    expect(Object.keys(packed.dependencies as object).filter((d) => d.startsWith('@polyship/'))).toEqual([])
  })

  it('imports nothing that is not a declared dependency or a Node builtin', async () => {
    const allowed = new Set([
      ...Object.keys(manifest.dependencies),
      ...Object.keys(manifest.peerDependencies),
      ...builtinModules,
    ])
    const dist = join(user, 'node_modules', 'polyship', 'dist')
    const undeclared = new Set<string>()
    for (const file of await readdir(dist, { recursive: true })) {
      if (!file.endsWith('.js')) continue
      const text = await readFile(join(dist, file), 'utf8')
      for (const [, spec] of text.matchAll(
        /(?:^(?:import|export)\b[^;'"]*?\bfrom\s*|\bimport\(\s*)["']([^"'./][^"']*)["']/gm,
      )) {
        const name = spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!
        if (!spec!.startsWith('node:') && !allowed.has(name)) undeclared.add(`${file}: ${spec}`)
      }
    }
    expect([...undeclared]).toEqual([])
  })

  it('runs from the user workspace: --version is the package version, plan sees the project', async () => {
    const bin = join(user, 'node_modules', '.bin', 'polyship')
    const version = await attempt(bin, ['--version'], user)
    expect(version).toEqual({ ok: true, output: `${manifest.version}\n` })
    const plan = await attempt(bin, ['plan', '--json'], user)
    expect(plan.ok, plan.output).toBe(true)
    expect((JSON.parse(plan.output) as { projects: { name: string }[] }).projects.map((p) => p.name)).toEqual(
      ['svc'],
    )
  })

  it('serves the Nx plugin as polyship/nx-plugin', async () => {
    const probe = join(user, 'probe.mjs')
    await writeFile(
      probe,
      "const m = await import('polyship/nx-plugin'); console.log(typeof m.createNodesV2[1], m.createNodesV2[0])\n",
    )
    expect(await attempt(process.execPath, [probe], user)).toEqual({
      ok: true,
      output: 'function **/package.json\n',
    })
  })

  it('says in one line which Node it needs when started on an older one', async (context) => {
    const old = await attempt('/usr/bin/node', ['--version'], user)
    const major = Number(/^v(\d+)/.exec(old.output)?.[1] ?? 99)
    if (!old.ok || major >= 24) context.skip()
    const bin = join(user, 'node_modules', 'polyship', 'dist', 'bin.js')
    const result = await attempt('/usr/bin/node', [bin, '--version'], user)
    expect(result.ok).toBe(false)
    expect(result.output).toContain(
      `polyship needs Node ${manifest.engines.node.replace('>=', '>= ')}, this is ${old.output.trim()}`,
    )
  })
})
