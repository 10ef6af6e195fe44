import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import https from 'node:https'
/**
 * A request body: bytes, or a factory of chunks called once per attempt (a stream cannot
 * be sent twice). Chunks may share a reused buffer: each is written and flushed before the
 * next is pulled.
 */
export type RequestBody = Uint8Array | (() => AsyncIterable<Uint8Array>)

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly body?: RequestBody
}

export interface HttpResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly url: URL
  /** Must be consumed or discarded (`discard`) by whoever receives the response. */
  readonly body: IncomingMessage
}

/** Keep-alive connection pools for one client. */
export interface Agents {
  readonly http: http.Agent
  readonly https: https.Agent
}

export function createAgents(): Agents {
  const options = { keepAlive: true, maxSockets: 16, keepAliveMsecs: 10_000 }
  return { http: new http.Agent(options), https: new https.Agent(options) }
}

/** Idle time on a socket after which the request fails (and may be retried). */
const SOCKET_TIMEOUT_MS = 120_000

/**
 * One HTTP exchange, no retries, no redirects. Resolves when the response headers
 * arrive, even if the server answers before the whole body was sent (the rest of the
 * body is then abandoned and the connection closed).
 */
export function send(request: HttpRequest, agents: Agents): Promise<HttpResponse> {
  const secure = request.url.protocol === 'https:'
  return new Promise<HttpResponse>((resolve, reject) => {
    const headers: Record<string, string> = { ...request.headers }
    if (request.body instanceof Uint8Array) headers['content-length'] = String(request.body.length)
    const req = (secure ? https : http).request(request.url, {
      method: request.method,
      headers,
      agent: secure ? agents.https : agents.http,
      timeout: SOCKET_TIMEOUT_MS,
    })
    let settled = false
    let sending = false
    const fail = (error: Error) => {
      if (settled) return
      settled = true
      req.destroy()
      reject(error)
    }
    req.on('error', fail)
    req.on('timeout', () =>
      fail(Object.assign(new Error(`no data for ${SOCKET_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })),
    )
    req.on('response', (res) => {
      if (settled) {
        res.resume()
        return
      }
      settled = true
      if (sending) {
        // The server answered before the whole body was sent (an error, a 503): stop
        // sending and drop the connection once the answer is read.
        res.on('end', () => req.destroy())
        res.on('close', () => req.destroy())
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, url: request.url, body: res })
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

/** Writes chunks one at a time, each flushed before the next is pulled; stops when `stop()` says so. */
async function pump(
  req: http.ClientRequest,
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

/** Reads a small response body as text (error bodies, JSON documents), at most `limit` bytes kept. */
export async function readText(res: HttpResponse, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res.body) {
    if (size < limit) chunks.push(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8')
}

/** Throws away a response body so the connection can be reused. */
export async function discard(res: HttpResponse): Promise<void> {
  if (res.body.readableEnded || res.body.destroyed) return
  res.body.resume()
  await new Promise<void>((resolve) => {
    res.body.once('end', resolve)
    res.body.once('close', resolve)
    res.body.once('error', () => resolve())
  })
}

export function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : value
}
