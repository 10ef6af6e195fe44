import { isAbsolute, join } from 'node:path'
import { assertNever, type Reporter, type WheelDestination } from '@polyship/core'
import type { Distribution } from '../inspect/distribution.ts'
import type { UploadAttester } from './attestations.ts'
import { directoryIndex } from './directory-index.ts'
import { type HttpDeps, nodeHttpDeps, type RetryPolicy } from './http.ts'
import type { PackageIndex } from './package-index.ts'
import { checkPypiPlatformTags, isPypi } from './platform-tags.ts'
import { publishDistributions, type WheelPublishOutcome } from './publish.ts'
import { type Env, resolvePypiDestination } from './pypi-destination.ts'
import { remoteIndex } from './remote-index.ts'

export interface DestinationOptions {
  /** Relative `simple-index` paths and a relative `configFile` resolve against it (the workspace root). */
  readonly root: string
  readonly env?: Env
  readonly deps?: HttpDeps
  readonly retry?: RetryPolicy
}

/** The index a configured destination stands for. */
export function indexFor(destination: WheelDestination, options: DestinationOptions): PackageIndex {
  switch (destination.type) {
    case 'simple-index':
      return directoryIndex(
        isAbsolute(destination.path) ? destination.path : join(options.root, destination.path),
      )
    case 'pypi': {
      const env = options.env ?? options.deps?.env ?? process.env
      const resolved = resolvePypiDestination(destination, { env, root: options.root })
      return remoteIndex({
        uploadUrl: resolved.uploadUrl,
        ...(resolved.simpleUrl === undefined ? {} : { simpleUrl: resolved.simpleUrl }),
        insecure: resolved.insecure,
        credentials: resolved.credentials,
        ...(resolved.tls === undefined ? {} : { tls: resolved.tls }),
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
  options: DestinationOptions & {
    readonly reporter?: Reporter
    readonly concurrency?: number
    readonly attester?: UploadAttester
  },
): Promise<WheelPublishOutcome[]> {
  const index = indexFor(destination, options)
  if (destination.type === 'pypi' && isPypi(index.url)) {
    for (const distribution of distributions) checkPypiPlatformTags(distribution, index.url)
  }
  return publishDistributions(distributions, index, {
    ...(options.reporter === undefined ? {} : { reporter: options.reporter }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.attester === undefined ? {} : { attester: options.attester }),
  })
}
