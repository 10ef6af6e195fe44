import {
  type ExchangeBody,
  type ExchangeResponse,
  exchange,
  formatDuration,
  isLoopbackHostname,
  isNetError,
  type NetLimits,
  netLimits,
  networkErrorReason,
  originOf,
  type Reporter,
  RetryBudget,
  redact,
  toFetchResponse,
} from '@polyship/core'
import { WheelError } from '../errors.ts'

/** The ambient things publishing touches, passed in so tests hand over literals. */
export interface HttpDeps {
  readonly sleep: (ms: number) => Promise<void>
  /** Read for credentials, OIDC variables and the `POLYSHIP_HTTP_*` limits. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Hears "waiting for <host>" and retry warnings. */
  readonly reporter?: Reporter
  readonly now?: () => number
}

export const nodeHttpDeps: HttpDeps = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  env: process.env,
}

export interface RetryPolicy {
  /** Attempts after the first (default 4); all of them also stay within the limits' `retryMs`. */
  readonly retries: number
  /** First backoff; doubled each time (default 500 ms). */
  readonly baseDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 500 }

export interface SendOptions {
  readonly deps: HttpDeps
  readonly retry?: RetryPolicy
  /** Connect, idle, deadline, size and retry-time limits, over the `POLYSHIP_HTTP_*` variables of `deps.env`. */
  readonly limits?: Partial<NetLimits>
  /** Literal secrets to keep out of messages (tokens, passwords). */
  readonly secrets?: readonly string[]
  /** What is being done, for messages: `uploading fastjson-0.1.0.tar.gz to http://...`. */
  readonly what: string
}

/** What a request is made of; `body` is a factory so every attempt gets a fresh one. */
export interface SendInit {
  readonly method?: 'GET' | 'POST'
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: ExchangeBody | string
  /** Bytes moved besides a small answer (an upload): extends the deadline. */
  readonly transferBytes?: number
  /** Largest answer accepted (default the limits' `maxBytes`): a file download passes more. */
  readonly maxBytes?: number
}

/**
 * Sends a request through the core exchange (connect, idle, deadline and size limits),
 * retrying connection failures, timeouts and 5xx answers with exponential backoff within
 * the retry time; 4xx answers are returned at once, never retried. `init` is a factory so
 * every attempt gets a fresh body. Redirects are not followed: the caller decides.
 */
export async function send(url: string, init: () => SendInit, options: SendOptions): Promise<Response> {
  const retry = options.retry ?? DEFAULT_RETRY
  const secrets = options.secrets ?? []
  const limits = netLimits(options.deps.env, options.limits)
  const budget = new RetryBudget(limits.retryMs, options.deps.now)
  const reporter = options.deps.reporter
  for (let attempt = 0; ; attempt++) {
    const delay = retry.baseDelayMs * 2 ** attempt
    // decided after the try: no retry starts after the budget's end
    const isLast = () => attempt >= retry.retries || !budget.allows(delay)
    let response: Response
    try {
      response = toFetchResponse(await exchangeOnce(url, init(), limits, options))
    } catch (cause) {
      if (isNetError(cause) && !cause.retryable) throw redacted(cause, secrets)
      if (!isLast()) {
        reporter?.emit({
          type: 'log',
          level: isNetError(cause) ? 'warn' : 'debug',
          message: redact(
            `${isNetError(cause) ? cause.message : `${options.what}: ${networkErrorReason(cause)}`}; retrying in ${formatDuration(delay)}`,
            secrets,
          ),
        })
        await options.deps.sleep(delay)
        continue
      }
      if (isNetError(cause))
        throw redacted(cause.gaveUp(attempt + 1, formatDuration(budget.elapsedMs())), secrets)
      throw new WheelError(
        'WHEEL_INDEX_UNREACHABLE',
        redact(
          `${options.what}: cannot reach ${originOf(url)} (${networkErrorReason(cause)}) after ${attempt + 1} attempts`,
          secrets,
        ),
        {
          hint: 'check the index URL and that the server is up; polyship retries connection failures with backoff',
          cause,
        },
      )
    }
    if (response.status < 500 || response.status > 599) return response
    if (isLast()) {
      const body = await bodyExcerpt(response)
      throw new WheelError(
        'WHEEL_INDEX_ERROR',
        redact(
          `${options.what}: ${originOf(url)} answered ${response.status} ${response.statusText} after ${attempt + 1} attempts${body ? `: ${body}` : ''}`,
          secrets,
        ),
        { hint: 'the index is failing; run the release again later, it resumes where it stopped' },
      )
    }
    await response.body?.cancel()
    await options.deps.sleep(delay)
  }
}

function exchangeOnce(
  url: string,
  init: SendInit,
  limits: NetLimits,
  options: SendOptions,
): Promise<ExchangeResponse> {
  const body = typeof init.body === 'string' ? new TextEncoder().encode(init.body) : init.body
  return exchange(
    {
      method: init.method ?? 'GET',
      url: new URL(url),
      headers: { 'user-agent': 'polyship', ...init.headers },
      ...(body === undefined ? {} : { body }),
      ...(init.transferBytes === undefined ? {} : { transferBytes: init.transferBytes }),
      ...(init.maxBytes === undefined ? {} : { maxBytes: init.maxBytes }),
    },
    {
      limits,
      what: redact(options.what, options.secrets ?? []),
      ...(options.deps.reporter === undefined ? {} : { reporter: options.deps.reporter }),
    },
  )
}

function redacted<E extends Error>(error: E, secrets: readonly string[]): E {
  if (secrets.length > 0) error.message = redact(error.message, secrets)
  return error
}

/** The first few hundred characters of a response body, tags stripped, for messages. */
export async function bodyExcerpt(response: Response): Promise<string> {
  const text = await response.text().catch(() => '')
  return text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300)
}

export function isLoopback(url: URL): boolean {
  return isLoopbackHostname(url.hostname)
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}
