import { isAbsolute, join } from 'node:path'
import type { ImageDestination } from '@polyship/core'
import { LayoutStore } from './layout/layout-store.ts'
import { parseReference } from './reference.ts'
import { RegistryClient, type RegistryClientOptions } from './registry/client.ts'
import type { OciStore } from './store.ts'

/** The hosts of registry destinations marked `insecure`, for `RegistryClientOptions.insecureHosts`. */
export function insecureHostsOf(destinations: readonly ImageDestination[]): string[] {
  return destinations.flatMap((d) =>
    d.type === 'registry' && d.insecure === true
      ? [parseReference(d.repository, 'destination repository').registry]
      : [],
  )
}

/**
 * The store for a configured image destination: an OCI layout directory (relative to
 * `baseDir`) or a registry repository through `client` (one client for every destination
 * shares connections and tokens).
 */
export function openStore(
  destination: ImageDestination,
  options: {
    readonly baseDir: string
    readonly client?: RegistryClient
    readonly clientOptions?: RegistryClientOptions
  },
): OciStore {
  switch (destination.type) {
    case 'oci-layout':
      return new LayoutStore(
        isAbsolute(destination.path) ? destination.path : join(options.baseDir, destination.path),
      )
    case 'registry': {
      const ref = parseReference(destination.repository, 'destination repository')
      const client =
        options.client ??
        new RegistryClient({
          ...options.clientOptions,
          insecureHosts: [...(options.clientOptions?.insecureHosts ?? []), ...insecureHostsOf([destination])],
        })
      return client.repository(ref)
    }
  }
}

/**
 * The store of one repository under a destination: `<registry repository>/<name>` in a
 * registry, or the layout `<path>/<name>` (layout tags have no repository part, so every
 * image or chart gets its own layout).
 */
export function repositoryStore(
  destination: ImageDestination,
  name: string,
  options: {
    readonly baseDir: string
    readonly client?: RegistryClient
    readonly clientOptions?: RegistryClientOptions
  },
): OciStore {
  const target: ImageDestination =
    destination.type === 'registry'
      ? { ...destination, repository: `${destination.repository.replace(/\/+$/, '')}/${name}` }
      : { ...destination, path: join(destination.path, name) }
  return openStore(target, options)
}
