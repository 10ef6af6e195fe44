import {
  canRequestGithubIdToken,
  isLoopbackHostname,
  redact,
  registerSecret,
  requestGithubIdToken,
} from '@polyship/core'
import { WheelError } from '../errors.ts'
import { bodyExcerpt, type HttpDeps, nodeHttpDeps, type RetryPolicy, send } from './http.ts'

/**
 * Where an upload URL's trusted-publishing endpoints live: PyPI uploads go to
 * upload.pypi.org but mint tokens at pypi.org; every other index serves them itself.
 */
export function oidcBase(uploadUrl: string): string {
  const url = new URL(uploadUrl)
  if (url.hostname === 'upload.pypi.org') return `${url.protocol}//pypi.org`
  return url.origin
}

function failed(what: string, hint: string, cause?: unknown): never {
  throw new WheelError('WHEEL_TRUSTED_PUBLISHING_FAILED', `trusted publishing: ${what}`, {
    hint,
    ...(cause === undefined ? {} : { cause }),
  })
}

async function json(response: Response): Promise<Record<string, unknown>> {
  try {
    return (await response.json()) as Record<string, unknown>
  } catch {
    return {}
  }
}

/**
 * Exchanges the GitHub Actions OIDC identity for a short-lived upload token:
 * GET `<index>/_/oidc/audience`, ask GitHub for an ID token with that audience
 * (ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN, present with `permissions: id-token: write`),
 * POST it to `<index>/_/oidc/mint-token`. No long-lived secret is involved.
 */
export async function mintPypiToken(
  uploadUrl: string,
  deps: HttpDeps = nodeHttpDeps,
  retry?: RetryPolicy,
): Promise<string> {
  const base = oidcBase(uploadUrl)
  if (new URL(base).protocol === 'http:' && !isLoopbackHostname(new URL(base).hostname)) {
    // `insecure` lets a password cross a trusted network; a GitHub identity is never sent in the clear
    failed(
      `${base} is plain http; the GitHub OIDC identity would travel unencrypted`,
      'use the https URL of the index, or an API token or password (destinations.wheels.insecure allows those over http)',
    )
  }
  const requestToken = deps.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
  if (!canRequestGithubIdToken(deps.env) || requestToken === undefined) {
    failed(
      'no GitHub Actions OIDC credentials (ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN are unset)',
      'run in GitHub Actions with `permissions: id-token: write`, or provide an API token instead',
    )
  }
  const secrets = [requestToken]
  const common = { deps, secrets, ...(retry === undefined ? {} : { retry }) }

  const audienceResponse = await send(`${base}/_/oidc/audience`, () => ({}), {
    ...common,
    what: 'trusted publishing',
  })
  if (!audienceResponse.ok) {
    failed(
      `${base}/_/oidc/audience answered ${audienceResponse.status} ${audienceResponse.statusText}`,
      'this index does not support trusted publishing; use an API token',
    )
  }
  const audience = (await json(audienceResponse)).audience
  if (typeof audience !== 'string') failed(`${base}/_/oidc/audience gave no audience`, 'check the index URL')

  const id = await requestGithubIdToken(audience as string, {
    env: deps.env,
    retry: {
      sleep: deps.sleep,
      ...(deps.now === undefined ? {} : { now: deps.now }),
      ...(deps.random === undefined ? {} : { random: deps.random }),
      ...(deps.reporter === undefined ? {} : { reporter: deps.reporter }),
    },
    ...(deps.reporter === undefined ? {} : { reporter: deps.reporter }),
    ...(retry === undefined
      ? {}
      : { policy: { attempts: retry.retries + 1, baseDelayMs: retry.baseDelayMs } }),
  })
  if (id.status !== 'issued') {
    failed(
      id.status === 'refused'
        ? `GitHub refused the OIDC token request (HTTP ${id.httpStatus} from ${id.host})`
        : `GitHub (${id.host}) answered without an OIDC token`,
      'grant the job `permissions: id-token: write`',
    )
  }
  const idToken = id.token
  secrets.push(idToken)

  const mintResponse = await send(
    `${base}/_/oidc/mint-token`,
    () => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: idToken }),
    }),
    { ...common, what: 'minting a PyPI token' },
  )
  const minted = await json(mintResponse.clone())
  if (mintResponse.ok && typeof minted.token === 'string') {
    registerSecret(minted.token)
    return minted.token
  }
  const errors = Array.isArray(minted.errors)
    ? (minted.errors as { code?: string; description?: string }[]).map(
        (e) => `${e.code ?? 'error'}: ${e.description ?? ''}`,
      )
    : [typeof minted.message === 'string' ? minted.message : await bodyExcerpt(mintResponse)]
  return failed(
    redact(`${base} refused to mint a token (${mintResponse.status}): ${errors.join('; ')}`, secrets),
    'register this repository and workflow as a trusted publisher of the project on the index (its publishing settings)',
  )
}
