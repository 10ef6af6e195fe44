import { assertNever, canRequestGithubIdToken, registerSecret, requestGithubIdToken } from '@polyship/core'
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
  deps: Pick<AttestDeps, 'env' | 'reporter'>,
): IdentityTokenSource {
  const tokenEnv = options.tokenEnv ?? TOKEN_ENV
  const token = deps.env[tokenEnv]
  if (token !== undefined && token !== '') {
    // a credential like any other: no output, log or record may show it
    registerSecret(token)
    return async () => token
  }

  if (canRequestGithubIdToken(deps.env)) {
    // hidden from now on, before any request is made
    registerSecret(deps.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
    return () => fetchGithubToken(deps.env, deps.reporter)
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

async function fetchGithubToken(env: AttestDeps['env'], reporter: AttestDeps['reporter']): Promise<string> {
  const answer = await requestGithubIdToken(AUDIENCE, { env, reporter })
  switch (answer.status) {
    case 'issued':
      return answer.token
    case 'refused':
      throw new AttestError(
        'ATTEST_OIDC_TOKEN_MISSING',
        `GitHub Actions refused an OIDC token (HTTP ${answer.httpStatus} from ${answer.host})`,
        { hint: 'check that the job has `permissions: id-token: write`' },
      )
    case 'empty':
      throw new AttestError(
        'ATTEST_OIDC_TOKEN_MISSING',
        `GitHub Actions (${answer.host}) answered without an OIDC token (no JSON "value")`,
        {
          hint: 'check ACTIONS_ID_TOKEN_REQUEST_URL: it is set by GitHub Actions for jobs with `id-token: write`',
        },
      )
    default:
      return assertNever(answer, 'OIDC answer')
  }
}
