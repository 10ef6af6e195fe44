import { createServer as createHttpServer } from 'node:http'
import { createServer, type Server, type Socket } from 'node:net'
import {
  collectingReporter,
  exchange,
  NET_LIMIT_VARIABLES,
  type NetError,
  type NetLimits,
  netLimits,
  RetryBudget,
  readAll,
} from '@polyship/core'
import { afterEach, describe, expect, it } from 'vitest'

const LIMITS: NetLimits = netLimits({}, { connectMs: 300, idleMs: 200, deadlineMs: 1000, noticeMs: 50 })
let server: Server | undefined
const sockets = new Set<Socket>()
afterEach(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())))
  server = undefined
})

/** A TCP server that accepts and never says a byte. */
async function silent(): Promise<string> {
  server = createServer((socket) => {
    sockets.add(socket)
    socket.resume()
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `127.0.0.1:${(server.address() as { port: number }).port}`
}

async function rejection(promise: Promise<unknown>): Promise<NetError> {
  return (await promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (e: unknown) => e,
  )) as NetError
}

describe('network limits', () => {
  it('reads POLYSHIP_HTTP_* durations and sizes, with or without units', () => {
    const limits = netLimits({
      POLYSHIP_HTTP_CONNECT_TIMEOUT: '200ms',
      POLYSHIP_HTTP_IDLE_TIMEOUT: '0.5',
      POLYSHIP_HTTP_DEADLINE: '2m',
      POLYSHIP_HTTP_MAX_RESPONSE: '16MiB',
      POLYSHIP_HTTP_RETRY_TIME: '',
    })
    expect(limits).toMatchObject({
      connectMs: 200,
      idleMs: 500,
      deadlineMs: 120_000,
      maxBytes: 16 * 1024 * 1024,
      retryMs: 60_000,
    })
    expect(netLimits({ POLYSHIP_HTTP_IDLE_TIMEOUT: '1' }, { idleMs: 5 }).idleMs).toBe(5)
  })

  it('refuses a value that is not a duration, naming the variable', () => {
    expect(() => netLimits({ [NET_LIMIT_VARIABLES.idleMs]: 'soon' })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('POLYSHIP_HTTP_IDLE_TIMEOUT="soon" is not a duration'),
      }),
    )
    expect(() => netLimits({ POLYSHIP_HTTP_MAX_RESPONSE: '-3' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('a retry budget allows a retry only when its wait ends within the time', () => {
    let now = 1000
    const budget = new RetryBudget(500, () => now)
    expect(budget.allows(400)).toBe(true)
    now = 1300
    expect(budget.allows(100)).toBe(true)
    expect(budget.allows(250)).toBe(false)
    expect(budget.elapsedMs()).toBe(300)
  })
})

describe('exchange', () => {
  it('a TLS handshake that never completes is a connect timeout naming the host', async () => {
    const host = await silent()
    const error = await rejection(
      exchange({ method: 'GET', url: new URL(`https://${host}/`) }, { limits: LIMITS, what: 'probe' }),
    )
    expect(error).toMatchObject({ code: 'NET_TIMEOUT', failure: 'connect', host })
    expect(error.message).toBe(`probe: no connection to ${host} within 300 ms (connect timeout)`)
  })

  it('a server that never answers is an idle timeout, with waiting notices first', async () => {
    const host = await silent()
    const reporter = collectingReporter()
    const error = await rejection(
      exchange(
        { method: 'GET', url: new URL(`http://${host}/`) },
        { limits: LIMITS, what: 'probe', reporter },
      ),
    )
    expect(error).toMatchObject({ code: 'NET_TIMEOUT', failure: 'idle' })
    expect(reporter.events.some((e) => e.type === 'log' && e.message.startsWith(`waiting for ${host}`))).toBe(
      true,
    )
  })

  it('a slow reader is not idle: backpressure pauses the idle timeout, the cap still holds', async () => {
    const http = createHttpServer((_req, res) => {
      res.writeHead(200)
      res.end(Buffer.alloc(512 * 1024, 1))
    })
    server = http as unknown as Server
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    const url = new URL(`http://127.0.0.1:${(http.address() as { port: number }).port}/`)
    const answer = await exchange({ method: 'GET', url }, { limits: LIMITS, what: 'slow read' })
    await new Promise((resolve) => setTimeout(resolve, 400)) // twice the idle timeout without reading
    expect((await readAll(answer.body, 1 << 20, () => new Error('too long'))).length).toBe(512 * 1024)
    const capped = await exchange({ method: 'GET', url, maxBytes: 1024 }, { limits: LIMITS, what: 'capped' })
    const error = await rejection(readAll(capped.body, 1 << 20, () => new Error('too long')))
    expect(error).toMatchObject({ code: 'NET_TOO_LARGE', failure: 'size' })
  })
})
