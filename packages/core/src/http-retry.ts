import type { IncomingHttpHeaders } from 'node:http'
import type { Reporter } from './events.ts'
import {
  type ExchangeOptions,
  type ExchangeRequest,
  type ExchangeResponse,
  exchange,
} from './http-exchange.ts'
import { exchangeFollowing } from './http-redirect.ts'
import { networkErrorReason } from './net.ts'
import { isNetError } from './net-error.ts'
import { formatDuration, RetryBudget } from './net-limits.ts'
import { redact } from './redact.ts'

/**
 * How often and how patiently a call is retried; all its tries also stay within the
 * limits' `retryMs`.
 */
export interface RetryPolicy {
  /** Total tries, the first included. */
  readonly attempts: number
  /** Backoff before retry n (0-based) is uniform in [0, min(maxDelayMs, baseDelayMs * 2^n)]. */
  readonly baseDelayMs: number
  readonly maxDelayMs: number
  /** A Retry-After (or rate-limit reset) further away than this is not waited for: the answer is returned. */
  readonly maxRetryAfterMs: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 60_000,
}

/** The ambient things retrying touches: tests pass a `sleep` that records instead of waiting. */
export interface RetryDeps {
  readonly sleep: (ms: number) => Promise<void>
  readonly now?: () => number
  /** In [0, 1): the backoff's jitter. */
  readonly random?: () => number
  /** Hears one line per retry (warn after a timeout, debug otherwise). */
  readonly reporter?: Reporter
}

export const nodeRetryDeps: RetryDeps = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504])
const RETRYABLE_ERRORS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
])
/** Failures that happen before a connection exists: no byte of the request reached the server. */
const BEFORE_SENDING_ERRORS = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH'])
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status)
}

/**
 * Connection-level failures worth another try (resets, refusals, timeouts, premature
 * ends); a size cap or a TLS mismatch is not.
 */
export function isRetryableError(error: unknown): boolean {
  if (isNetError(error)) return error.retryable
  if (!(error instanceof Error)) return false
  const code = (error as NodeJS.ErrnoException).code
  if (code !== undefined && RETRYABLE_ERRORS.has(code)) return true
  if (error.message === 'socket hang up' || error.message === 'aborted') return true
  return error.cause !== undefined && isRetryableError(error.cause)
}

/** True when the request provably never reached the server (refused, unresolvable, no connection in time). */
export function failedBeforeSending(error: unknown): boolean {
  if (isNetError(error)) return error.failure === 'connect'
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code !== undefined && BEFORE_SENDING_ERRORS.has(code)
}

/** GET, HEAD, PUT, DELETE, OPTIONS: sending them twice has the effect of sending them once (RFC 9110 9.2.2). */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase())
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^attempt)]. */
export function backoffMs(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  return Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt))
}

/** Milliseconds a `Retry-After` header (seconds or HTTP date) asks to wait; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header.trim() === '') return undefined
  const trimmed = header.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** What retrying reads of an answer. */
export interface RetryAnswer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
}

/**
 * What to make of an answer: `retry` (after `afterMs` when the server said how long, else
 * after backoff) or `final` (returned to the caller as it is).
 */
export type AnswerVerdict =
  | { readonly verdict: 'final' }
  | { readonly verdict: 'retry'; readonly afterMs?: number }

/** 408, 429 and 5xx are retried, honouring Retry-After; every other answer is final. */
export function defaultVerdict(answer: RetryAnswer, now: number): AnswerVerdict {
  if (!isRetryableStatus(answer.status)) return { verdict: 'final' }
  const after = retryAfterMs(header(answer, 'retry-after'), now)
  return after === undefined ? { verdict: 'retry' } : { verdict: 'retry', afterMs: after }
}

/** When and how a call is retried. */
export interface RetryRules {
  /** For messages: `uploading x.whl to https://...`. */
  readonly what: string
  /** All tries of one call, waits included, stay within this (the limits' `retryMs`). */
  readonly retryMs: number
  readonly deps?: RetryDeps
  readonly policy?: Partial<RetryPolicy>
  /**
   * May the request be repeated once it reached the server? Defaults to its method being
   * idempotent. Say true for a POST whose repeat is harmless (an upload the index refuses
   * as "already exists" the second time). Otherwise a request that may have reached the
   * server is retried only on 429 (not processed) and after failures before sending.
   */
  readonly idempotent?: boolean
  /** False when the body cannot be produced twice: never retried once it may have been sent. */
  readonly replayable?: boolean
  /** Decides retries from answers (default `defaultVerdict`): GitHub's secondary rate limits answer 403. */
  readonly verdict?: (answer: RetryAnswer, now: number) => AnswerVerdict
  /** Literal secrets kept out of retry lines and the errors thrown. */
  readonly secrets?: readonly string[]
  /**
   * The error thrown for a transport failure that is not retried or outlives the retries
   * (a refusal, a reset, an untrusted certificate); a NetError is thrown as it is, saying
   * how many tries. Without it, the failure itself.
   */
  readonly unreachable?: (cause: unknown, tries: number) => Error
}

/** One try of a call: its method, whether it carries a body, and how to send it. */
export interface Try<A extends RetryAnswer> {
  readonly method: string
  readonly hasBody: boolean
  readonly send: () => Promise<A>
  /** Frees a retried answer (its body is not read). */
  readonly discard?: (answer: A) => void
}

/**
 * Runs `next()` (called once per try, so each gets a fresh body) and retries connection
 * failures, timeouts and retryable answers with backoff and jitter, or after the
 * server's Retry-After when it gives one (capped by `maxRetryAfterMs`), while tries and
 * `retryMs` last. Answers that are not retried, or that outlive the retries, are returned
 * with the number of tries for the caller to judge.
 */
export async function retrying<A extends RetryAnswer>(
  next: () => Try<A>,
  rules: RetryRules,
): Promise<A & { readonly tries: number }> {
  const deps = rules.deps ?? nodeRetryDeps
  const now = deps.now ?? Date.now
  const policy = { ...DEFAULT_RETRY_POLICY, ...rules.policy }
  const secrets = rules.secrets ?? []
  const verdictOf = rules.verdict ?? defaultVerdict
  const budget = new RetryBudget(rules.retryMs, now)
  const what = redact(rules.what, secrets)
  for (let attempt = 0; ; attempt++) {
    const tries = attempt + 1
    const current = next()
    const repeatable = !current.hasBody || rules.replayable !== false
    const safe = repeatable && (rules.idempotent ?? isIdempotentMethod(current.method))
    const canRetry = (delayMs: number) => tries < policy.attempts && budget.allows(delayMs)
    let answer: A
    try {
      answer = await current.send()
    } catch (cause) {
      const delay = backoffMs(attempt, policy, deps.random)
      const retryable = isRetryableError(cause) && (safe || (repeatable && failedBeforeSending(cause)))
      if (retryable && canRetry(delay)) {
        const reason = isNetError(cause) ? cause.message : `${what}: ${networkErrorReason(cause)}`
        announce(deps, isNetError(cause) ? 'warn' : 'debug', reason, delay, tries, policy, secrets)
        await deps.sleep(delay)
        continue
      }
      if (isNetError(cause)) throw redacted(cause.gaveUp(tries, formatDuration(budget.elapsedMs())), secrets)
      if (rules.unreachable !== undefined) throw redacted(rules.unreachable(cause, tries), secrets)
      throw redacted(cause instanceof Error ? cause : new Error(String(cause)), secrets)
    }
    const judged = verdictOf(answer, now())
    const done = Object.assign(answer, { tries })
    if (judged.verdict === 'final') return done
    const mayRepeat = answer.status === 429 ? repeatable : safe
    if (!mayRepeat) return done
    if (judged.afterMs !== undefined && judged.afterMs > policy.maxRetryAfterMs) return done
    const delay = judged.afterMs ?? backoffMs(attempt, policy, deps.random)
    if (!canRetry(delay)) return done
    current.discard?.(answer)
    announce(deps, 'debug', `${what}: answered ${answer.status}`, delay, tries, policy, secrets)
    await deps.sleep(delay)
  }
}

export interface RetryingOptions extends ExchangeOptions, Omit<RetryRules, 'retryMs'> {
  readonly what: string
  /**
   * Redirects each try follows under core's rules (`redirectHop`: no https to http,
   * credential headers only to the first origin, other methods than GET and HEAD only on
   * 307/308 with a replayable body); default 0: redirect answers are returned for the
   * caller to judge. `MAX_REDIRECTS` is the usual bound.
   */
  readonly maxRedirects?: number
}

/** An exchange's answer, with the number of tries it took. */
export interface RetriedResponse extends ExchangeResponse {
  readonly tries: number
}

/**
 * `retrying` around core's exchange: `request()` is called once per try (a try follows
 * up to `maxRedirects` redirects from the first URL again); retried answers' bodies are
 * discarded; `limits.retryMs` bounds the tries.
 */
export function sendWithRetry(
  request: () => ExchangeRequest,
  options: RetryingOptions,
): Promise<RetriedResponse> {
  const what = redact(options.what, options.secrets ?? [])
  return retrying(
    () => {
      const current = request()
      return {
        method: current.method,
        hasBody: current.body !== undefined,
        send: () =>
          (options.maxRedirects ?? 0) > 0
            ? exchangeFollowing(current, {
                ...options,
                what,
                maxRedirects: options.maxRedirects ?? 0,
                replayable: options.replayable !== false,
              })
            : exchange(current, { ...options, what }),
        discard: (answer) => answer.body.destroy(),
      }
    },
    { ...options, retryMs: options.limits.retryMs },
  )
}

/** A response header as one string (the first of repeated ones). */
export function header(answer: Pick<RetryAnswer, 'headers'>, name: string): string | undefined {
  const value = answer.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function announce(
  deps: RetryDeps,
  level: 'warn' | 'debug',
  reason: string,
  delay: number,
  tries: number,
  policy: RetryPolicy,
  secrets: readonly string[],
): void {
  deps.reporter?.emit({
    type: 'log',
    level,
    message: redact(
      `${reason}; retrying in ${formatDuration(delay)} (try ${tries + 1} of at most ${policy.attempts})`,
      secrets,
    ),
  })
}

function redacted<E extends Error>(error: E, secrets: readonly string[]): E {
  if (secrets.length > 0) error.message = redact(error.message, secrets)
  return error
}
