import type { ConfigOf } from './config-type.ts'

const imageKey = { anyOf: [{ type: 'string', minLength: 1 }, { const: false }] } as const

export const chartSchema = {
  title: 'polyship.chart',
  description: 'A Helm chart, tied to the images released in the same run.',
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { description: 'Chart directory relative to the project (default `.`).', type: 'string' },
    appVersionFrom: { description: 'The project whose version becomes `appVersion`.', type: 'string' },
    images: {
      description:
        'values path (e.g. `timeServer.image`) -> image project; its repository, tag and digest are written there.',
      type: 'object',
      additionalProperties: { type: 'string' },
    },
    imageKeys: {
      description:
        'Key names written under each `images` path (default `repository`, `tag`, `digest`); `false` leaves that key alone (e.g. `{ "digest": false }` for charts without one). `tagDigest` names a key that gets `<tag>@<digest>` (charts whose template writes `repository:tag`), `reference` one that gets the whole `<repository>:<tag>@<digest>`; both are off by default.',
      type: 'object',
      additionalProperties: false,
      properties: {
        repository: { ...imageKey, description: 'Key of the repository (default `repository`).' },
        tag: { ...imageKey, description: 'Key of the tag (default `tag`).' },
        digest: { ...imageKey, description: 'Key of the digest (default `digest`).' },
        tagDigest: { ...imageKey, description: 'Key that gets `<tag>@<digest>` (off by default).' },
        reference: {
          ...imageKey,
          description: 'Key that gets `<repository>:<tag>@<digest>` (off by default).',
        },
      },
    },
  },
} as const

/** `polyship.chart`: a Helm chart, tied to images released in the same run. */
export type ChartConfig = ConfigOf<typeof chartSchema>
