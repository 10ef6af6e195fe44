import { parseSemver } from '@polyship/core'
import { NpmError } from '../errors.ts'

/** A parsed SemVer 2 version (build metadata kept but ignored in comparisons). */
export interface SemVer {
  readonly major: number
  readonly minor: number
  readonly patch: number
  readonly prerelease: readonly (string | number)[]
  readonly text: string
}

export function parseSemVer(text: string, where: string): SemVer {
  const parts = parseSemver(text)
  if (parts === undefined) {
    throw new NpmError('NPM_VERSION_MISMATCH', `${where}: "${text}" is not a SemVer version`, {
      hint: 'npm versions are SemVer 2: 1.2.3, 1.2.3-beta.1',
    })
  }
  return {
    major: Number(parts.major),
    minor: Number(parts.minor),
    patch: Number(parts.patch),
    prerelease: (parts.prerelease?.split('.') ?? []).map((id) => (/^\d+$/.test(id) ? Number(id) : id)),
    text,
  }
}

/** SemVer precedence: negative when a < b, 0 when equal, positive when a > b. */
export function compareSemVer(a: SemVer, b: SemVer): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch
  if (core !== 0) return Math.sign(core)
  if (a.prerelease.length === 0 || b.prerelease.length === 0)
    return Math.sign(b.prerelease.length - a.prerelease.length)
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i]
    const y = b.prerelease[i]
    if (x === undefined) return -1
    if (y === undefined) return 1
    if (x === y) continue
    if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y)
    if (typeof x === 'number') return -1
    if (typeof y === 'number') return 1
    return x < y ? -1 : 1
  }
  return 0
}

export const PRERELEASE_FALLBACK_TAG = 'next'

/**
 * The dist-tag a version is published under: `latest` (or the configured stable tag) for a
 * release, the first prerelease identifier for a prerelease (`1.0.0-beta.2` -> `beta`), or
 * `next` when that identifier is numeric or could be mistaken for a version or `latest`.
 */
export function distTagFor(version: SemVer, stableTag = 'latest'): string {
  if (version.prerelease.length === 0) return stableTag
  const id = version.prerelease[0]
  if (typeof id !== 'string' || id === 'latest' || /^v?\d/.test(id) || !/^[a-z][a-z0-9-]*$/i.test(id))
    return PRERELEASE_FALLBACK_TAG
  return id.toLowerCase()
}
