import { appendFile, cp, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { run } from '@polyship/core'
import { beforeAll, describe, expect, it } from 'vitest'

const repoRoot = join(import.meta.dirname, '..', '..', '..')
const SKIPPED = new Set(['target', 'node_modules', '.venv', 'dist', '__pycache__'])

const env = {
  ...process.env,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  GIT_AUTHOR_NAME: 'polyship test',
  GIT_AUTHOR_EMAIL: 'test@polyship.invalid',
  GIT_COMMITTER_NAME: 'polyship test',
  GIT_COMMITTER_EMAIL: 'test@polyship.invalid',
}
const git = (cwd: string, ...args: string[]) => run('git', args, { cwd, env })

/** A git repository shaped like this workspace: examples/, pnpm-workspace.yaml, nx.json with the plugin. */
async function workspaceCopy(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'polyship-affected-'))
  await cp(join(repoRoot, 'examples'), join(root, 'examples'), {
    recursive: true,
    filter: (source) => !SKIPPED.has(basename(source)),
  })
  await writeFile(join(root, 'package.json'), '{ "name": "ws", "version": "0.0.0", "private": true }\n')
  await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - examples/*\n  - examples/charts/*\n')
  const plugin = join(repoRoot, 'packages', 'nx-plugin', 'src', 'index.ts')
  await writeFile(join(root, 'nx.json'), `${JSON.stringify({ plugins: [plugin] }, null, 2)}\n`)
  await writeFile(join(root, '.gitignore'), 'node_modules\n.nx\ntarget/\n')
  // An embedded asset, as Go servers ship their web UI: //go:embed in a package below main.
  await mkdir(join(root, 'examples/time-server-go/ui/static'), { recursive: true })
  await writeFile(join(root, 'examples/time-server-go/ui/static/index.html'), '<h1>time</h1>\n')
  await writeFile(
    join(root, 'examples/time-server-go/ui/ui.go'),
    'package ui\n\nimport "embed"\n\n//go:embed static\nvar Static embed.FS\n',
  )
  await writeFile(join(root, 'examples/time-server-go/NOTES.txt'), 'not part of any artifact\n')
  // The repo's own node_modules: nx itself, nothing installed per test.
  await symlink(join(repoRoot, 'node_modules'), join(root, 'node_modules'))
  await git(root, 'init', '-q', '-b', 'main')
  await git(root, 'add', '-A')
  await git(root, 'commit', '-q', '-m', 'init')
  return root
}

interface Explanation {
  readonly affected: Record<string, unknown>
  readonly touched: readonly string[]
}

/** Commits a one-line change to `file`, then asks Nx which polyship-package tasks it affects. */
async function affectedBy(root: string, file: string): Promise<Explanation> {
  await appendFile(join(root, file), file.endsWith('.go') ? '\n// changed\n' : '\n# changed\n')
  await git(root, 'commit', '-q', '-am', `change ${file}`)
  const nx = join(root, 'node_modules', '.bin', 'nx')
  const { stdout } = await run(
    nx,
    ['affected', '-t', 'polyship-package', '--base=HEAD~1', '--head=HEAD', '--explain=stdout'],
    { cwd: root, env },
  )
  return JSON.parse(stdout.slice(stdout.indexOf('{'))) as Explanation
}

describe('nx affected with the polyship plugin (real nx, real git)', () => {
  let root: string
  beforeAll(async () => {
    root = await workspaceCopy()
  })

  it('a Go source change selects time-server-go and the chart that deploys it, not fastjson or echo', async () => {
    const explanation = await affectedBy(root, 'examples/time-server-go/main.go')
    expect(Object.keys(explanation.affected).sort()).toEqual([
      'mcp-stack:polyship-package',
      'time-server-go:polyship-package',
    ])
    expect([...explanation.touched].sort()).toEqual([
      'mcp-stack:polyship-package',
      'time-server-go:polyship-build',
      'time-server-go:polyship-package',
    ])
    const { stdout } = await run(
      join(root, 'node_modules', '.bin', 'nx'),
      ['show', 'projects', '--affected', '--base=HEAD~1', '--head=HEAD', '--json'],
      { cwd: root, env },
    )
    const projects = JSON.parse(stdout.slice(stdout.indexOf('['))) as string[]
    expect(projects.sort()).toEqual(['mcp-stack', 'time-server-go'])
  })

  it('a file a Go package embeds (//go:embed) invalidates the Go build; a file nothing ships does not', async () => {
    const embedded = await affectedBy(root, 'examples/time-server-go/ui/static/index.html')
    expect(embedded.touched).toContain('time-server-go:polyship-build')
    const unrelated = await affectedBy(root, 'examples/time-server-go/NOTES.txt')
    expect(unrelated.affected).toEqual({})
  })

  it('a Go test file reaches no release target', async () => {
    const explanation = await affectedBy(root, 'examples/time-server-go/main_test.go')
    expect(explanation.affected).toEqual({})
  })

  it('a Python source change selects only the wheel project', async () => {
    const explanation = await affectedBy(root, 'examples/fastjson-py/python/fastjson/cli.py')
    const { name } = JSON.parse(await readFile(join(root, 'examples/fastjson-py/package.json'), 'utf8')) as {
      name: string
    }
    expect(Object.keys(explanation.affected)).toEqual([`${name}:polyship-package`])
  })

  it('a chart values change selects only the chart', async () => {
    const explanation = await affectedBy(root, 'examples/charts/mcp-stack/values.yaml')
    expect(Object.keys(explanation.affected)).toEqual(['mcp-stack:polyship-package'])
  })
})
