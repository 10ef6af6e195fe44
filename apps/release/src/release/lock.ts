import { readFileSync } from 'node:fs'
import { mkdir, open, readFile, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ReleaseError } from './errors.ts'

/** The workspace lock, under outDir: held by `release` and `build`. */
export const lockFile = (outDir: string) => join(outDir, '.polyship.lock')

export interface ReleaseLock {
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
 * Whether `pid` is a live polyship process. A zombie (a dead release nobody reaped: kill -9
 * in a container without an init) and a process that is not Node running polyship (the pid
 * reused after a reboot or by another container) do not hold the lock. Without procfs, a
 * process that answers signal 0 counts as alive.
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
 * Takes the workspace release lock (a file created with O_EXCL holding our pid), shared by
 * `release` and `build`. A lock left by a process that no longer runs (a crash, kill -9),
 * by a zombie or by a process that is not polyship is taken over, so a crashed release is
 * resumed simply by running again.
 */
export async function acquireLock(file: string, pid = process.pid): Promise<ReleaseLock> {
  await mkdir(dirname(file), { recursive: true })
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx')
      await handle.writeFile(`${pid}\n`)
      await handle.close()
      return { release: () => rm(file, { force: true }) }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim())
      if (Number.isInteger(holder) && holder > 0 && holdsLock(holder)) {
        throw new ReleaseError(
          'RELEASE_LOCKED',
          `another polyship release (pid ${holder}) is running in this workspace`,
          {
            hint: `wait for it to finish; if it is gone, delete ${file}`,
          },
        )
      }
      await rm(file, { force: true })
    }
  }
  throw new ReleaseError('RELEASE_LOCKED', `could not take the release lock ${file}`, {
    hint: `delete ${file} and retry`,
  })
}
