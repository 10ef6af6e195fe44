import type { Agent as HttpAgent, IncomingHttpHeaders } from 'node:http'
import type { Agent as HttpsAgent } from 'node:https'
import type { Readable } from 'node:stream'
import {
  type ExchangeBody,
  exchange,
  formatBytes,
  type NetLimits,
  type Reporter,
  readAll,
  redact,
} from '@polyship/core'
import { OciError } from '../errors.ts'
/**
 * A request body: bytes, or a factory of chunks called once per attempt (a stream cannot
 * be sent twice). Chunks may share a reused buffer: each is written and flushed before the
 * next is pulled.
 */
export type RequestBody = ExchangeBody

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
  /** Must be consumed or discarded (`discard`) by whoever receives the response; guarded by the core's limits. */
  readonly body: Readable
}

/** Keep-alive connection pools for one client. */
export interface Agents {
  readonly http: HttpAgent
  readonly https: HttpsAgent
}

export function createAgents(): Agents {
  const options = { keepAlive: true, maxSockets: 16, keepAliveMsecs: 10_000 }
  // CommonJS, not an ESM import: importing node:http reads every export, and Node 24's lazy
  // WebSocket/CloseEvent/MessageEvent getters then load undici (~25 ms of CPU per process)
  const http = process.getBuiltinModule('node:http')
  const https = process.getBuiltinModule('node:https')
  return { http: new http.Agent(options), https: new https.Agent(options) }
}

export interface SendOptions {
  readonly agents: Agents
  readonly limits: NetLimits
  readonly what: string
  readonly reporter?: Reporter
  /** Bytes moved besides a small answer (upload size, blob size): extends the deadline. */
  readonly transferBytes?: number
  /** Largest answer accepted (default the limits'); a blob's size for blob downloads. */
  readonly maxBytes?: number
  /** How long the registry may think after the request was sent (a large upload's commit). */
  readonly answerWithinMs?: number
}

/**
 * One HTTP exchange, no retries, no redirects, under the core's connect, idle, deadline
 * and size limits. Resolves when the response headers arrive, even if the server answers
 * before the whole body was sent (the rest of the body is then abandoned).
 */
export async function send(request: HttpRequest, options: SendOptions): Promise<HttpResponse> {
  return exchange(
    {
      method: request.method,
      url: request.url,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      ...(options.transferBytes === undefined ? {} : { transferBytes: options.transferBytes }),
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
      ...(options.answerWithinMs === undefined ? {} : { answerWithinMs: options.answerWithinMs }),
    },
    {
      limits: options.limits,
      what: options.what,
      agents: options.agents,
      ...(options.reporter === undefined ? {} : { reporter: options.reporter }),
    },
  )
}

/** Reads a small response body as text (error bodies, JSON documents): the first `limit` bytes, the rest dropped unread. */
export async function readText(res: HttpResponse, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res.body) {
    chunks.push(chunk as Buffer)
    size += (chunk as Buffer).length
    if (size >= limit) {
      res.body.destroy()
      break
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8')
}

/**
 * A JSON document answer (tag lists, token answers), refusing more than `limit` bytes and
 * anything that is not JSON (an HTML page from a proxy or a web server) with a coded error.
 */
export async function readJson(res: HttpResponse, what: string, limit = 16 * 1024 * 1024): Promise<unknown> {
  const type = header(res, 'content-type') ?? 'no content type'
  const bytes = await readAll(
    res.body,
    limit,
    () =>
      new OciError('OCI_REGISTRY_ERROR', `${what}: the registry answered more than ${formatBytes(limit)}`, {
        hint: 'the registry or a proxy in front of it sent something else than the API answer',
      }),
  )
  const text = bytes.toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    throw new OciError(
      'OCI_REGISTRY_ERROR',
      redact(
        `${what}: the registry answered ${res.status} with ${type}, not JSON: "${text.slice(0, 80).replace(/\s+/g, ' ')}"`,
      ),
      {
        hint: `check that ${res.url.host} is an OCI registry (a web server or a login page of a proxy answers HTML)`,
      },
    )
  }
}

/** Bytes of a body drained to keep its connection for the next request; a longer body closes it instead. */
const DRAIN_LIMIT = 64 * 1024

/** Throws away a response body: drained when small (the connection is reused), else dropped. */
export async function discard(res: HttpResponse): Promise<void> {
  if (res.body.readableEnded || res.body.destroyed) return
  let drained = 0
  try {
    for await (const chunk of res.body) {
      drained += (chunk as Buffer).length
      if (drained > DRAIN_LIMIT) break
    }
  } catch {
    // the answer was already handled; a broken body only costs the connection
  }
  res.body.destroy()
}

export function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : value
}
