import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomic } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { placeFile } from '../src/release/targets.ts'
import { exampleWorkspace, goProjectFiles, polyship, type TestWorkspace } from './workspace.ts'

const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

describe('placeFile', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'polyship-place-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('shares the bytes on one filesystem; a rewrite of the source (temp + rename) leaves the target as it was', async () => {
    const source = join(dir, 'build', 'a.tar.gz')
    await writeFileAtomic(source, 'first bytes')
    const target = join(dir, 'assets', 'a.tar.gz')
    const how = await placeFile(source, target)
    expect(['cloned', 'linked']).toContain(how)
    if (how === 'linked') expect((await stat(target)).ino).toBe((await stat(source)).ino)
    expect(await readFile(target, 'utf8')).toBe('first bytes')
    expect(await readdir(join(dir, 'assets'))).toEqual(['a.tar.gz']) // no .partial left
    // Every polyship writer replaces a file: the other name keeps its bytes.
    await writeFileAtomic(source, 'rebuilt bytes')
    expect(await readFile(target, 'utf8')).toBe('first bytes')
    expect(await readFile(source, 'utf8')).toBe('rebuilt bytes')
  })

  it('copies across filesystems (EXDEV), and a second placement replaces a stale target', async () => {
    const shm = '/dev/shm'
    const other = await mkdtemp(
      join((await stat(shm).catch(() => undefined)) ? shm : tmpdir(), 'polyship-place-'),
    )
    try {
      const source = join(dir, 'b.bin')
      await writeFile(source, 'bytes')
      const target = join(other, 'b.bin')
      const crossDevice = (await stat(other)).dev !== (await stat(dir)).dev
      expect(await placeFile(source, target)).toBe(
        crossDevice ? 'copied' : expect.stringMatching(/cloned|linked/),
      )
      await writeFile(join(other, '.b.bin.partial'), 'left by a crash')
      await writeFileAtomic(source, 'newer')
      await placeFile(source, target)
      expect(await readFile(target, 'utf8')).toBe('newer')
      expect(await readdir(other)).toEqual(['b.bin'])
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  })
})

describe('dist/ holds one copy of each archive', () => {
  let ws: TestWorkspace
  beforeAll(async () => {
    ws = await exampleWorkspace({
      projects: [],
      globs: ['go/one'],
      files: goProjectFiles('go/one', { main: 'package main\n\nfunc main() { println("one") }\n' }),
    })
  }, 120_000)
  afterAll(() => ws?.remove())

  it('the asset is the built archive`s bytes, not a second copy, and the record`s digest is right', async () => {
    const result = await polyship(['release'], ws)
    expect(result.code, result.stderr).toBe(0)
    const name = 'one_1.0.0_linux_amd64.tar.gz'
    const asset = join(ws.root, 'dist', 'assets', name)
    const record = JSON.parse(await readFile(join(ws.root, 'dist', 'release.json'), 'utf8')) as {
      artifacts: { name: string; digest: string }[]
    }
    expect(sha(await readFile(asset))).toBe(record.artifacts.find((a) => a.name === name)!.digest)
    const build = join(ws.root, 'dist', 'build')
    const copies = (await readdir(build, { recursive: true })).filter((f) => f.endsWith(name))
    expect(copies).toHaveLength(1)
    const built = await stat(join(build, copies[0]!))
    const published = await stat(asset)
    expect(published.ino).toBe(built.ino)
    expect(published.nlink).toBe(2)
    // A re-run finds it unchanged and places nothing.
    const again = await polyship(['release'], ws)
    expect(again.code, again.stderr).toBe(0)
    expect((await stat(asset)).ino).toBe(published.ino)
  }, 600_000)
})
