import type { ConfigOf } from './config-type.ts'

export const npmSchema = {
  title: 'polyship.npm',
  description:
    'The package is published to an npm registry as `pnpm pack` packs it. `{}` is enough; the package must not be `private` (npm refuses to publish those).',
  type: 'object',
  additionalProperties: false,
  properties: {
    tag: {
      description: 'The dist-tag of releases (default `latest`); prereleases go under their identifier.',
      type: 'string',
      pattern: '^[a-z][a-z0-9._-]*$',
    },
    access: {
      description: '`public` is needed for the first publish of a scoped package to registry.npmjs.org.',
      enum: ['public', 'restricted'],
    },
    provenance: {
      description:
        'npm provenance (`npm publish --provenance`): by default attached when the release signs keyless in GitHub Actions and the registry keeps it (registry.npmjs.org); `true`: the release fails before publishing the package when it cannot be attached; `false`: never.',
      type: 'boolean',
    },
  },
} as const

/** `polyship.npm`: the package is published to an npm registry as `pnpm pack` packs it. */
export type NpmPackageConfig = ConfigOf<typeof npmSchema>
