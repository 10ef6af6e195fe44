import { TOKEN_ENV } from './oidc.ts'

type Env = Readonly<Record<string, string | undefined>>

/**
 * Whether this process runs in CI: `CI` set to anything but empty, `false` or `0` (the
 * convention of GitHub Actions, GitLab, CircleCI, Buildkite...), or GitHub Actions itself.
 * A key generated there would vanish with the runner, so nobody could verify its signatures.
 */
export function isCi(env: Env): boolean {
  const ci = env.CI?.trim().toLowerCase()
  return (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') || env.GITHUB_ACTIONS === 'true'
}

/**
 * Whether keyless signing can get an identity token without any setting: a GitHub Actions
 * job with `id-token: write` (its request URL and token are set), or a token already in
 * `tokenEnv` (default SIGSTORE_ID_TOKEN).
 */
export function hasAmbientIdentityToken(env: Env, tokenEnv = TOKEN_ENV): boolean {
  return (
    Boolean(env[tokenEnv]) ||
    (Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL) && Boolean(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN))
  )
}
