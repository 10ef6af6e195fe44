import http from 'node:http'
import https from 'node:https'
import type { Socket } from 'node:net'
import { redact } from '@polyship/core'
import { NpmError } from '../errors.ts'

export interface HttpRequest {
  readonly method: 'GET' | 'PUT'
  readonly url: URL
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: Uint8Array
}

export interface HttpResponse {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: Buffer
}

/** One exchange: what the registry client needs from the network, swappable in tests. */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>

export interface Timeouts {
  /** Until the TCP (and TLS) connection is up (default 15 s). */
  readonly connectMs: number
  /** Without a byte in either direction once connected (default 60 s). */
  readonly idleMs: number
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 15_000, idleMs: 60_000 }

/** Responses bigger than this are refused: a packument of thousands of versions stays far below. */
const MAX_BODY = 256 << 20

/**
 * A node:http(s) transport with a connect timeout and an idle timeout, no redirects
 * followed, the whole body read. Network failures reject with a `code` (ECONNREFUSED,
 * ETIMEDOUT, ...), as node's errors carry.
 */
export function nodeTransport(timeouts: Timeouts = DEFAULT_TIMEOUTS): Transport {
  return (request) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const secure = request.url.protocol === 'https:'
      const headers: Record<string, string> = { ...request.headers }
      if (request.body !== undefined) headers['content-length'] = String(request.body.length)
      const req = (secure ? https : http).request(request.url, {
        method: request.method,
        headers,
        timeout: timeouts.idleMs,
      })
      const fail = (message: string, code: string) => req.destroy(Object.assign(new Error(message), { code }))
      const connectTimer = setTimeout(
        () => fail(`no connection within ${timeouts.connectMs} ms`, 'ETIMEDOUT'),
        timeouts.connectMs,
      )
      req.on('socket', (socket: Socket) => {
        // a kept-alive socket is connected already; a new one says when it is
        if (socket.connecting)
          socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer))
        else clearTimeout(connectTimer)
      })
      req.on('timeout', () => fail(`no data for ${timeouts.idleMs} ms`, 'ETIMEDOUT'))
      req.on('error', (error) => {
        clearTimeout(connectTimer)
        reject(error)
      })
      req.on('response', (res) => {
        clearTimeout(connectTimer)
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_BODY) fail(`response larger than ${MAX_BODY} bytes`, 'E2BIG')
          else chunks.push(chunk)
        })
        res.on('error', reject)
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        )
      })
      req.end(request.body)
    })
}

export interface RetryPolicy {
  /** Attempts after the first (default 3). */
  readonly retries: number
  /** First backoff, doubled each time (default 500 ms). */
  readonly baseDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, baseDelayMs: 500 }

export interface SendOptions {
  readonly transport: Transport
  readonly retry: RetryPolicy
  readonly sleep: (ms: number) => Promise<void>
  /** Literal secrets to keep out of messages. */
  readonly secrets: readonly string[]
  /** What is being done, for messages: `publishing @acme/x@1.0.0 to https://...`. */
  readonly what: string
}

/**
 * Sends with retries of connection failures and 5xx answers (exponential backoff); other
 * answers are returned as they are. Messages never carry credentials.
 */
export async function send(request: HttpRequest, options: SendOptions): Promise<HttpResponse> {
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= options.retry.retries
    let response: HttpResponse
    try {
      response = await options.transport(request)
    } catch (cause) {
      if (!last) {
        await options.sleep(options.retry.baseDelayMs * 2 ** attempt)
        continue
      }
      const code = (cause as { code?: string }).code ?? (cause as Error).message
      throw new NpmError(
        'NPM_REGISTRY_UNREACHABLE',
        redact(
          `${options.what}: cannot reach ${request.url.origin} (${code}) after ${attempt + 1} attempts`,
          options.secrets,
        ),
        { hint: 'check the registry URL and that it is up; polyship retries with backoff', cause },
      )
    }
    if (response.status < 500) return response
    if (last) {
      throw new NpmError(
        'NPM_REGISTRY_ERROR',
        redact(
          `${options.what}: ${request.url.origin} answered ${response.status} after ${attempt + 1} attempts: ${excerpt(response)}`,
          options.secrets,
        ),
        { hint: 'the registry is failing; run the release again later, it resumes where it stopped' },
      )
    }
    await options.sleep(options.retry.baseDelayMs * 2 ** attempt)
  }
}

/** The start of a response body for messages: npm registries answer `{"error": "..."}`. */
export function excerpt(response: HttpResponse): string {
  const text = response.body.toString('utf8', 0, Math.min(response.body.length, 2000))
  try {
    const json = JSON.parse(text) as { error?: unknown; reason?: unknown; message?: unknown }
    const reason = json.error ?? json.reason ?? json.message
    if (typeof reason === 'string') return reason
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 300)
}
