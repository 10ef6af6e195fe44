import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http'

/** What the proxy did with one request. */
export type FaultAction = 'pass' | 'reset' | 'reset-mid-body' | 'reset-mid-response' | 'unavailable'

export interface FaultProxyOptions {
  /** Where requests go: `http://127.0.0.1:5000`. */
  readonly target: string
  /** Seed of the fault schedule: the same seed gives the same sequence of decisions. */
  readonly seed: number
  /** Probability of dropping the connection before forwarding (default 0.1). */
  readonly reset?: number
  /** Probability of answering 503 without forwarding (default 0.1). */
  readonly unavailable?: number
  /** Probability, for requests with a body, of forwarding part of it then dropping both sides (default 0). */
  readonly resetMidBody?: number
  /** Probability, for GET requests, of forwarding part of the response body then dropping the connection (default 0). */
  readonly resetMidResponse?: number
  /** Retry-After seconds sent with 503s (default: none). */
  readonly retryAfterSeconds?: number
  /** Never more than this many faults in a row among the requests faults apply to, so each gets through (default 2). */
  readonly maxConsecutiveFaults?: number
  /** Only requests this returns true for are subject to faults (default: all but `GET /v2/`). */
  readonly applies?: (method: string, path: string) => boolean
}

export interface FaultProxy {
  /** `127.0.0.1:<port>`: use as the registry host. */
  readonly host: string
  readonly url: string
  /** Every request seen, in arrival order, with the action taken. */
  readonly log: readonly {
    readonly method: string
    readonly path: string
    readonly action: FaultAction
    readonly range?: string
  }[]
  stop(): Promise<void>
}

/**
 * A loopback HTTP proxy that injects faults on a seeded schedule: connection resets (before
 * or in the middle of a request body) and 503 answers. Everything else is forwarded with
 * the Host header kept, so the registry builds upload URLs pointing back at the proxy.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target)
  const random = mulberry32(options.seed)
  const log: { method: string; path: string; action: FaultAction; range?: string }[] = []
  const maxConsecutive = options.maxConsecutiveFaults ?? 2
  const applies = options.applies ?? ((method, path) => !(method === 'GET' && path === '/v2/'))
  let consecutive = 0

  const decide = (req: IncomingMessage): FaultAction => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname
    const roll = random()
    if (!applies(req.method ?? 'GET', path) || consecutive >= maxConsecutive) return 'pass'
    const reset = options.reset ?? 0.1
    const unavailable = options.unavailable ?? 0.1
    const midBody = Number(req.headers['content-length'] ?? 0) > 0 ? (options.resetMidBody ?? 0) : 0
    if (roll < reset) return 'reset'
    if (roll < reset + unavailable) return 'unavailable'
    if (roll < reset + unavailable + midBody) return 'reset-mid-body'
    const midResponse = req.method === 'GET' ? (options.resetMidResponse ?? 0) : 0
    if (roll < reset + unavailable + midBody + midResponse) return 'reset-mid-response'
    return 'pass'
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname
    const action = decide(req)
    if (applies(req.method ?? 'GET', path)) consecutive = action === 'pass' ? 0 : consecutive + 1
    const range = req.headers['content-range']
    log.push({ method: req.method ?? '', path, action, ...(range === undefined ? {} : { range }) })
    switch (action) {
      case 'reset':
        req.socket.destroy()
        return
      case 'unavailable':
        res.writeHead(503, {
          'content-type': 'application/json',
          connection: 'close',
          ...(options.retryAfterSeconds === undefined
            ? {}
            : { 'retry-after': String(options.retryAfterSeconds) }),
        })
        res.end('{"errors":[{"code":"UNAVAILABLE","message":"injected fault"}]}')
        req.resume()
        return
      case 'pass':
        forward(req, res, target, {})
        return
      case 'reset-mid-body':
        forward(req, res, target, {
          cutRequestAfter: Math.floor(random() * Number(req.headers['content-length'])),
        })
        return
      case 'reset-mid-response':
        forward(req, res, target, { cutResponseAt: random() })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    log,
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * Forwards one request. `cutRequestAfter`: drop both connections once that many request
 * body bytes went upstream. `cutResponseAt`: drop the client connection after that
 * fraction of a response body was relayed.
 */
function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  cut: { readonly cutRequestAfter?: number; readonly cutResponseAt?: number },
): void {
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      const length = Number(answer.headers['content-length'] ?? 0)
      if (cut.cutResponseAt === undefined || length === 0) {
        answer.pipe(res)
        return
      }
      const limit = Math.max(1, Math.floor(length * cut.cutResponseAt))
      let relayed = 0
      answer.on('data', (chunk: Buffer) => {
        if (relayed >= limit) return
        const part = chunk.subarray(0, limit - relayed)
        relayed += part.length
        res.write(part)
        if (relayed >= limit) {
          answer.destroy()
          res.socket?.destroy()
        }
      })
      answer.on('end', () => res.end())
    },
  )
  upstream.on('error', () => req.socket.destroy())
  const cutAfter = cut.cutRequestAfter
  if (cutAfter === undefined) {
    req.pipe(upstream)
    return
  }
  let sent = 0
  let stopped = false
  req.on('data', (chunk: Buffer) => {
    if (stopped) return
    if (sent + chunk.length >= cutAfter) {
      stopped = true
      upstream.write(chunk.subarray(0, cutAfter - sent))
      upstream.destroy()
      req.socket.destroy()
      return
    }
    sent += chunk.length
    upstream.write(chunk)
  })
  req.on('end', () => {
    if (!stopped) upstream.end()
  })
}

/** A small seeded PRNG (mulberry32): same seed, same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
