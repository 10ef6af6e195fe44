import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { holdsLock, type Reporter, tryFileLock, withFileLock } from '@polyship/core'
import { ReleaseError } from './errors.ts'

/** The workspace lock, under outDir: held by `release` for its whole run. */
export const lockFile = (outDir: string) => join(outDir, '.polyship.lock')

/**
 * The environment variable a release sets for the `polyship build` tasks it runs through Nx:
 * its pid, so those builds know the workspace lock they find is their own release's.
 */
export const RELEASE_PID_ENV = 'POLYSHIP_RELEASE_PID'

/** A unit's lock: `<buildDir>/.locks/<unit>.lock`, beside (never inside) the directory Nx caches. */
export const unitLockFile = (buildDir: string, unit: string) => join(buildDir, '.locks', `${unit}.lock`)

export interface ReleaseLock {
  release(): Promise<void>
}

function locked(file: string, holder: number): ReleaseError {
  return new ReleaseError(
    'RELEASE_LOCKED',
    `another polyship release (pid ${holder || '?'}) is running in this workspace`,
    { hint: `wait for it to finish; if it is gone, delete ${file}` },
  )
}

/**
 * Takes the workspace release lock (a file created with O_EXCL holding our pid): one
 * `release` per workspace at a time. A lock left by a process that no longer runs (a crash,
 * kill -9), by a zombie or by a process that is not polyship is taken over, so a crashed
 * release is resumed simply by running again.
 */
export async function acquireLock(file: string, pid = process.pid): Promise<ReleaseLock> {
  const taken = await tryFileLock(file, pid)
  if ('release' in taken) return taken
  throw locked(file, taken.heldBy)
}

/**
 * `polyship build` beside a release: refused (RELEASE_LOCKED) while another live release
 * holds the workspace lock, since it could rebuild a unit that release is assembling
 * images from. The release's own Nx tasks (`RELEASE_PID_ENV` names the holder) go ahead.
 * The lock is only read, never taken: builds of different projects run side by side, each holding only
 * its unit's lock (`withUnitLock`).
 */
export async function assertNoOtherRelease(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return ''
    throw error
  })
  const holder = Number(text.trim())
  if (!Number.isInteger(holder) || holder <= 0 || String(holder) === env[RELEASE_PID_ENV]) return
  if (holdsLock(holder)) throw locked(file, holder)
}

/**
 * Runs `fn` holding the lock of one build unit, waiting while another live process holds
 * it: two processes building the same project (a user's `nx run-many` beside a release's)
 * take turns, and the second then finds the unit the first wrote (same commit) and reuses
 * it instead of compiling again or failing. Waiting has no deadline: the holder is a live
 * polyship process doing a build (a dead or foreign holder's lock is taken over), and a
 * build may take as long as its compilers do. Concurrent calls within this process queue
 * on the same file too.
 */
export function withUnitLock<T>(
  file: string,
  what: { readonly project: string; readonly reporter: Reporter },
  fn: () => Promise<T>,
): Promise<T> {
  return withFileLock(file, fn, {
    maxDelayMs: 500,
    onWait: (holder) =>
      what.reporter.emit({
        type: 'log',
        level: 'info',
        message: `${what.project}: waiting for pid ${holder || '?'}, which is building it (${file})`,
      }),
  })
}

/** Whether `pid` is a live polyship process (core's lock liveness rule). */
export { holdsLock }
