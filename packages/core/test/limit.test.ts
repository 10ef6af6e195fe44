import { setTimeout as delay } from 'node:timers/promises'
import { limiter, mapLimit, settleAll } from '@polyship/core'
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

describe('limiter', () => {
  it('runs at most count tasks at once, the waiting ones first come first served', async () => {
    const limit = limiter(2)
    let running = 0
    let most = 0
    const order: number[] = []
    const task = (i: number, ms: number) =>
      limit.run(async () => {
        running++
        most = Math.max(most, running)
        order.push(i)
        await delay(ms)
        running--
        return i
      })
    const results = await Promise.all([task(0, 30), task(1, 10), task(2, 5), task(3, 5), task(4, 1)])
    expect(results).toEqual([0, 1, 2, 3, 4])
    expect(most).toBe(2)
    expect(order).toEqual([0, 1, 2, 3, 4])
  })

  it('gives the place of a failed task to the next one', async () => {
    const limit = limiter(1)
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await limit.run(async () => 'next')).toBe('next')
  })
})

describe('settleAll', () => {
  it('gives the values in order, or the first rejection in order once every promise settled', async () => {
    expect(await settleAll([delay(10, 'a'), Promise.resolve('b')])).toEqual(['a', 'b'])
    let later = false
    const failing = settleAll([
      delay(20).then(() => {
        later = true
        throw new Error('first in order')
      }),
      Promise.reject(new Error('first in time')),
    ])
    await expect(failing).rejects.toThrow('first in order')
    expect(later).toBe(true)
  })
})
