import type { ChildProcess } from 'node:child_process'
import { setTimeout as delay } from 'node:timers/promises'

/**
 * Waits until `url` answers 2xx (polling every 100 ms, each try bounded to 2 s): true when
 * it does, false when `child` exits first or `timeoutMs` passes. For test servers started as
 * processes (docker-registry, pypiserver, Verdaccio) on a port that was free a moment ago.
 */
export async function waitUntilAnswering(
  url: string,
  child: ChildProcess,
  timeoutMs = 30_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      await response.body?.cancel()
      if (response.ok) return true
    } catch (error) {
      // not listening yet, or too slow to answer this time
      if (!(error instanceof TypeError) && (error as Error).name !== 'TimeoutError') throw error
    }
    await delay(100)
  }
  return false
}

/** SIGTERM, SIGKILL after 5 s, and waits for the exit; a process that already ended is left alone. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const ended = await Promise.race([
    exited.then(() => true),
    delay(5000, undefined, { ref: false }).then(() => false),
  ])
  if (!ended) {
    child.kill('SIGKILL')
    await exited
  }
}
