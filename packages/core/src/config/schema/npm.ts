/**
 * `polyship.npm`: the package is published to an npm registry as `pnpm pack` packs it.
 * `{}` is enough; the package must not be `private` (npm refuses to publish those).
 */
export interface NpmPackageConfig {
  /** The dist-tag of releases (default `latest`); prereleases go under their identifier. */
  readonly tag?: string
  /** `public` is needed for the first publish of a scoped package to registry.npmjs.org. */
  readonly access?: 'public' | 'restricted'
  /**
   * npm provenance (`npm publish --provenance`): default, attached when the release signs
   * keyless in GitHub Actions and the registry keeps it (registry.npmjs.org); `true`, the
   * release fails before publishing the package when it cannot be attached; `false`, never.
   */
  readonly provenance?: boolean
}

export const npmSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tag: { type: 'string', pattern: '^[a-z][a-z0-9._-]*$' },
    access: { enum: ['public', 'restricted'] },
    provenance: { type: 'boolean' },
  },
} as const
