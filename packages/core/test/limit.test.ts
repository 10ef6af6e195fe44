import { setTimeout as delay } from 'node:timers/promises'
import { mapLimit } from '@polyship/core'
import { describe, expect, it } from 'vitest'

describe('mapLimit', () => {
  it('keeps input order with at most `limit` calls in flight', async () => {
    let running = 0
    let most = 0
    const results = await mapLimit([30, 5, 20, 1, 10], 2, async (ms, index) => {
      running += 1
      most = Math.max(most, running)
      await delay(ms)
      running -= 1
      return `${index}:${ms}`
    })
    expect(results).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10'])
    expect(most).toBe(2)
  })

  it('starts nothing after a failure, waits for running calls, then throws the first error', async () => {
    const started: number[] = []
    const finished: number[] = []
    const failure = mapLimit([0, 1, 2, 3, 4], 2, async (item) => {
      started.push(item)
      if (item === 0) throw new Error('first')
      await delay(20)
      finished.push(item)
    })
    await expect(failure).rejects.toThrow('first')
    expect(started).toEqual([0, 1])
    expect(finished).toEqual([1])
  })
})
