import { isNetError } from '@polyship/core'

/**
 * How often and how patiently a request is retried on 429/5xx and dropped connections;
 * all tries of one call also stay within the client's `limits.retryMs`.
 */
export interface RetryPolicy {
  /** Total tries, the first included. */
  readonly attempts: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
  /** A Retry-After longer than this is not waited for: the request fails with OCI_UNAVAILABLE. */
  readonly maxRetryAfterMs: number
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 200,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 60_000,
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

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^attempt)]. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
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
