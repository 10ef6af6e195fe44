/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the input order.
 * After the first failure no new call starts; the ones running are awaited, then the
 * first error is thrown.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  let failure: { error: unknown } | undefined
  async function worker(): Promise<void> {
    while (failure === undefined && next < items.length) {
      const index = next++
      try {
        results[index] = await fn(items[index]!, index)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  const workers = Math.max(1, Math.min(Math.floor(limit), items.length))
  await Promise.all(Array.from({ length: workers }, worker))
  if (failure !== undefined) throw failure.error
  return results
}

/** Where tasks wait their turn: at most some number run at once (`limiter`). */
export interface Limiter {
  run<T>(task: () => Promise<T>): Promise<T>
}

/**
 * At most `count` tasks at once; the others wait, first come, first served. A finishing
 * task hands its place straight to the next waiter, so a task arriving meanwhile cannot
 * slip in above the limit.
 */
export function limiter(count: number): Limiter {
  let free = Math.max(1, Math.floor(count))
  const waiting: (() => void)[] = []
  return {
    async run(task) {
      if (free > 0) free--
      else await new Promise<void>((resolve) => waiting.push(resolve))
      try {
        return await task()
      } finally {
        const next = waiting.shift()
        if (next === undefined) free++
        else next()
      }
    },
  }
}

/**
 * Waits for every promise, then gives their values in order, or throws the first rejection
 * in order (not in time): work started side by side never runs on after one part failed.
 */
export async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises)
  const failed = settled.find((r) => r.status === 'rejected')
  if (failed !== undefined) throw failed.reason
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value)
}
