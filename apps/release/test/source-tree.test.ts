import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

let ws: TestWorkspace

beforeAll(async () => {
  ws = await exampleWorkspace({
    projects: ['time-server-go'],
    platforms: { 'time-server-go': ['linux/amd64', 'linux/arm64'] },
  })
}, 120_000)
afterAll(() => ws?.remove())

const unitOf = async () =>
  JSON.parse(await readFile(join(ws.root, 'dist', 'build', 'time-server-go', 'build.json'), 'utf8')) as {
    sourceTree: string
    clean: boolean
  }
const committedTree = async () =>
  (await run('git', ['rev-parse', 'HEAD:examples/time-server-go'], { cwd: ws.root })).stdout.trim()

describe('build units record the exact tree they were compiled from', () => {
  it('a unit built from uncommitted changes is never reused, even once the change is reverted', async () => {
    const main = join(ws.root, 'examples', 'time-server-go', 'main.go')
    const original = await readFile(main, 'utf8')
    await writeFile(main, `${original}\n// an uncommitted experiment\n`)
    const build = await polyship(['build', '--only', 'time-server-go'], ws)
    expect(build.code, build.stderr).toBe(0)
    const dirty = await unitOf()
    expect(dirty.clean).toBe(false)
    expect(dirty.sourceTree).not.toBe(await committedTree())

    await writeFile(main, original)
    const release = await polyship(['release', '--only', 'time-server-go'], ws)
    expect(release.code, release.stderr).toBe(0)
    expect(release.stderr).not.toContain('reusing')
    const rebuilt = await unitOf()
    expect(rebuilt).toMatchObject({ clean: true, sourceTree: await committedTree() })
  })

  it('a clean unit of the same tree is reused, not rebuilt', async () => {
    const file = join(ws.root, 'dist', 'build', 'time-server-go', 'build.json')
    const before = (await stat(file)).mtimeMs
    const again = await polyship(['build', '--only', 'time-server-go'], ws)
    expect(again.code, again.stderr).toBe(0)
    expect((await stat(file)).mtimeMs).toBe(before)
  })

  it('a release with uncommitted changes in a project is RELEASE_DIRTY_TREE before any build; --snapshot may', async () => {
    const main = join(ws.root, 'examples', 'time-server-go', 'main.go')
    const original = await readFile(main, 'utf8')
    await writeFile(main, `${original}\n// not committed\n`)
    try {
      const release = await polyship(['release'], ws)
      expect(release.code).toBe(1)
      expect(release.stderr).toContain(
        'error RELEASE_DIRTY_TREE: uncommitted changes in time-server-go (examples/time-server-go/main.go)',
      )
      expect(release.stderr).not.toContain('go build')
      const snapshot = await polyship(['release', '--snapshot'], ws)
      expect(snapshot.code, snapshot.stderr).toBe(0)
    } finally {
      await writeFile(main, original)
    }
  })

  // Last: it moves HEAD past the commit the earlier cases released.
  it('a commit that changes nothing the project builds from reuses its unit, re-stamped to the new HEAD (a PR build reused by the merge commit)', async () => {
    const file = join(ws.root, 'dist', 'build', 'time-server-go', 'build.json')
    const clean = await polyship(['build', '--only', 'time-server-go'], ws)
    expect(clean.code, clean.stderr).toBe(0)
    const before = JSON.parse(await readFile(file, 'utf8')) as {
      commit: string
      sourceCommit: string
      binaries: unknown
    }
    await writeFile(join(ws.root, 'UNRELATED.md'), 'not an input of time-server-go\n')
    await run('git', ['add', '-A'], { cwd: ws.root })
    await run('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'unrelated'], {
      cwd: ws.root,
    })
    const head = (await run('git', ['rev-parse', 'HEAD'], { cwd: ws.root })).stdout.trim()
    expect(head).not.toBe(before.commit)
    const again = await polyship(['build', '--only', 'time-server-go', '--debug'], ws)
    expect(again.code, again.stderr).toBe(0)
    const after = JSON.parse(await readFile(file, 'utf8')) as typeof before
    expect(after.commit).toBe(head)
    expect(after.sourceCommit).toBe(before.sourceCommit)
    expect(after.binaries).toEqual(before.binaries)
    expect(again.stderr).toContain('reusing')
  })
})
