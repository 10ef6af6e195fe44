import { registerSecrets } from '@polyship/core'
import { DEFAULT_TOKEN_ENV, isPypi, resolvePypiDestination } from '@polyship/wheel'
import type { Destinations } from '../destinations.ts'
import type { Env } from './context.ts'
import { ReleaseError } from './errors.ts'

const GITHUB_TOKEN_ENV = 'GITHUB_TOKEN'

/** The variable holding the GitHub token of a `github` files destination. */
export function githubTokenEnv(destinations: Destinations): string {
  return (destinations.files.type === 'github' && destinations.files.tokenEnv) || GITHUB_TOKEN_ENV
}

/**
 * Registers with core's redactor every credential the destinations will use, whatever its
 * variable is called (a `tokenEnv` need not look like a secret's name), so no line, record
 * or trace of this process shows it.
 */
export function registerDestinationSecrets(destinations: Destinations, env: Env): void {
  const { files, wheels } = destinations
  registerSecrets([
    files.type === 'github' ? env[githubTokenEnv(destinations)] : undefined,
    wheels.type === 'pypi' ? env[wheels.tokenEnv ?? DEFAULT_TOKEN_ENV] : undefined,
    wheels.type === 'pypi' && wheels.passwordEnv !== undefined ? env[wheels.passwordEnv] : undefined,
  ])
}

/**
 * Refuses to start a release whose configured destinations lack the credentials they need
 * (a GitHub token; a PyPI token when one is configured or the index is PyPI itself), so a
 * missing secret fails before anything is built, not halfway through publishing.
 * Registries are asked during reconciliation, which also precedes every write.
 */
export function assertCredentials(destinations: Destinations, env: Env, root?: string): void {
  registerDestinationSecrets(destinations, env)
  const missing: { problem: string; fix: string }[] = []
  const { files, wheels } = destinations
  if (files.type === 'github' && !env[githubTokenEnv(destinations)]) {
    const name = githubTokenEnv(destinations)
    missing.push({
      problem: `destinations.files is GitHub (${files.repository}) but ${name} is not set`,
      fix: `export ${name} (in Actions: permissions contents: write, env ${name}: \${{ secrets.GITHUB_TOKEN }})`,
    })
  }
  if (wheels.type === 'pypi') {
    // also reads the .pypirc it names: a bad one fails here, before anything is built
    const resolved = resolvePypiDestination(wheels, { env, ...(root === undefined ? {} : { root }) })
    const anonymous = resolved.credentials.type === 'none'
    const explicit = wheels.tokenEnv ?? wheels.passwordEnv
    if (anonymous && (explicit !== undefined || isPypi(resolved.uploadUrl))) {
      const name = explicit ?? DEFAULT_TOKEN_ENV
      missing.push({
        problem: `destinations.wheels is ${resolved.uploadUrl}${wheels.url === undefined ? ` (from ${resolved.urlSource})` : ''} but ${name} is not set${explicit === undefined ? ', nor TWINE_PASSWORD, nor a password in the .pypirc' : ''}`,
        fix: `export ${name} with an upload token, or in GitHub Actions grant id-token: write for trusted publishing`,
      })
    }
  }
  if (missing.length === 0) return
  throw new ReleaseError(
    'RELEASE_CREDENTIALS_MISSING',
    `${missing.map((m) => m.problem).join('; ')}; nothing was built or published`,
    { hint: missing.map((m) => m.fix).join('; ') },
  )
}
