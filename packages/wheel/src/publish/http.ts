import { isLoopbackHostname, networkErrorReason, originOf, redact } from '@polyship/core'
import { WheelError } from '../errors.ts'

/** The ambient things publishing touches, passed in so tests hand over literals. */
export interface HttpDeps {
  readonly fetch: typeof globalThis.fetch
  readonly sleep: (ms: number) => Promise<void>
  readonly env: Readonly<Record<string, string | undefined>>
}

export const nodeHttpDeps: HttpDeps = {
  fetch: (input, init) => globalThis.fetch(input, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  env: process.env,
}

export interface RetryPolicy {
  /** Attempts after the first (default 4). */
  readonly retries: number
  /** First backoff; doubled each time (default 500 ms). */
  readonly baseDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 500 }

export interface SendOptions {
  readonly deps: HttpDeps
  readonly retry?: RetryPolicy
  /** Literal secrets to keep out of messages (tokens, passwords). */
  readonly secrets?: readonly string[]
  /** What is being done, for messages: `uploading fastjson-0.1.0.tar.gz to http://...`. */
  readonly what: string
}

/**
 * Sends a request, retrying connection failures and 5xx answers with exponential backoff;
 * 4xx answers are returned at once, never retried. `init` is a factory so every attempt
 * gets a fresh body. Redirects are not followed: the caller decides.
 */
export async function send(url: string, init: () => RequestInit, options: SendOptions): Promise<Response> {
  const retry = options.retry ?? DEFAULT_RETRY
  const secrets = options.secrets ?? []
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= retry.retries
    let response: Response
    try {
      response = await options.deps.fetch(url, { ...init(), redirect: 'manual' })
    } catch (cause) {
      if (!last) {
        await options.deps.sleep(retry.baseDelayMs * 2 ** attempt)
        continue
      }
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
    if (last) {
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
    await options.deps.sleep(retry.baseDelayMs * 2 ** attempt)
  }
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
