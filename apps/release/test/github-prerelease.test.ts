import { describe, expect, it } from 'vitest'
import { isPrerelease } from '../src/release/targets.ts'

describe('GitHub release pre-release flag', () => {
  it('is set for a SemVer pre-release', () => {
    expect(isPrerelease('1.0.0-rc.1')).toBe(true)
    expect(isPrerelease('1.0.0-rc.1+build-7')).toBe(true)
  })

  it('is not set for build metadata, even with a dash in it', () => {
    expect(isPrerelease('1.0.0+build-7')).toBe(false)
    expect(isPrerelease('1.0.0')).toBe(false)
  })
})
