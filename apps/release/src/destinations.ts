import type {
  FileDestination,
  ImageDestination,
  NpmDestination,
  RootConfig,
  WheelDestination,
} from '@polyship/core'

export interface Destinations {
  readonly images: ImageDestination
  readonly charts: ImageDestination
  readonly wheels: WheelDestination
  readonly files: FileDestination
  readonly npm: NpmDestination
}

/** Resolves configured destinations, falling back to the embedded ones under outDir (no account needed). */
export function resolveDestinations(config: RootConfig): Destinations {
  const out = config.outDir ?? 'dist'
  return {
    images: config.destinations?.images ?? { type: 'oci-layout', path: `${out}/oci` },
    charts: config.destinations?.charts ?? { type: 'oci-layout', path: `${out}/oci` },
    wheels: config.destinations?.wheels ?? { type: 'simple-index', path: `${out}/pypi` },
    files: config.destinations?.files ?? { type: 'directory', path: `${out}/assets` },
    npm: config.destinations?.npm ?? { type: 'directory', path: `${out}/npm` },
  }
}

export function describeNpmDestination(destination: NpmDestination): string {
  return destination.type === 'registry' ? destination.url : `npm-dir:${destination.path}`
}

export function describeDestination(
  destination: ImageDestination | WheelDestination | FileDestination,
): string {
  switch (destination.type) {
    case 'oci-layout':
      return `oci-layout:${destination.path}`
    case 'registry':
      return destination.repository
    case 'simple-index':
      return `simple-index:${destination.path}`
    case 'pypi':
      return destination.url
    case 'directory':
      return `dir:${destination.path}`
    case 'github':
      return `github:${destination.repository}`
  }
}
