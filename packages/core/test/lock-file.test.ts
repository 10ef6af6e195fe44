import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CoreError, tryFileLock, withFileLock } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let work: string
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-lock-file-'))
})
afterAll(() => rm(work, { recursive: true, force: true }))

describe('the one lock file', () => {
  it('is taken once, names a live holder, and is free again after release', async () => {
    const file = join(work, 'a.lock')
    const first = await tryFileLock(file)
    expect('release' in first).toBe(true)
    expect(await readFile(file, 'utf8')).toBe(`${process.pid}\n`)
    expect(await tryFileLock(file)).toEqual({ heldBy: process.pid })
    if ('release' in first) await first.release()
    expect('release' in (await tryFileLock(file))).toBe(true)
  })

  it('takes over a lock whose owner is gone, and one left without a pid by a process that died creating it', async () => {
    const gone = join(work, 'gone.lock')
    const child = spawn(process.execPath, ['-e', ''])
    const pid = child.pid!
    await new Promise((done) => child.on('exit', done))
    await writeFile(gone, `${pid}\n`)
    expect('release' in (await tryFileLock(gone))).toBe(true)

    const empty = join(work, 'empty.lock')
    await writeFile(empty, '')
    expect(await tryFileLock(empty)).toEqual({ heldBy: 0 })
    const old = new Date(Date.now() - 60_000)
    await utimes(empty, old, old)
    expect('release' in (await tryFileLock(empty))).toBe(true)
  })

  it('withFileLock runs one holder at a time and gives the caller’s error when the holder never lets go', async () => {
    const file = join(work, 'serial.lock')
    const order: string[] = []
    const step = (name: string) => async () => {
      order.push(`${name} in`)
      await new Promise((done) => setTimeout(done, 20))
      order.push(`${name} out`)
    }
    const locked = (holder: number) => new CoreError('CONFIG_INVALID', `held by ${holder}`)
    await Promise.all([
      withFileLock(file, step('a'), { timeoutMs: 5000, locked }),
      withFileLock(file, step('b'), { timeoutMs: 5000, locked }),
    ])
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out'])

    const held = join(work, 'held.lock')
    await writeFile(held, `${process.pid}\n`)
    await expect(withFileLock(held, async () => 1, { timeoutMs: 50, locked })).rejects.toMatchObject({
      message: `held by ${process.pid}`,
    })
  })
})
