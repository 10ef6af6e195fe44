import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { acquireLock, holdsLock } from '../src/release/lock.ts'

const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})

/** Starts `command` and resolves with the pid it prints first (or its own pid). */
function start(command: string, args: string[], printsPid = false): Promise<number> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  if (!printsPid) return Promise.resolve(child.pid!)
  return new Promise((resolve) => child.stdout!.once('data', (data) => resolve(Number(String(data).trim()))))
}

async function lockHeldBy(pid: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'polyship-lock-'))
  const file = join(dir, '.polyship.lock')
  await writeFile(file, `${pid}\n`)
  return file
}

describe('the release lock', () => {
  it('refuses while a live Node process holds it', async () => {
    const pid = await start(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
    const file = await lockHeldBy(pid)
    await expect(acquireLock(file)).rejects.toMatchObject({
      code: 'RELEASE_LOCKED',
      message: expect.stringContaining(`pid ${pid}`),
    })
  })

  it('takes over a lock held by a zombie (a kill -9 in a container without init)', async () => {
    // The parent never reaps its child: the child stays a zombie while the parent sleeps.
    const zombie = await start(
      'python3',
      ['-c', 'import os,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid,flush=True)\ntime.sleep(30)'],
      true,
    )
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await readFile(`/proc/${zombie}/stat`, 'latin1')).split(') ')[1]?.[0]).toBe('Z')
    expect(holdsLock(zombie)).toBe(false)
    const file = await lockHeldBy(zombie)
    const lock = await acquireLock(file)
    expect((await readFile(file, 'utf8')).trim()).toBe(String(process.pid))
    await lock.release()
    expect(existsSync(file)).toBe(false)
  })

  it('takes over a lock whose pid now belongs to a process that is not polyship', async () => {
    const pid = await start('sleep', ['30'])
    expect(holdsLock(pid)).toBe(false)
    const lock = await acquireLock(await lockHeldBy(pid))
    await lock.release()
  })

  it('takes over a lock whose process is gone', async () => {
    const child = spawn('true')
    await new Promise((resolve) => child.once('exit', resolve))
    const lock = await acquireLock(await lockHeldBy(child.pid!))
    await lock.release()
  })
})
