import { readFileSync } from 'node:fs'
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import type { PolyshipError } from '../errors.ts'

/**
 * The one lock-file mechanism: a file created with O_EXCL holding the owner's pid. A lock
 * whose owner no longer runs (a crash, kill -9), is a zombie, or is not a Node/polyship
 * process (the pid reused after a reboot or in another container) is stale and taken
 * over, so a crashed run is resumed simply by running again. Used by the workspace release
 * lock (fail at once when held) and by OCI layouts' index.json (wait for the holder).
 */
export interface FileLock {
  release(): Promise<void>
}

/** `/proc/PID/<file>`, or undefined where there is no procfs (macOS) or no such process. */
function proc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1')
  } catch {
    return undefined
  }
}

/**
 * Whether `pid` is a live polyship process. Without procfs, a process that answers signal
 * 0 counts as alive.
 */
export function holdsLock(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const stat = proc(pid, 'stat')
  if (stat === undefined) return proc(process.pid, 'stat') === undefined
  // `pid (comm) STATE ...`: comm may hold spaces and parentheses, so read after the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  if (state === 'Z' || state === 'X') return false
  const cmdline = (proc(pid, 'cmdline') ?? '').split('\0').join(' ')
  return /node|polyship/.test(cmdline)
}

/**
 * Takes the lock once: the lock, or the pid of the live process that holds it. A stale
 * lock is removed and taken.
 */
export async function tryFileLock(file: string, pid = process.pid): Promise<FileLock | { heldBy: number }> {
  await mkdir(dirname(file), { recursive: true })
  for (;;) {
    try {
      const handle = await open(file, 'wx')
      await handle.writeFile(`${pid}\n`)
      await handle.close()
      return { release: () => rm(file, { force: true }) }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim())
    if (Number.isInteger(holder) && holder > 0) {
      if (holdsLock(holder)) return { heldBy: holder }
    } else {
      // No pid yet: its owner is writing it this very moment, unless it died doing so.
      const age = Date.now() - ((await stat(file).catch(() => undefined))?.mtimeMs ?? 0)
      if (age < UNWRITTEN_STALE_MS) return { heldBy: 0 }
    }
    await rm(file, { force: true })
  }
}

/** A lock file still without a pid after this long was left by a process that died creating it. */
const UNWRITTEN_STALE_MS = 10_000

const inProcess = new Map<string, Promise<unknown>>()

/** How `withFileLock` waits for a lock another live process holds. */
export interface WaitForLock {
  /** Give up after this long with `locked(holder)` (default: wait as long as the holder lives). */
  readonly timeoutMs?: number
  readonly locked?: (holder: number) => PolyshipError
  /** Told once, when the lock is first found held: to say who is waited for. */
  readonly onWait?: (holder: number) => void
  /** The longest pause between two tries (default 200 ms). */
  readonly maxDelayMs?: number
}

/**
 * Runs `fn` holding the lock, waiting (with backoff) while a live process holds it: one
 * writer at a time across this process's async work (a promise chain per file) and across
 * processes. Past `timeoutMs` the error `locked(holder)` makes is thrown; without it the
 * wait lasts as long as the holder lives (a dead or foreign holder's lock is taken over).
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: WaitForLock): Promise<T> {
  const previous = inProcess.get(file) ?? Promise.resolve()
  const run = previous.catch(() => undefined).then(() => holding(file, fn, options))
  const tail = run.catch(() => undefined)
  inProcess.set(file, tail)
  try {
    return await run
  } finally {
    if (inProcess.get(file) === tail) inProcess.delete(file)
  }
}

async function holding<T>(file: string, fn: () => Promise<T>, options: WaitForLock): Promise<T> {
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs
  let told = false
  for (let wait = 5; ; wait = Math.min(wait * 2, options.maxDelayMs ?? 200)) {
    const taken = await tryFileLock(file)
    if ('release' in taken) {
      try {
        return await fn()
      } finally {
        await taken.release()
      }
    }
    if (Date.now() > deadline && options.locked !== undefined) throw options.locked(taken.heldBy)
    if (!told) {
      told = true
      options.onWait?.(taken.heldBy)
    }
    await delay(wait + Math.random() * wait)
  }
}
