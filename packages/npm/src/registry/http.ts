import type http from 'node:http'
import {
  DEFAULT_NET_LIMITS,
  exchange,
  type NetLimits,
  netLimits,
  networkErrorReason,
  type Reporter,
  readAll,
  redact,
  retrying,
} from '@polyship/core'
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

/** One exchange: what the registry client needs from the network, swappable in tests. `what` is for messages. */
export type Transport = (request: HttpRequest, what?: string) => Promise<HttpResponse>

/** Connect, idle, deadline, size and retry-time limits (see the core's NetLimits); unset ones come from `POLYSHIP_HTTP_*` or the defaults. */
export type Timeouts = Partial<NetLimits>

export const DEFAULT_TIMEOUTS: NetLimits = DEFAULT_NET_LIMITS

/**
 * A transport through the core exchange: connect and idle timeouts, a deadline (longer
 * for a publish document, by its size), the response size cap, no redirects followed, the
 * whole body read. Timeouts, the cap and TLS mismatches reject with a NetError naming the
 * host; other network failures with node's `code` (ECONNREFUSED, ...).
 */
export function nodeTransport(
  timeouts: Timeouts = {},
  options: { readonly env?: Readonly<Record<string, string | undefined>>; readonly reporter?: Reporter } = {},
): Transport {
  const limits = netLimits(options.env ?? process.env, timeouts)
  return async (request, what = `${request.method} ${request.url.origin}`) => {
    const answer = await exchange(
      {
        method: request.method,
        url: request.url,
        ...(request.headers === undefined ? {} : { headers: request.headers }),
        ...(request.body === undefined ? {} : { body: request.body, transferBytes: request.body.length }),
      },
      { limits, what, ...(options.reporter === undefined ? {} : { reporter: options.reporter }) },
    )
    // the exchange caps the body at limits.maxBytes already
    const body = await readAll(answer.body, Number.MAX_SAFE_INTEGER, () => new Error('unreachable'))
    return { status: answer.status, headers: answer.headers, body }
  }
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
  /** All tries of one call stay within this (the limits' `retryMs`). */
  readonly retryMs?: number
  readonly now?: () => number
  /** In [0, 1): the backoff's jitter. */
  readonly random?: () => number
  readonly reporter?: Reporter
  readonly sleep: (ms: number) => Promise<void>
  /** Literal secrets to keep out of messages. */
  readonly secrets: readonly string[]
  /** What is being done, for messages: `publishing @acme/x@1.0.0 to https://...`. */
  readonly what: string
}

/**
 * Sends through core's retry rules: connection failures, timeouts, 408, 429 and 5xx
 * retried with backoff and jitter, or after Retry-After (PUT and GET are idempotent);
 * other answers are returned as they are, a 5xx or 429 that outlives the retries is
 * NPM_REGISTRY_ERROR. Messages never carry credentials.
 */
export async function send(request: HttpRequest, options: SendOptions): Promise<HttpResponse> {
  const what = redact(options.what, options.secrets)
  const response = await retrying(
    () => ({
      method: request.method,
      hasBody: request.body !== undefined,
      send: () => options.transport(request, what),
    }),
    {
      what: options.what,
      retryMs: options.retryMs ?? DEFAULT_NET_LIMITS.retryMs,
      policy: { attempts: options.retry.retries + 1, baseDelayMs: options.retry.baseDelayMs },
      deps: {
        sleep: options.sleep,
        ...(options.now === undefined ? {} : { now: options.now }),
        ...(options.random === undefined ? {} : { random: options.random }),
        ...(options.reporter === undefined ? {} : { reporter: options.reporter }),
      },
      secrets: options.secrets,
      unreachable: (cause, tries) =>
        new NpmError(
          'NPM_REGISTRY_UNREACHABLE',
          `${options.what}: cannot reach ${request.url.origin} (${networkErrorReason(cause)}) after ${tries} attempts`,
          { hint: 'check the registry URL and that it is up; polyship retries with backoff', cause },
        ),
    },
  )
  if (response.status < 500 && response.status !== 429) return response
  throw new NpmError(
    'NPM_REGISTRY_ERROR',
    redact(
      `${options.what}: ${request.url.origin} answered ${response.status} after ${response.tries} attempts: ${excerpt(response)}`,
      options.secrets,
    ),
    {
      hint:
        response.status === 429
          ? 'the registry is rate-limiting; run the release again later, it resumes where it stopped'
          : 'the registry is failing; run the release again later, it resumes where it stopped',
    },
  )
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
