import type { RetryPolicy } from '@polyship/core'

export {
  backoffMs,
  isRetryableError,
  isRetryableStatus,
  type RetryPolicy,
  retryAfterMs,
} from '@polyship/core'

/**
 * The registry client's policy (core's `RetryPolicy`): more, shorter first tries than
 * core's default, since blob pushes resume where they stopped. The client keeps its own
 * loop around core's rules because a try there is auth (re-challenge on 401) plus
 * redirects (Authorization dropped off-origin) plus upload-session state.
 */
export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 200,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 60_000,
}
