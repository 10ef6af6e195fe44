/** `polyship.chart`: a Helm chart, tied to images released in the same run. */
export interface ChartConfig {
  /** Chart directory relative to the project (default `.`). */
  readonly path?: string
  /** The project whose version becomes `appVersion`. */
  readonly appVersionFrom?: string
  /** values path (e.g. `timeServer.image`) -> image project; repository, tag and digest are written there. */
  readonly images?: Readonly<Record<string, string>>
  /**
   * Key names written under each `images` path (default `repository`, `tag`, `digest`);
   * `false` leaves that key alone (e.g. `{ "digest": false }` for charts without one).
   * `tagDigest` names a key that gets `<tag>@<digest>` (charts whose template writes
   * `repository:tag`), `reference` one that gets the whole `<repository>:<tag>@<digest>`;
   * both are off by default.
   */
  readonly imageKeys?: {
    readonly repository?: string | false
    readonly tag?: string | false
    readonly digest?: string | false
    readonly tagDigest?: string | false
    readonly reference?: string | false
  }
}

const imageKey = { anyOf: [{ type: 'string', minLength: 1 }, { const: false }] } as const

export const chartSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string' },
    appVersionFrom: { type: 'string' },
    images: { type: 'object', additionalProperties: { type: 'string' } },
    imageKeys: {
      type: 'object',
      additionalProperties: false,
      properties: {
        repository: imageKey,
        tag: imageKey,
        digest: imageKey,
        tagDigest: imageKey,
        reference: imageKey,
      },
    },
  },
} as const
