import type { ClientRequest, Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Agent as HttpsAgent } from 'node:https'
import type { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { connect as tlsConnect } from 'node:tls'
import type { Reporter } from './events.ts'
import { NetError } from './net-error.ts'
import { formatDuration, NET_LIMIT_VARIABLES, type NetLimits, transferDeadlineMs } from './net-limits.ts'

/**
 * A request body: bytes, or a factory of chunks called once per exchange (a stream cannot
 * be sent twice). Chunks may share a reused buffer: each is written and flushed before the
 * next is pulled.
 */
export type ExchangeBody = Uint8Array | (() => AsyncIterable<Uint8Array>)

export interface ExchangeRequest {
  readonly method: string
  readonly url: URL
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: ExchangeBody
  /** Bytes this exchange moves besides a small answer (an upload, an expected download): extends its deadline. */
  readonly transferBytes?: number
  /** Largest body accepted (default `limits.maxBytes`). */
  readonly maxBytes?: number
  /**
   * How long the server may think, once the request is sent, before its first byte (default
   * `limits.idleMs`): a registry committing a large upload takes longer.
   */
  readonly answerWithinMs?: number
}

export interface ExchangeOptions {
  readonly limits: NetLimits
  /** What is being done, for messages: `push blob sha256:... to host/repo`. */
  readonly what: string
  /** Connection pools (keep-alive); node's global agents otherwise. */
  readonly agents?: { readonly http: HttpAgent; readonly https: HttpsAgent }
  /** Hears `waiting for <host>` warnings while nothing moves. */
  readonly reporter?: Reporter
}

export interface ExchangeResponse {
  readonly status: number
  readonly statusText: string
  readonly headers: IncomingHttpHeaders
  readonly url: URL
  /**
   * The answer's bytes, guarded: an idle timeout while it is read, the exchange's deadline
   * and the size cap end it with a NetError. Consume it or `destroy()` it.
   */
  readonly body: Readable
}

/**
 * One HTTP exchange, no retries, no redirects, with a connect timeout, an idle timeout
 * (no byte moving while polyship waits for one: a consumer applying backpressure is not
 * idle), an overall deadline and a response size cap. Resolves when the headers arrive,
 * even if the server answers before the whole request body was sent (the rest is then
 * abandoned and the connection closed). Timeouts, the cap and a TLS/plain-http mismatch
 * are NetErrors naming the host; other transport failures reject as node reports them
 * (with `code`: ECONNREFUSED, ECONNRESET, ...).
 */
export function exchange(request: ExchangeRequest, options: ExchangeOptions): Promise<ExchangeResponse> {
  const { limits, what } = options
  const url = request.url
  const host = url.host
  const secure = url.protocol === 'https:'
  const maxBytes = request.maxBytes ?? limits.maxBytes
  let deadlineMs = transferDeadlineMs(limits, request.transferBytes)
  let failures = failureMessages(what, host, limits, deadlineMs, maxBytes)
  const started = Date.now()

  return new Promise<ExchangeResponse>((resolve, reject) => {
    const headers: Record<string, string> = { ...request.headers }
    if (request.body instanceof Uint8Array) headers['content-length'] = String(request.body.length)
    const agent =
      options.agents === undefined ? undefined : secure ? options.agents.https : options.agents.http
    // CommonJS, not an ESM import: importing node:http reads every export, and Node 24's lazy
    // WebSocket/CloseEvent/MessageEvent getters then load undici (~25 ms of CPU per process)
    const req = process.getBuiltinModule(secure ? 'node:https' : 'node:http').request(url, {
      method: request.method,
      headers,
      ...(agent === undefined ? {} : { agent }),
    })
    let settled = false
    let sending = false
    let socket: Socket | undefined
    let guard: Readable | undefined
    let received = 0
    let waiting = true
    let lastMoved = Date.now()
    let moved = 0
    let idleTimer: NodeJS.Timeout | undefined

    const clear = () => {
      clearTimeout(connectTimer)
      clearTimeout(deadlineTimer)
      clearTimeout(idleTimer)
      clearInterval(noticeTimer)
    }
    /** Ends the exchange with `error`: rejects before the answer, errors the body after. */
    const fail = (error: Error) => {
      clear()
      if (guard !== undefined) {
        guard.destroy(error)
        return
      }
      if (settled) return
      settled = true
      req.destroy()
      void diagnose(error, what, url, socket, limits).then(reject)
    }
    const armIdle = () => {
      clearTimeout(idleTimer)
      waiting = true
      idleTimer = setTimeout(() => fail(failures.idleInBody(received)), limits.idleMs).unref()
    }
    const disarmIdle = () => {
      clearTimeout(idleTimer)
      waiting = false
    }

    // unref'd: an exchange in flight keeps the process alive through its socket
    const connectTimer = setTimeout(() => fail(failures.connect()), limits.connectMs).unref()
    let deadlineTimer = setTimeout(() => fail(failures.deadline(received)), deadlineMs).unref()
    const noticeTimer = setInterval(() => {
      const now = Date.now()
      const total = socket === undefined ? 0 : socket.bytesRead + socket.bytesWritten
      if (total !== moved) {
        moved = total
        lastMoved = now
        return
      }
      if (!waiting || now - lastMoved < limits.noticeMs) return
      options.reporter?.emit({
        type: 'log',
        level: 'warn',
        message: `waiting for ${host}: no byte for ${formatDuration(now - lastMoved)} (${what}); polyship gives up after ${formatDuration(limits.idleMs)} without a byte or ${formatDuration(deadlineMs)} in all`,
      })
    }, limits.noticeMs)
    noticeTimer.unref()

    req.on('socket', (assigned: Socket) => {
      socket = assigned
      moved = assigned.bytesRead + assigned.bytesWritten
      const connected = () => {
        clearTimeout(connectTimer)
        lastMoved = Date.now()
        // Before the answer, "idle" is the socket's: no byte read or written.
        req.setTimeout(limits.idleMs)
      }
      if (assigned.connecting) assigned.once(secure ? 'secureConnect' : 'connect', connected)
      else connected()
    })
    const answerWithinMs = Math.max(limits.idleMs, request.answerWithinMs ?? 0)
    req.on('finish', () => {
      if (answerWithinMs > limits.idleMs && !settled) req.setTimeout(answerWithinMs)
    })
    req.on('timeout', () =>
      fail(sending ? failures.idleSending() : failures.idleBeforeAnswer(formatDuration(answerWithinMs))),
    )
    req.on('error', fail)
    req.on('response', (res: IncomingMessage) => {
      if (settled) {
        res.resume()
        return
      }
      settled = true
      req.setTimeout(0)
      if (sending) {
        // The server answered before the whole body was sent (an error, a 503): stop
        // sending and drop the connection once the answer is read.
        res.on('end', () => req.destroy())
        res.on('close', () => req.destroy())
      }
      const declared = Number(res.headers['content-length'] ?? 0)
      // A long answer, declared and within the cap, gets the time its size needs.
      const extended = transferDeadlineMs(limits, (request.transferBytes ?? 0) + declared)
      if (Number.isSafeInteger(declared) && declared <= maxBytes && extended > deadlineMs) {
        deadlineMs = extended
        failures = failureMessages(what, host, limits, deadlineMs, maxBytes)
        clearTimeout(deadlineTimer)
        deadlineTimer = setTimeout(
          () => fail(failures.deadline(received)),
          Math.max(0, started + deadlineMs - Date.now()),
        ).unref()
      }
      guard = new Readable({
        read() {
          res.resume()
          armIdle()
        },
        destroy(error, callback) {
          clear()
          if (!res.complete) req.destroy()
          callback(error)
        },
      })
      // A stored error surfaces to whoever reads the body; nobody reading must not crash the process.
      guard.on('error', () => {})
      const body = guard
      res.on('data', (chunk: Buffer) => {
        received += chunk.length
        if (received > maxBytes) {
          body.destroy(failures.size())
          return
        }
        if (body.push(chunk)) armIdle()
        else {
          res.pause()
          disarmIdle()
        }
      })
      res.on('end', () => {
        clear()
        body.push(null)
      })
      res.on('error', (error) => body.destroy(error))
      res.on('close', () => {
        if (!res.complete && !body.destroyed)
          body.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))
      })
      res.pause()
      disarmIdle()
      if (Number.isSafeInteger(declared) && declared > maxBytes) body.destroy(failures.size())
      resolve({
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        headers: res.headers,
        url,
        body,
      })
    })

    const body = request.body
    if (body === undefined) req.end()
    else if (body instanceof Uint8Array) req.end(body)
    else {
      sending = true
      pump(req, body(), () => settled)
        .then(() => {
          sending = false
        })
        .catch((error: unknown) => fail(error instanceof Error ? error : new Error(String(error))))
    }
  })
}

/**
 * An exchange's answer as a fetch `Response` (for code written against fetch); its body
 * keeps the exchange's idle, deadline and size guards, whose NetErrors reject its reads.
 */
export function toFetchResponse(answer: ExchangeResponse): Response {
  const headers = new Headers()
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value === undefined) continue
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one)
  }
  const empty = answer.status === 204 || answer.status === 205 || answer.status === 304
  if (empty) answer.body.destroy()
  return new Response(empty ? null : (Readable.toWeb(answer.body) as ReadableStream<Uint8Array>), {
    status: answer.status,
    statusText: answer.statusText,
    headers,
  })
}

/** Writes chunks one at a time, each flushed before the next is pulled; stops when `stop()` says so. */
async function pump(
  req: ClientRequest,
  chunks: AsyncIterable<Uint8Array>,
  stop: () => boolean,
): Promise<void> {
  for await (const chunk of chunks) {
    if (stop() || req.destroyed) return
    await new Promise<void>((resolve, reject) =>
      req.write(chunk, (error) => (error ? reject(error) : resolve())),
    )
  }
  if (!stop()) req.end()
}

function failureMessages(
  what: string,
  host: string,
  limits: NetLimits,
  deadlineMs: number,
  maxBytes: number,
) {
  const setting = (key: keyof NetLimits) => `${NET_LIMIT_VARIABLES[key]} sets this limit`
  const idle = formatDuration(limits.idleMs)
  const stalled = `check that ${host} is healthy (a proxy or load balancer in front of it may hold connections open); ${setting('idleMs')}`
  return {
    connect: () =>
      new NetError(
        'connect',
        host,
        `${what}: no connection to ${host} within ${formatDuration(limits.connectMs)} (connect timeout)`,
        { hint: `check that ${host} is up and reachable from here; ${setting('connectMs')}` },
      ),
    idleBeforeAnswer: (waited: string) =>
      new NetError(
        'idle',
        host,
        `${what}: ${host} accepted the connection but sent no answer for ${waited} (idle timeout)`,
        { hint: stalled },
      ),
    idleSending: () =>
      new NetError('idle', host, `${what}: ${host} took no byte of the request for ${idle} (idle timeout)`, {
        hint: stalled,
      }),
    idleInBody: (received: number) =>
      new NetError(
        'idle',
        host,
        `${what}: ${host} stopped sending its answer after ${formatBytes(received)}: no byte for ${idle} (idle timeout)`,
        { hint: stalled },
      ),
    deadline: (received: number) =>
      new NetError(
        'deadline',
        host,
        `${what}: ${host} did not finish answering within ${formatDuration(deadlineMs)} (deadline; ${formatBytes(received)} received)`,
        {
          hint: `${host} is answering too slowly; ${setting('deadlineMs')} (and ${NET_LIMIT_VARIABLES.bytesPerSecond} the slowest transfer rate accepted)`,
        },
      ),
    size: () =>
      new NetError('size', host, `${what}: ${host} answered more than ${formatBytes(maxBytes)} (size cap)`, {
        hint: `check that the URL points at the service's API and not at a file or web server; ${setting('maxBytes')}`,
      }),
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  if (bytes < 1024 ** 2) return `${Number((bytes / 1024).toFixed(1))} KiB`
  if (bytes < 1024 ** 3) return `${Number((bytes / 1024 ** 2).toFixed(1))} MiB`
  return `${Number((bytes / 1024 ** 3).toFixed(1))} GiB`
}

const TLS_PROTOCOL_ERRORS =
  /wrong version number|packet length too long|unknown protocol|record layer failure/i

/**
 * A transport error, made precise when the scheme does not match what the server speaks:
 * TLS to a plain-http server fails the handshake; plain http to a TLS server is answered
 * by a hang-up, checked with a TLS handshake (no request, no credentials sent).
 */
async function diagnose(
  error: Error,
  what: string,
  url: URL,
  socket: Socket | undefined,
  limits: NetLimits,
): Promise<Error> {
  if (error instanceof NetError) return error
  const code = (error as NodeJS.ErrnoException).code ?? ''
  const host = url.host
  if (
    url.protocol === 'https:' &&
    (code === 'EPROTO' || code.startsWith('ERR_SSL_')) &&
    TLS_PROTOCOL_ERRORS.test(error.message)
  ) {
    return new NetError(
      'tls',
      host,
      `${what}: ${host} does not speak TLS: polyship spoke https to a plain-http server`,
      {
        hint: `check the URL's scheme and port: the server at ${host} answers plain HTTP`,
        cause: error,
      },
    )
  }
  const hungUp = code === 'ECONNRESET' || error.message === 'socket hang up'
  const parseError = code.startsWith('HPE_')
  if (url.protocol === 'http:' && (parseError || (hungUp && (socket?.bytesRead ?? 0) === 0))) {
    if (await speaksTls(url, Math.min(limits.connectMs, 5000))) {
      return new NetError('tls', host, `${what}: ${host} speaks TLS: polyship spoke plain http to it`, {
        hint: `use https:// for ${host}`,
        cause: error,
      })
    }
  }
  return error
}

/** True when a TLS handshake with the URL's host and port succeeds (any certificate). */
function speaksTls(url: URL, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
    const socket = tlsConnect({
      host: hostname,
      port: Number(url.port || 80),
      rejectUnauthorized: false,
      ...(/^[\d.:]+$/.test(hostname) ? {} : { servername: hostname }),
    })
    const done = (result: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.once('secureConnect', () => done(true))
    socket.once('error', () => done(false))
  })
}
