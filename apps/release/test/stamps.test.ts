import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { afterEach, describe, expect, it } from 'vitest'
import { lastChange } from '../src/release/inputs.ts'
import { lastChanges } from '../src/release/stamps.ts'
import { gitIdentity } from './workspace.ts'

/**
 * The batch walk dates every project as `git log -1 -- <its inputs>` does alone: real git
 * repositories with linear history, renames, a merge whose result differs from both parents
 * for one project, and paths never committed. Each case compares the two answers for every key.
 */

let root: string
let tick = 0
const gitEnv = () => {
  const date = new Date(Date.UTC(2026, 0, 1) + tick++ * 60_000).toISOString()
  return gitIdentity(date)
}
const git = async (...args: string[]) => (await run('git', args, { cwd: root, env: gitEnv() })).stdout.trim()
const put = async (file: string, content: string) => {
  await mkdir(join(root, file, '..'), { recursive: true })
  await writeFile(join(root, file), content)
}
const commit = async (message: string) => {
  await git('add', '-A')
  await git('commit', '-qm', message)
  return git('rev-parse', 'HEAD')
}

const keys = (): Map<string, string[]> =>
  new Map([
    ['a', [join(root, 'a')]],
    ['b', [join(root, 'b'), join(root, 'shared')]],
    ['c', [join(root, 'c')]],
    ['root', [root]],
    ['never', [join(root, 'never-committed')]],
    ['outside', [join(root, '..', 'elsewhere')]],
  ])

async function expectSameAsOneByOne(): Promise<Map<string, { commit: string } | undefined>> {
  const batch = await lastChanges(root, keys(), process.env)
  for (const [key, paths] of keys())
    expect(batch.get(key), key).toEqual(await lastChange(root, paths, process.env))
  return batch
}

describe('lastChanges', () => {
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('dates each key by the last commit touching its paths in a linear history, renames included', async () => {
    root = await mkdtemp(join(tmpdir(), 'polyship-stamps-'))
    await git('init', '-q', '-b', 'main')
    await put('a/x.go', '1')
    await put('b/y.go', '1')
    await put('c/z.go', '1')
    const first = await commit('all')
    await put('shared/s.txt', 's')
    const shared = await commit('shared')
    await put('a/x.go', '2')
    const a = await commit('a')
    await git('mv', 'c/z.go', 'moved.go')
    const moved = await commit('c moved out')
    const batch = await expectSameAsOneByOne()
    expect(batch.get('a')?.commit).toBe(a)
    expect(batch.get('b')?.commit).toBe(shared)
    expect(batch.get('c')?.commit).toBe(moved)
    expect(batch.get('root')?.commit).toBe(moved)
    expect(batch.get('never')).toBeUndefined()
    expect(first).not.toBe(a)
  })

  it('answers as git log -1 does alone across merges (one project changed on both sides)', async () => {
    root = await mkdtemp(join(tmpdir(), 'polyship-stamps-'))
    await git('init', '-q', '-b', 'main')
    await put('a/1.go', '1')
    await put('a/2.go', '1')
    await put('b/y.go', '1')
    await put('c/z.go', '1')
    await commit('all')
    await git('checkout', '-q', '-b', 'side')
    await put('a/2.go', 'side')
    await put('c/z.go', 'side')
    await commit('side')
    await git('checkout', '-q', 'main')
    await put('a/1.go', 'main')
    await put('b/y.go', 'main')
    await commit('main')
    await git('merge', '-q', '--no-edit', 'side')
    await expectSameAsOneByOne()
    await put('b/y.go', 'after')
    await commit('after the merge')
    await expectSameAsOneByOne()
  })

  it('gives every key undefined outside a git repository', async () => {
    root = await mkdtemp(join(tmpdir(), 'polyship-stamps-'))
    await put('a/x.go', '1')
    const batch = await lastChanges(root, keys(), process.env)
    expect([...batch.values()].every((v) => v === undefined)).toBe(true)
  })
})
