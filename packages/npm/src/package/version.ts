import { compareSemver, parseSemver } from '@polyship/core'
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

/** SemVer precedence (core's `compareSemver`): negative when a < b, 0 when equal, positive when a > b. */
export function compareSemVer(a: SemVer, b: SemVer): number {
  return compareSemver(a.text, b.text)
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
