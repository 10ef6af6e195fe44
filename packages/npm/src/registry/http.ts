import type http from 'node:http'
import {
  DEFAULT_NET_LIMITS,
  exchange,
  formatDuration,
  isNetError,
  type NetLimits,
  netLimits,
  networkErrorReason,
  type Reporter,
  RetryBudget,
  readAll,
  redact,
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
  readonly reporter?: Reporter
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
  const budget = new RetryBudget(options.retryMs ?? DEFAULT_NET_LIMITS.retryMs, options.now)
  const what = redact(options.what, options.secrets)
  for (let attempt = 0; ; attempt++) {
    const delay = options.retry.baseDelayMs * 2 ** attempt
    // decided after the try: no retry starts after the budget's end
    const isLast = () => attempt >= options.retry.retries || !budget.allows(delay)
    let response: HttpResponse
    try {
      response = await options.transport(request, what)
    } catch (cause) {
      if (isNetError(cause) && !cause.retryable) throw redacted(cause, options.secrets)
      if (!isLast()) {
        options.reporter?.emit({
          type: 'log',
          level: isNetError(cause) ? 'warn' : 'debug',
          message: `${isNetError(cause) ? redact(cause.message, options.secrets) : `${what}: ${networkErrorReason(cause)}`}; retrying in ${formatDuration(delay)}`,
        })
        await options.sleep(delay)
        continue
      }
      if (isNetError(cause))
        throw redacted(cause.gaveUp(attempt + 1, formatDuration(budget.elapsedMs())), options.secrets)
      const code = networkErrorReason(cause)
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
    if (isLast()) {
      throw new NpmError(
        'NPM_REGISTRY_ERROR',
        redact(
          `${options.what}: ${request.url.origin} answered ${response.status} after ${attempt + 1} attempts: ${excerpt(response)}`,
          options.secrets,
        ),
        { hint: 'the registry is failing; run the release again later, it resumes where it stopped' },
      )
    }
    await options.sleep(delay)
  }
}

function redacted<E extends Error>(error: E, secrets: readonly string[]): E {
  if (secrets.length > 0) error.message = redact(error.message, secrets)
  return error
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
