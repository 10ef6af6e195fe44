import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from 'polyship'
import { describe, expect, it } from 'vitest'

function capture(cwd: string) {
  const out: string[] = []
  const err: string[] = []
  const context = {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    env: {},
    cwd,
  }
  return { context, stdout: () => out.join(''), stderr: () => err.join('') }
}

const examples = join(import.meta.dirname, '..', '..', '..')
const COMMANDS = ['init', 'plan', 'changeset', 'status', 'version', 'build', 'package', 'release', 'verify']

/**
 * The product source (not cli.ts, whose help names them all, nor test helpers), and the
 * environment variables it reads as `env.NAME` or `env['NAME']`.
 */
async function productSource(): Promise<{ text: string; read: Set<string> }> {
  const roots = [join(examples, 'apps', 'release', 'src')]
  for (const pkg of await readdir(join(examples, 'packages')))
    roots.push(join(examples, 'packages', pkg, 'src'))
  const texts: string[] = []
  for (const root of roots) {
    const files = await readdir(root, { recursive: true }).catch(() => [] as string[])
    for (const file of files) {
      if (!file.endsWith('.ts') || file.split('/').includes('testing')) continue
      if (join(root, file) === join(examples, 'apps', 'release', 'src', 'cli.ts')) continue
      texts.push(await readFile(join(root, file), 'utf8'))
    }
  }
  const text = texts.join('\n')
  const read = new Set<string>()
  for (const m of text.matchAll(/\benv(?:\?\.|\.)([A-Z][A-Z0-9_]+)\b|\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g)) {
    read.add((m[1] ?? m[2])!)
  }
  return { text, read }
}

describe('polyship CLI', () => {
  it('plan lists every example project and polyship itself with its artifacts, as a table and as JSON', async () => {
    const table = capture(examples)
    expect(await main(['plan'], table.context)).toBe(0)
    expect(table.stdout()).toContain('time-server-go')
    expect(table.stdout()).toContain('time-server-go_0.1.0_windows_amd64.zip')
    const json = capture(examples)
    expect(await main(['plan', '--json'], json.context)).toBe(0)
    const plan = JSON.parse(json.stdout()) as { projects: { name: string; artifacts: { kind: string }[] }[] }
    expect(plan.projects.map((p) => p.name).sort()).toEqual([
      'echo-server-rust',
      'fastjson',
      'mcp-stack',
      'polyship',
      'time-server-go',
    ])
    expect(plan.projects.find((p) => p.name === 'mcp-stack')?.artifacts.map((a) => a.kind)).toEqual(['chart'])
  })

  it('rejects unknown flags, commands and extra arguments as usage errors: a code and exit 2', async () => {
    const flag = capture(examples)
    expect(await main(['plan', '--frobnicate'], flag.context)).toBe(2)
    expect(flag.stderr()).toContain("error CLI_USAGE: Unknown option '--frobnicate'")
    const command = capture(examples)
    expect(await main(['shipit'], command.context)).toBe(2)
    expect(command.stderr()).toContain('error CLI_UNKNOWN_COMMAND: unknown command "shipit"')
    const extra = capture(examples)
    expect(await main(['plan', 'now'], extra.context)).toBe(2)
    expect(extra.stderr()).toContain('error CLI_USAGE: plan takes no arguments, got "now"')
    const bare = capture(examples)
    expect(await main([], bare.context)).toBe(2)
    expect(bare.stdout()).toContain('Usage: polyship <command> [options]')
    expect(bare.stdout()).toMatch(/^ {2}2 {3}usage error/m)
  })

  it("prints with 'polyship help <command>' exactly what '<command> --help' prints", async () => {
    const overview = capture(examples)
    expect(await main(['--help'], overview.context)).toBe(0)
    const helpAlone = capture(examples)
    expect(await main(['help'], helpAlone.context)).toBe(0)
    expect(helpAlone.stdout()).toBe(overview.stdout())
    for (const name of COMMANDS) {
      const viaFlag = capture(examples)
      expect(await main([name, '--help'], viaFlag.context)).toBe(0)
      const viaHelp = capture(examples)
      expect(await main(['help', name], viaHelp.context)).toBe(0)
      expect(viaHelp.stdout()).toBe(viaFlag.stdout())
      expect(viaFlag.stdout()).toMatch(new RegExp(`^Usage: polyship ${name}`))
      expect(overview.stdout()).toMatch(new RegExp(`^ {2}${name} `, 'm'))
    }
    const unknown = capture(examples)
    expect(await main(['help', 'shipit'], unknown.context)).toBe(2)
    expect(unknown.stderr()).toContain('error CLI_UNKNOWN_COMMAND: unknown command "shipit"')
    const two = capture(examples)
    expect(await main(['help', 'plan', 'build'], two.context)).toBe(2)
    expect(two.stderr()).toContain('error CLI_USAGE: help takes at most one command')
  })

  it('lists examples and the environment variables each command reads in its --help', async () => {
    const helps = new Map<string, string>()
    for (const name of COMMANDS) {
      const run = capture(examples)
      await main(['help', name], run.context)
      helps.set(name, run.stdout())
      expect(run.stdout(), name).toMatch(/^Examples?:\n {2}.*polyship /m)
      expect(run.stdout(), name).toMatch(/^Environment:/m)
    }
    const release = helps.get('release')!
    for (const variable of [
      'GITHUB_TOKEN',
      'DOCKER_CONFIG',
      'REGISTRY_AUTH_FILE',
      'HELM_REGISTRY_CONFIG',
      'XDG_RUNTIME_DIR',
      'SOURCE_DATE_EPOCH',
      'PYPI_TOKEN',
      'NPM_TOKEN',
      'POLYSHIP_SIGNING_KEY_PASSPHRASE',
      'SIGSTORE_ID_TOKEN',
    ]) {
      expect(release).toContain(variable)
    }
    expect(helps.get('build')).toContain('SOURCE_DATE_EPOCH')
    expect(helps.get('verify')).toContain('POLYSHIP_TUF_MIRROR')
    expect(helps.get('verify')).toContain('DOCKER_CONFIG')
    expect(helps.get('plan')).not.toContain('GITHUB_TOKEN')

    // every variable the code reads is named in some help, and every name a help gives is read
    const overview = capture(examples)
    await main(['help'], overview.context)
    const documented = [overview.stdout(), ...helps.values()].join('\n')
    const source = await productSource()
    const internal = new Set([
      'HOME',
      'PATH',
      'GOARM',
      'GOAMD64',
      'GOENV',
      'RUSTUP_HOME',
      'POLYSHIP_CRASH_AFTER',
    ]) // GOARM, GOAMD64: a platform's, not the user's; GOENV, RUSTUP_HOME: go's and rustup's own, read only to see `go env -w` and rustup default changes
    expect([...source.read].filter((v) => !internal.has(v) && !documented.includes(v))).toEqual([])
    const named = new Set(documented.match(/(?<!\*)\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b/g))
    const unknown = [...named].filter((v) => !v.startsWith('CLI_') && !source.text.includes(v))
    expect(unknown).toEqual([])
  })

  it('exits non-zero with a coded error naming file and field on bad config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'polyship-cli-'))
    await writeFile(join(dir, 'pnpm-workspace.yaml'), 'packages:\n  - app\n')
    await mkdir(join(dir, 'app'))
    await writeFile(
      join(dir, 'app', 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', polyship: { rpm: {} } }),
    )
    const run = capture(dir)
    expect(await main(['plan'], run.context)).toBe(1)
    expect(run.stderr()).toMatch(/error CONFIG_INVALID: .*app\/package.json: unknown field polyship\.rpm/)
  })

  it("enables Node's compile cache in the temp dir, unless NODE_DISABLE_COMPILE_CACHE says not to", async () => {
    const bin = join(import.meta.dirname, '..', 'src', 'bin.ts')
    const { NODE_COMPILE_CACHE: _set, NODE_DISABLE_COMPILE_CACHE: _off, ...env } = process.env
    const cached = async (extra: Record<string, string>): Promise<string[]> => {
      const tmp = await mkdtemp(join(tmpdir(), 'polyship-cli-cache-'))
      const out = execFileSync(process.execPath, [bin, '--version'], {
        env: { ...env, TMPDIR: tmp, ...extra },
      })
      expect(out.toString()).toMatch(/^\d+\.\d+\.\d+/)
      return readdir(join(tmp, 'node-compile-cache'), { recursive: true }).catch(() => [])
    }
    // start.ts and cli.ts at least, compiled after bin.ts turned the cache on
    expect((await cached({})).length).toBeGreaterThanOrEqual(2)
    expect(await cached({ NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual([])
  })
})
