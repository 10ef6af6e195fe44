import { registerSecret } from '@polyship/core'
import type { AttestDeps } from '../deps.ts'
import { AttestError } from '../errors.ts'

/** Returns an OIDC identity token for Fulcio. */
export type IdentityTokenSource = () => Promise<string>

export const TOKEN_ENV = 'SIGSTORE_ID_TOKEN'
const AUDIENCE = 'sigstore'

/**
 * Where the keyless signer gets its identity: a token in `tokenEnv` (default
 * SIGSTORE_ID_TOKEN), else GitHub Actions' OIDC endpoint. Fails at once, before anything
 * is built or published, when neither is available, naming what is missing.
 */
export function identityTokenSource(
  options: { readonly tokenEnv?: string },
  deps: Pick<AttestDeps, 'env' | 'fetch'>,
): IdentityTokenSource {
  const tokenEnv = options.tokenEnv ?? TOKEN_ENV
  const token = deps.env[tokenEnv]
  if (token !== undefined && token !== '') {
    // a credential like any other: no output, log or record may show it
    registerSecret(token)
    return async () => token
  }

  const requestUrl = deps.env.ACTIONS_ID_TOKEN_REQUEST_URL
  const requestToken = deps.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
  if (requestUrl && requestToken) {
    registerSecret(requestToken)
    return () => fetchGithubToken(requestUrl, requestToken, deps.fetch)
  }

  if (deps.env.GITHUB_ACTIONS === 'true') {
    throw new AttestError(
      'ATTEST_OIDC_TOKEN_MISSING',
      'keyless signing needs an OIDC token, but this GitHub Actions job may not request one: it lacks the `id-token: write` permission',
      { hint: 'add `permissions: { id-token: write, contents: read }` to the release job of the workflow' },
    )
  }
  throw new AttestError(
    'ATTEST_OIDC_TOKEN_MISSING',
    `keyless signing needs an OIDC identity token and none was found (no $${tokenEnv}, not in GitHub Actions)`,
    {
      hint: `run the release in CI with \`permissions: id-token: write\`, set ${tokenEnv}, or sign with a key (signing.mode "key")`,
    },
  )
}

async function fetchGithubToken(requestUrl: string, requestToken: string, fetch: AttestDeps['fetch']) {
  const url = new URL(requestUrl)
  url.searchParams.set('audience', AUDIENCE)
  const response = await fetch(url, {
    headers: { accept: 'application/json', authorization: `Bearer ${requestToken}` },
  })
  if (!response.ok) {
    throw new AttestError(
      'ATTEST_OIDC_TOKEN_MISSING',
      `GitHub Actions refused an OIDC token (HTTP ${response.status} from ${url.host})`,
      { hint: 'check that the job has `permissions: id-token: write`' },
    )
  }
  const body = (await response.json().catch(() => undefined)) as { value?: unknown } | undefined
  if (typeof body?.value !== 'string' || body.value === '') {
    throw new AttestError(
      'ATTEST_OIDC_TOKEN_MISSING',
      `GitHub Actions (${url.host}) answered without an OIDC token (no JSON "value")`,
      {
        hint: 'check ACTIONS_ID_TOKEN_REQUEST_URL: it is set by GitHub Actions for jobs with `id-token: write`',
      },
    )
  }
  registerSecret(body.value)
  return body.value
}
