import type { Reporter } from './events.ts'
import { type RetryDeps, type RetryPolicy, sendWithRetry } from './http-retry.ts'
import { readAll } from './net.ts'
import { type NetLimits, netLimits } from './net-limits.ts'
import { registerSecret } from './redact.ts'

/** The answer of GitHub Actions' OIDC endpoint: a token, a refusal, or an answer without a token. */
export type GithubIdToken =
  | { readonly status: 'issued'; readonly token: string }
  | { readonly status: 'refused'; readonly httpStatus: number; readonly host: string }
  | { readonly status: 'empty'; readonly host: string }

export interface GithubIdTokenOptions {
  /** Read for ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN and the `POLYSHIP_HTTP_*` limits. */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly limits?: Partial<NetLimits>
  readonly reporter?: Reporter
  readonly retry?: RetryDeps
  readonly policy?: Partial<RetryPolicy>
}

/** The endpoint answers a small JSON document: anything much larger is not it. */
const MAX_ANSWER_BYTES = 256 * 1024

/** True when the job may ask GitHub Actions for an OIDC token (`permissions: id-token: write`). */
export function canRequestGithubIdToken(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL) && Boolean(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
}

/**
 * Asks GitHub Actions for an OIDC ID token for `audience` (`sigstore`, `pypi`, ...) at
 * ACTIONS_ID_TOKEN_REQUEST_URL with the bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN, through
 * core's exchange (deadline, a small size cap, retries of connection failures and 5xx).
 * Both the request token and the issued token are registered with the redactor before
 * anything can print them. Throws a plain Error when the variables are unset (callers
 * check `canRequestGithubIdToken` first and say what to do); network failures reject
 * as the exchange reports them.
 */
export async function requestGithubIdToken(
  audience: string,
  options: GithubIdTokenOptions,
): Promise<GithubIdToken> {
  const requestUrl = options.env.ACTIONS_ID_TOKEN_REQUEST_URL
  const requestToken = options.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
  if (!requestUrl || !requestToken) throw new Error('ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN are unset')
  registerSecret(requestToken)
  const url = new URL(requestUrl)
  url.searchParams.set('audience', audience)
  const answer = await sendWithRetry(
    () => ({
      method: 'GET',
      url,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${requestToken}`,
        'user-agent': 'polyship',
      },
      maxBytes: MAX_ANSWER_BYTES,
    }),
    {
      limits: netLimits(options.env, options.limits),
      what: `requesting a GitHub Actions OIDC token for ${audience}`,
      secrets: [requestToken],
      ...(options.retry === undefined ? {} : { deps: options.retry }),
      ...(options.policy === undefined ? {} : { policy: options.policy }),
      ...(options.reporter === undefined ? {} : { reporter: options.reporter }),
    },
  )
  if (answer.status < 200 || answer.status > 299) {
    answer.body.destroy()
    return { status: 'refused', httpStatus: answer.status, host: url.host }
  }
  const text = (await readAll(answer.body, MAX_ANSWER_BYTES, () => new Error('unreachable'))).toString('utf8')
  const token = tokenIn(text)
  if (token === undefined) return { status: 'empty', host: url.host }
  registerSecret(token)
  return { status: 'issued', token }
}

function tokenIn(text: string): string | undefined {
  try {
    const value = (JSON.parse(text) as { value?: unknown } | null)?.value
    return typeof value === 'string' && value !== '' ? value : undefined
  } catch (error) {
    if (error instanceof SyntaxError) return undefined
    throw error
  }
}
