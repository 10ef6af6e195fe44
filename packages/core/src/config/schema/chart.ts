/** `polyship.chart`: a Helm chart, tied to images released in the same run. */
export interface ChartConfig {
  /** Chart directory relative to the project (default `.`). */
  readonly path?: string
  /** The project whose version becomes `appVersion`. */
  readonly appVersionFrom?: string
  /** values path (e.g. `timeServer.image`) -> image project; repository, tag and digest are written there. */
  readonly images?: Readonly<Record<string, string>>
}

export const chartSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string' },
    appVersionFrom: { type: 'string' },
    images: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const
