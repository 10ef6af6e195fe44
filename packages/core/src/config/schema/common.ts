/** JSON Schema fragments shared by the config sections. */
export const platformList = {
  type: 'array',
  items: { type: 'string', pattern: '^[a-z0-9]+/[a-z0-9]+(/v[5-8])?$' },
  minItems: 1,
  uniqueItems: true,
} as const

export const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const
export const stringList = { type: 'array', items: { type: 'string' } } as const
