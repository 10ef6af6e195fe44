import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { commitAll, exampleWorkspace, goProjectFiles, polyship, type TestWorkspace } from './workspace.ts'

/**
 * `polyship build --only a` (what each Nx task polyship-build runs) reads stamps and source
 * trees of `a` and of what it is built from (here `lib`, a workspace dependency) only: the
 * git and go processes it starts, and the paths they are given, are the same in a workspace
 * of 2 other projects as in one of 6 (counted through logging wrappers on PATH; counts,
 * never timings). Its stamp is the one a build of every project gives it. A project the
 * selection does not depend on is not checked: its broken Go main does not stop the build.
 */

const TOOLS = ['git', 'go']
const workspaces: TestWorkspace[] = []

afterAll(async () => {
  for (const ws of workspaces) await ws.remove()
})

/** `a` (depending on `lib`), `lib`, and `others` unrelated Go projects; git and go logged with their arguments. */
async function workspace(
  others: number,
  extra: Record<string, string> = {},
): Promise<{ ws: TestWorkspace; logged: TestWorkspace; log: string }> {
  const files: Record<string, string> = {
    ...goProjectFiles('projects/lib'),
    ...goProjectFiles('projects/a'),
  }
  const a = JSON.parse(files['projects/a/package.json']!)
  files['projects/a/package.json'] = `${JSON.stringify({ ...a, dependencies: { lib: 'workspace:*' } })}\n`
  for (let i = 0; i < others; i++) Object.assign(files, goProjectFiles(`projects/other-${i}`))
  Object.assign(files, extra)
  const ws = await exampleWorkspace({ projects: [], files, globs: ['projects/*'], config: {} })
  workspaces.push(ws)
  const shims = join(ws.root, '..', 'shims')
  const log = join(ws.root, '..', 'tools.log')
  await mkdir(shims)
  for (const tool of TOOLS) {
    const real = execFileSync('sh', ['-c', `command -v ${tool}`], { env: ws.env, encoding: 'utf8' }).trim()
    await writeFile(join(shims, tool), `#!/bin/sh\necho "${tool} $*" >> '${log}'\nexec '${real}' "$@"\n`)
    await chmod(join(shims, tool), 0o755)
  }
  const logged = { ...ws, env: { ...ws.env, PATH: `${shims}:${ws.env.PATH ?? process.env.PATH}` } }
  return { ws, logged, log }
}

/** The logged tool calls, the workspace's own path and commit ids made generic. */
async function calls(log: string, ws: TestWorkspace): Promise<string[]> {
  const text = existsSync(log) ? await readFile(log, 'utf8') : ''
  await rm(log, { force: true })
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) =>
      line
        .split(ws.root)
        .join('<ws>')
        .replace(/\b[0-9a-f]{40}\b/g, '<sha>'),
    )
}

const unit = async (ws: TestWorkspace, project: string) =>
  JSON.parse(await readFile(join(ws.root, 'dist', 'build', project, 'build.json'), 'utf8')) as {
    sourceCommit?: string
    sourceDateEpoch: number
  }

describe('build --only', () => {
  it('starts the same git and go processes, naming only the selection and its dependencies, whatever the workspace size', async () => {
    const small = await workspace(2)
    const large = await workspace(6)
    const seen: string[][] = []
    for (const { ws, logged, log } of [small, large]) {
      const result = await polyship(['build', '--only', 'a'], logged)
      expect(result.code, result.stderr).toBe(0)
      const lines = await calls(log, ws)
      expect(lines.filter((l) => l.startsWith('go build'))).toHaveLength(1)
      expect(lines.some((l) => l.startsWith('git ') && l.includes('projects/lib'))).toBe(true)
      expect(lines.filter((l) => l.includes('other-'))).toEqual([])
      seen.push(lines)
    }
    for (const tool of TOOLS) {
      const count = (lines: string[]) => lines.filter((l) => l.startsWith(`${tool} `)).length
      expect(count(seen[1]!), tool).toBe(count(seen[0]!))
    }
    // the same processes; a unit's git tree and toolchain questions start at once, in any order
    expect([...seen[1]!].sort()).toEqual([...seen[0]!].sort())
  }, 300_000)

  it('stamps the selection as a build of every project does: a commit to its dependency is its source commit', async () => {
    const { ws } = await workspace(2)
    await writeFile(
      join(ws.root, 'projects', 'lib', 'main.go'),
      'package main\n\nfunc main() { println() }\n',
    )
    await commitAll(ws.root, 'lib changed')
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ws.root, encoding: 'utf8' }).trim()
    const only = await polyship(['build', '--only', 'a'], ws)
    expect(only.code, only.stderr).toBe(0)
    const selected = await unit(ws, 'a')
    expect(selected.sourceCommit).toBe(head)
    await rm(join(ws.root, 'dist'), { recursive: true, force: true })
    const all = await polyship(['build'], ws)
    expect(all.code, all.stderr).toBe(0)
    expect(await unit(ws, 'a')).toMatchObject({
      sourceCommit: selected.sourceCommit,
      sourceDateEpoch: selected.sourceDateEpoch,
    })
    // other-0 was not changed by the last commit: its stamp is the first one
    expect((await unit(ws, 'other-0')).sourceCommit).not.toBe(head)
  }, 300_000)

  it('is not stopped by an unrelated project whose Go main does not exist; a build of every project is', async () => {
    const broken = goProjectFiles('projects/broken', { binary: { main: './cmd/nope' } })
    const { ws } = await workspace(0, broken)
    const only = await polyship(['build', '--only', 'a'], ws)
    expect(only.code, only.stderr).toBe(0)
    expect(existsSync(join(ws.root, 'dist', 'build', 'a', 'build.json'))).toBe(true)
    const all = await polyship(['build'], ws)
    expect(all.code).not.toBe(0)
    expect(all.stderr).toMatch(/broken/)
  }, 300_000)
})
