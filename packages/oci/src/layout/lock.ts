import { withFileLock } from '@polyship/core'
import { OciError } from '../errors.ts'

/**
 * Runs `fn` holding the layout's lock file (core's one lock mechanism): one writer at a
 * time per layout, across this process's async work and across processes; a lock left by
 * a dead process is taken over, a live holder is waited for up to `timeoutMs`.
 */
export function withLock<T>(lockFile: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  return withFileLock(lockFile, fn, {
    timeoutMs,
    locked: (holder) =>
      new OciError(
        'OCI_LAYOUT_LOCKED',
        `${lockFile} has been held by process ${holder || '?'} for over ${timeoutMs} ms`,
        {
          hint: 'another polyship run is writing this layout; wait for it, or delete the lock file if that process is gone',
        },
      ),
  })
}
