import { open, readFile, rm } from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'
import { OciError } from '../errors.ts'

const inProcess = new Map<string, Promise<unknown>>()

/**
 * Runs `fn` holding an exclusive lock file: one writer at a time per layout, across the
 * async work of this process (a promise chain) and across processes (O_EXCL lock file
 * holding the owner's pid; a lock left by a dead process is taken over).
 */
export async function withLock<T>(lockFile: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const previous = inProcess.get(lockFile) ?? Promise.resolve()
  const run = previous.catch(() => undefined).then(() => holdFileLock(lockFile, fn, timeoutMs))
  const tail = run.catch(() => undefined)
  inProcess.set(lockFile, tail)
  try {
    return await run
  } finally {
    if (inProcess.get(lockFile) === tail) inProcess.delete(lockFile)
  }
}

async function holdFileLock<T>(lockFile: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      const handle = await open(lockFile, 'wx')
      await handle.writeFile(`${process.pid}\n`)
      await handle.close()
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim())
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
      await rm(lockFile, { force: true })
      continue
    }
    if (Date.now() > deadline) {
      throw new OciError(
        'OCI_LAYOUT_LOCKED',
        `${lockFile} has been held by process ${owner || '?'} for over ${timeoutMs} ms`,
        {
          hint: 'another polyship run is writing this layout; wait for it, or delete the lock file if that process is gone',
        },
      )
    }
    await delay(wait + Math.random() * wait)
  }
  try {
    return await fn()
  } finally {
    await rm(lockFile, { force: true })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
