import { join } from 'node:path'
import { holdsLock, tryFileLock } from '@polyship/core'
import { ReleaseError } from './errors.ts'

/** The workspace lock, under outDir: held by `release` and `build`. */
export const lockFile = (outDir: string) => join(outDir, '.polyship.lock')

export interface ReleaseLock {
  release(): Promise<void>
}

/**
 * Takes the workspace release lock (a file created with O_EXCL holding our pid), shared by
 * `release` and `build`. A lock left by a process that no longer runs (a crash, kill -9),
 * by a zombie or by a process that is not polyship is taken over, so a crashed release is
 * resumed simply by running again.
 */
export async function acquireLock(file: string, pid = process.pid): Promise<ReleaseLock> {
  const taken = await tryFileLock(file, pid)
  if ('release' in taken) return taken
  throw new ReleaseError(
    'RELEASE_LOCKED',
    `another polyship release (pid ${taken.heldBy || '?'}) is running in this workspace`,
    { hint: `wait for it to finish; if it is gone, delete ${file}` },
  )
}

/** Whether `pid` is a live polyship process (core's lock liveness rule). */
export { holdsLock }
