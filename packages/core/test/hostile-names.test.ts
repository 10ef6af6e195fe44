import { CoreError, parseProjectManifest } from '@polyship/core'
import { describe, expect, it } from 'vitest'

/**
 * Finding 14: `polyship.image.repository` must be an OCI distribution spec repository name
 * and `polyship.wheel.distribution` a PEP 508 project name; anything else is CONFIG_INVALID
 * naming the field, before a plan or a build.
 */

const manifest = (polyship: unknown) => ({ name: 'demo', version: '1.0.0', polyship })

function refusal(polyship: unknown): CoreError {
  try {
    parseProjectManifest(manifest(polyship), '/ws/packages/demo/package.json')
  } catch (error) {
    if (error instanceof CoreError) return error
    throw error
  }
  throw new Error(`accepted ${JSON.stringify(polyship)}`)
}

describe('polyship.image.repository', () => {
  const INVALID = [
    'Demo',
    'a..b',
    '-a',
    'a-',
    '.a',
    'a.',
    'a/',
    '/a',
    'a//b',
    'a___b',
    'a._b',
    'a:b',
    'a@b',
    'a b',
    'a/../b',
    'ä',
    '',
    'a'.repeat(256),
  ]
  for (const repository of INVALID) {
    it(`refuses ${JSON.stringify(repository.length > 20 ? `${repository.slice(0, 8)}...(${repository.length})` : repository)}`, () => {
      const error = refusal({ image: { base: 'static', repository } })
      expect(error.code).toBe('CONFIG_INVALID')
      expect(error.message).toContain('polyship.image.repository')
    })
  }
  it('accepts what the spec allows: __, runs of dashes, dots, nested paths', () => {
    for (const repository of ['a', 'a__b', 'a--b', 'a.b/c_d/e-f', 'team/app9', 'a'.repeat(255)])
      expect(
        parseProjectManifest(manifest({ image: { base: 'static', repository } }), '/p/package.json').config
          .image?.repository,
      ).toBe(repository)
  })
})

describe('polyship.wheel.distribution', () => {
  for (const distribution of ['..', '-a', 'a-', '.a', 'a b', 'ācme', 'a/b', '']) {
    it(`refuses ${JSON.stringify(distribution)}`, () => {
      const error = refusal({ wheel: { distribution } })
      expect(error.code).toBe('CONFIG_INVALID')
      expect(error.message).toContain('polyship.wheel.distribution')
    })
  }
})
