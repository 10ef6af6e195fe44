import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type NetLimits, type PolyshipError, run } from '@polyship/core'

/**
 * How the server misbehaves on the requests it is hostile to:
 * - `echo-auth`: answers 400 with an error body quoting the request's Authorization header
 *   (401 with a Basic challenge when the request has none, so that the client sends it);
 * - `drip`: answers 200 and then one byte every `dripIntervalMs`, never finishing;
 * - `hang`: accepts the connection, reads the request, never answers;
 * - `lie-digest`: serves blob and manifest bytes that are not the ones their digest names
 *   (each byte flipped, same length, headers claiming the requested digest);
 * - `html`: answers 200 with an HTML page (a proxy's login page) where JSON is expected;
 * - `huge`: answers 200 with `hugeBytes` (300 MB by default) generated lazily, chunked;
 * - `truncate-upload`: reads `truncateAfterBytes` of a request body, then resets the connection;
 * - `tls`: speaks TLS (self-signed, made with openssl) and answers 404 to everything.
 */
export type HostileMode =
  | 'echo-auth'
  | 'drip'
  | 'hang'
  | 'lie-digest'
  | 'html'
  | 'huge'
  | 'truncate-upload'
  | 'tls'

export const HOSTILE_MODES: readonly HostileMode[] = [
  'echo-auth',
  'drip',
  'hang',
  'lie-digest',
  'html',
  'huge',
  'truncate-upload',
  'tls',
]

export interface HostileServerOptions {
  readonly mode: HostileMode
  /**
   * A server to forward the requests the mode does not apply to (and, for `lie-digest`,
   * the ones it alters): `http://127.0.0.1:5000`. Without it they are answered 404.
   */
  readonly target?: string
  /** Which requests get the hostile treatment (default: all). */
  readonly applies?: (method: string, path: string) => boolean
  /** `drip`: time between bytes (default 20 s, as the audit's server; tests use a fraction of their idle timeout). */
  readonly dripIntervalMs?: number
  /** `huge`: body length (default 300 MB). */
  readonly hugeBytes?: number
  /** `huge`: send Content-Length (default false: chunked, so only reading finds out). */
  readonly declareLength?: boolean
  /** `truncate-upload`: body bytes read before the reset (default 1024). */
  readonly truncateAfterBytes?: number
  /** `echo-auth`: the status of the echoing answer (default 400). */
  readonly echoStatus?: number
}

export interface HostileServer {
  /** `127.0.0.1:<port>`: use as the registry host. */
  readonly host: string
  /** `http://127.0.0.1:<port>` (`https://` in `tls` mode). */
  readonly url: string
  /** Every request seen, with whether it was treated with hostility. */
  readonly log: readonly { readonly method: string; readonly path: string; readonly hostile: boolean }[]
  /** Bytes the `huge` mode has sent so far, over all requests: what the client did read. */
  readonly sentBytes: () => number
  stop(): Promise<void>
}

const HTML_PAGE = `<!doctype html>
<html><head><title>Sign in</title></head>
<body><h1>Corporate proxy</h1><form action="/login"><input name="user"></form></body></html>
`

/**
 * A loopback server that misbehaves the way the audit's hostile servers did (see
 * `HostileMode`), either on its own or in front of a real server (`target`) whose answers
 * it passes through for the requests it is not hostile to.
 */
export async function startHostileServer(options: HostileServerOptions): Promise<HostileServer> {
  const applies = options.applies ?? (() => true)
  const target = options.target === undefined ? undefined : new URL(options.target)
  const log: { method: string; path: string; hostile: boolean }[] = []
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  let sent = 0

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET'
    const path = new URL(req.url ?? '/', 'http://hostile').pathname
    const hostile = applies(method, path)
    log.push({ method, path, hostile })
    if (!hostile || options.mode === 'tls') {
      passThrough(req, res, target)
      return
    }
    switch (options.mode) {
      case 'echo-auth': {
        req.resume()
        const said = req.headers.authorization
        if (said === undefined) {
          // ask for credentials, so that the client sends them to be echoed
          res.writeHead(401, {
            'www-authenticate': 'Basic realm="hostile"',
            'content-type': 'application/json',
          })
          res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
          return
        }
        res.writeHead(options.echoStatus ?? 400, { 'content-type': 'application/json', connection: 'close' })
        res.end(
          JSON.stringify({
            errors: [{ code: 'DENIED', message: `rejected request with authorization: ${said}` }],
            error: `rejected request with authorization: ${said}`,
          }),
        )
        return
      }
      case 'drip': {
        req.resume()
        res.writeHead(200, { 'content-type': 'application/json' })
        res.flushHeaders()
        const timer = setInterval(() => res.write(' '), options.dripIntervalMs ?? 20_000)
        timers.add(timer)
        res.on('close', () => {
          clearInterval(timer)
          timers.delete(timer)
        })
        return
      }
      case 'hang':
        req.resume()
        return
      case 'lie-digest':
        lie(req, res, target, path)
        return
      case 'html':
        req.resume()
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        res.end(HTML_PAGE)
        return
      case 'huge':
        req.resume()
        huge(res, options.hugeBytes ?? 300_000_000, options.declareLength ?? false, (n) => {
          sent += n
        })
        return
      case 'truncate-upload':
        truncate(req, res, target, options.truncateAfterBytes ?? 1024)
        return
    }
  }

  let server: Server
  let cleanup = async () => {}
  if (options.mode === 'tls') {
    const dir = await mkdtemp(join(tmpdir(), 'polyship-hostile-tls-'))
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
    ])
    server = createTlsServer(
      { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) },
      handle,
    )
    cleanup = () => rm(dir, { recursive: true, force: true })
  } else {
    server = createServer(handle)
  }
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    host: `127.0.0.1:${port}`,
    url: `${options.mode === 'tls' ? 'https' : 'http'}://127.0.0.1:${port}`,
    log,
    sentBytes: () => sent,
    stop: async () => {
      for (const timer of timers) clearInterval(timer)
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await cleanup()
    },
  }
}

/** Forwards to `target` as is; without one, `GET /v2/` is answered 200 (a registry's ping) and the rest 404. */
function passThrough(req: IncomingMessage, res: ServerResponse, target: URL | undefined): void {
  if (target === undefined) {
    req.resume()
    if (req.url === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{}')
      return
    }
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end('{"errors":[{"code":"NOT_FOUND","message":"hostile server without a target"}]}')
    return
  }
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    },
  )
  upstream.on('error', () => req.socket.destroy())
  req.pipe(upstream)
}

/** Blob and manifest GETs: the real answer with every byte flipped; without a target, other bytes under the requested digest. */
function lie(req: IncomingMessage, res: ServerResponse, target: URL | undefined, path: string): void {
  const digest = /\/(?:blobs|manifests)\/(sha256:[a-f0-9]{64})$/.exec(path)?.[1]
  if (target === undefined) {
    req.resume()
    const body = Buffer.from('these are not the bytes you are looking for\n')
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
      ...(digest === undefined ? {} : { 'docker-content-digest': digest }),
    })
    res.end(req.method === 'HEAD' ? undefined : body)
    return
  }
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      if (req.method !== 'GET' || answer.statusCode !== 200) {
        answer.pipe(res)
        return
      }
      answer.on('data', (chunk: Buffer) => res.write(Buffer.from(chunk.map((byte) => byte ^ 0xff))))
      answer.on('end', () => res.end())
    },
  )
  upstream.on('error', () => req.socket.destroy())
  req.pipe(upstream)
}

/** A lazily generated body of `total` bytes of JSON-looking filler, written as the client reads. */
function huge(res: ServerResponse, total: number, declareLength: boolean, count: (n: number) => void): void {
  res.writeHead(200, {
    'content-type': 'application/json',
    ...(declareLength ? { 'content-length': String(total) } : {}),
  })
  const chunk = Buffer.alloc(64 * 1024, 0x20)
  chunk[0] = 0x5b // '['
  let left = total
  const write = () => {
    while (left > 0) {
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left)
      left -= part.length
      count(part.length)
      if (!res.write(part)) {
        res.once('drain', write)
        return
      }
    }
    res.end()
  }
  res.on('close', () => {
    left = 0
  })
  write()
}

/** Reads `after` bytes of the request body, then resets the connection; requests without a body pass. */
function truncate(req: IncomingMessage, res: ServerResponse, target: URL | undefined, after: number): void {
  const length = Number(req.headers['content-length'] ?? 0)
  const chunked = req.headers['transfer-encoding'] !== undefined
  if (length === 0 && !chunked) {
    passThrough(req, res, target)
    return
  }
  let read = 0
  req.on('data', (chunk: Buffer) => {
    read += chunk.length
    if (read >= Math.min(after, Math.max(1, length - 1))) req.socket.resetAndDestroy()
  })
  req.on('end', () => req.socket.resetAndDestroy())
}

/**
 * Network limits small enough that every hostile case ends within a second or two: the
 * client under test takes them in place of the defaults (POLYSHIP_HTTP_* in production).
 */
export const HOSTILE_LIMITS: Partial<NetLimits> = {
  connectMs: 1000,
  idleMs: 200,
  deadlineMs: 800,
  retryMs: 1500,
  noticeMs: 50,
  maxBytes: 1024 * 1024,
}

/** The coded error `promise` rejects with; a promise that resolves fails the test. */
export async function codedFailure(promise: Promise<unknown>): Promise<{ error: PolyshipError }> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (e: unknown) => e,
  )
  return { error: error as PolyshipError }
}
