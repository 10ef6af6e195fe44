import { isAbsolute, join } from 'node:path'
import { assertNever, type Reporter, registerSecret, type WheelDestination } from '@polyship/core'
import type { Distribution } from '../inspect/distribution.ts'
import { directoryIndex } from './directory-index.ts'
import { type HttpDeps, nodeHttpDeps, type RetryPolicy } from './http.ts'
import { parseIndexUrl } from './index-url.ts'
import type { PackageIndex } from './package-index.ts'
import { checkPypiPlatformTags, isPypi } from './platform-tags.ts'
import { publishDistributions, type WheelPublishOutcome } from './publish.ts'
import { type IndexCredentials, remoteIndex } from './remote-index.ts'

export const DEFAULT_TOKEN_ENV = 'PYPI_TOKEN'

export interface DestinationOptions {
  /** Relative `simple-index` paths resolve against it (the workspace root). */
  readonly root: string
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly deps?: HttpDeps
  readonly retry?: RetryPolicy
}

/**
 * Credentials for a `pypi` destination: the token in `tokenEnv` (default PYPI_TOKEN);
 * else, inside GitHub Actions with an OIDC grant, trusted publishing; else none.
 */
export function credentialsFor(
  destination: Extract<WheelDestination, { type: 'pypi' }>,
  env: Readonly<Record<string, string | undefined>>,
): IndexCredentials {
  const token = env[destination.tokenEnv ?? DEFAULT_TOKEN_ENV]
  registerSecret(token)
  if (token) return { type: 'token', token }
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) return { type: 'trusted' }
  return { type: 'none' }
}

/** The index a configured destination stands for. */
export function indexFor(destination: WheelDestination, options: DestinationOptions): PackageIndex {
  switch (destination.type) {
    case 'simple-index':
      return directoryIndex(
        isAbsolute(destination.path) ? destination.path : join(options.root, destination.path),
      )
    case 'pypi': {
      parseIndexUrl(destination.url)
      const env = options.env ?? options.deps?.env ?? process.env
      return remoteIndex({
        uploadUrl: destination.url,
        credentials: credentialsFor(destination, env),
        deps: options.deps ?? { ...nodeHttpDeps, env },
        ...(options.retry === undefined ? {} : { retry: options.retry }),
      })
    }
    default:
      return assertNever(destination, 'wheel destination')
  }
}

/**
 * Publishes one project's wheels and sdist to a configured destination. For PyPI and
 * TestPyPI the platform tags are checked first, so nothing is uploaded when one would
 * be refused. See `publishDistributions` for the reconciliation rules.
 */
export async function publishWheels(
  distributions: readonly Distribution[],
  destination: WheelDestination,
  options: DestinationOptions & { readonly reporter?: Reporter; readonly concurrency?: number },
): Promise<WheelPublishOutcome[]> {
  const index = indexFor(destination, options)
  if (destination.type === 'pypi' && isPypi(destination.url)) {
    for (const distribution of distributions) checkPypiPlatformTags(distribution, destination.url)
  }
  return publishDistributions(distributions, index, {
    ...(options.reporter === undefined ? {} : { reporter: options.reporter }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  })
}
