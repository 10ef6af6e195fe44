import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
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

  it('rejects unknown flags and commands with a code and exit 1', async () => {
    const flag = capture(examples)
    expect(await main(['plan', '--frobnicate'], flag.context)).toBe(1)
    expect(flag.stderr()).toContain("error CLI_USAGE: Unknown option '--frobnicate'")
    const command = capture(examples)
    expect(await main(['shipit'], command.context)).toBe(1)
    expect(command.stderr()).toContain('error CLI_UNKNOWN_COMMAND: unknown command "shipit"')
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
})
