import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import {
  type ExchangeRequest,
  type NetLimits,
  netLimits,
  type RetryDeps,
  readAll,
  retryAfterMs,
  sendWithRetry,
} from '@polyship/core'
import { afterEach, describe, expect, it } from 'vitest'

const LIMITS: NetLimits = netLimits({}, { connectMs: 2000, idleMs: 2000, deadlineMs: 5000 })
const servers: Server[] = []
const sockets = new Set<Socket>()
afterEach(async () => {
  for (const socket of sockets) socket.destroy()
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
})

/** A loopback server answering the n-th request (1-based) with `handle`; it counts the bodies it read. */
async function serve(
  handle: (req: IncomingMessage, res: ServerResponse, n: number, body: Buffer) => void,
): Promise<{ url: URL; hits: () => number }> {
  let hits = 0
  const server = createServer((req, res) => {
    hits++
    const n = hits
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => handle(req, res, n, Buffer.concat(chunks)))
  })
  server.on('connection', (socket) => sockets.add(socket))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return { url: new URL(`http://127.0.0.1:${port}/x`), hits: () => hits }
}

function recording(): { deps: RetryDeps; delays: number[] } {
  const delays: number[] = []
  return { deps: { sleep: async (ms) => void delays.push(ms), random: () => 1 }, delays }
}

const get = (url: URL) => (): ExchangeRequest => ({ method: 'GET', url })
const text = async (body: NodeJS.ReadableStream) =>
  (await readAll(body as never, 1 << 20, () => new Error('too big'))).toString('utf8')

describe('sendWithRetry (loopback server)', () => {
  it('waits what a 429 Retry-After (seconds) asks, then returns the answer', async () => {
    const server = await serve((_req, res, n) =>
      n === 1 ? res.writeHead(429, { 'retry-after': '3' }).end('slow down') : res.writeHead(200).end('ok'),
    )
    const { deps, delays } = recording()
    const answer = await sendWithRetry(get(server.url), { limits: LIMITS, what: 'test', deps })
    expect([answer.status, answer.tries, await text(answer.body)]).toEqual([200, 2, 'ok'])
    expect(delays).toEqual([3000])
  })

  it('retries 503 with backoff, then 200', async () => {
    const server = await serve((_req, res, n) =>
      n <= 2 ? res.writeHead(503).end() : res.writeHead(200).end(),
    )
    const { deps, delays } = recording()
    const answer = await sendWithRetry(get(server.url), {
      limits: LIMITS,
      what: 'test',
      deps,
      policy: { baseDelayMs: 100 },
    })
    expect([answer.status, answer.tries, server.hits()]).toEqual([200, 3, 3])
    expect(delays).toEqual([100, 200])
  })

  it('returns a retryable answer when tries run out, or when Retry-After is past the cap', async () => {
    const down = await serve((_req, res) => res.writeHead(502).end())
    const { deps } = recording()
    const answer = await sendWithRetry(get(down.url), {
      limits: LIMITS,
      what: 'test',
      deps,
      policy: { attempts: 3 },
    })
    expect([answer.status, answer.tries, down.hits()]).toEqual([502, 3, 3])

    const later = new Date(Date.now() + 3_600_000).toUTCString()
    const maintenance = await serve((_req, res) => res.writeHead(503, { 'retry-after': later }).end())
    const second = recording()
    const refused = await sendWithRetry(get(maintenance.url), {
      limits: LIMITS,
      what: 'test',
      deps: second.deps,
    })
    expect([refused.status, refused.tries, second.delays]).toEqual([503, 1, []])
  })

  it('does not retry a non-idempotent POST once its body was sent', async () => {
    const server = await serve((req) => req.socket.destroy())
    const { deps, delays } = recording()
    const body = new TextEncoder().encode('payload')
    const postTo = (url: URL) => () => ({ method: 'POST', url, body })
    const error = await sendWithRetry(postTo(server.url), { limits: LIMITS, what: 'test', deps }).catch(
      (e: unknown) => e,
    )
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNRESET')
    expect([server.hits(), delays]).toEqual([1, []])

    const failing = await serve((_req, res) => res.writeHead(500).end())
    const post = postTo(failing.url)
    const answer = await sendWithRetry(post, { limits: LIMITS, what: 'test', deps: recording().deps })
    expect([answer.status, failing.hits()]).toEqual([500, 1])
    const repeatable = await sendWithRetry(post, {
      limits: LIMITS,
      what: 'test',
      deps: recording().deps,
      idempotent: true,
      policy: { attempts: 2 },
    })
    expect([repeatable.status, failing.hits()]).toEqual([500, 3])
  })

  it('retries a POST refused before it was sent, and one answered 429; never a one-shot body', async () => {
    const server = await serve((_req, res, n, body) =>
      n === 1 ? res.writeHead(429).end() : res.writeHead(201).end(body),
    )
    const post = () => ({ method: 'POST', url: server.url, body: new TextEncoder().encode('payload') })
    const answer = await sendWithRetry(post, { limits: LIMITS, what: 'test', deps: recording().deps })
    expect([answer.status, await text(answer.body)]).toEqual([201, 'payload'])

    const oneShot = await sendWithRetry(post, {
      limits: LIMITS,
      what: 'test',
      deps: recording().deps,
      replayable: false,
    })
    expect(oneShot.status).toBe(201)

    const closed = new URL(server.url)
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    const { deps, delays } = recording()
    const unreachable = await sendWithRetry(
      () => ({ method: 'POST', url: closed, body: new Uint8Array(3) }),
      {
        limits: LIMITS,
        what: 'test',
        deps,
        policy: { attempts: 3, baseDelayMs: 10 },
        unreachable: (cause, tries) => new Error(`gave up after ${tries} tries`, { cause }),
      },
    ).then(
      () => new Error('expected a failure'),
      (e: unknown) => e as Error,
    )
    expect([unreachable.message, delays]).toEqual(['gave up after 3 tries', [10, 20]])
  })

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(retryAfterMs('120', now)).toBe(120_000)
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000)
    expect(retryAfterMs('soon', now)).toBeUndefined()
  })
})
