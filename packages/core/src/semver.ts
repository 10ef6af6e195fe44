/**
 * SemVer 2.0.0 as semver.org spells it (its suggested regular expression): no `v` prefix,
 * no missing parts, no leading zeros in numbers or numeric pre-release identifiers, no
 * spaces. The one SemVer syntax of polyship: config validation, versioning, npm, Helm and
 * image tags all read versions through it.
 */
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

/** A SemVer version split into its parts, numbers as written. */
export interface SemverParts {
  readonly major: string
  readonly minor: string
  readonly patch: string
  /** After `-`, without it: `rc.1`. */
  readonly prerelease?: string
  /** After `+`, without it: `build.5`. */
  readonly build?: string
}

/** The parts of a SemVer version, or undefined when `text` is not one. */
export function parseSemver(text: string): SemverParts | undefined {
  const match = SEMVER.exec(text)
  if (match === null) return undefined
  const [, major, minor, patch, prerelease, build] = match as unknown as [
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
  ]
  return {
    major,
    minor,
    patch,
    ...(prerelease === undefined ? {} : { prerelease }),
    ...(build === undefined ? {} : { build }),
  }
}

export function isSemver(value: unknown): value is string {
  return typeof value === 'string' && SEMVER.test(value)
}

/**
 * SemVer precedence (semver.org section 11): negative when a < b, 0 when equal, positive
 * when a > b; build metadata is ignored. Both must be SemVer (a programmer error otherwise).
 */
export function compareSemver(a: string, b: string): number {
  const x = parseSemver(a)
  const y = parseSemver(b)
  if (x === undefined || y === undefined)
    throw new Error(`compareSemver: ${x === undefined ? a : b} is not SemVer`)
  for (const key of ['major', 'minor', 'patch'] as const) {
    const d = Number(x[key]) - Number(y[key])
    if (d !== 0) return Math.sign(d)
  }
  if (x.prerelease === undefined || y.prerelease === undefined)
    return x.prerelease === y.prerelease ? 0 : x.prerelease === undefined ? 1 : -1
  const p = x.prerelease.split('.')
  const q = y.prerelease.split('.')
  for (let i = 0; i < Math.max(p.length, q.length); i++) {
    const s = p[i]
    const t = q[i]
    if (s === undefined) return -1
    if (t === undefined) return 1
    if (s === t) continue
    const sn = /^\d+$/.test(s)
    const tn = /^\d+$/.test(t)
    if (sn && tn) return Math.sign(Number(s) - Number(t))
    if (sn) return -1
    if (tn) return 1
    return s < t ? -1 : 1
  }
  return 0
}
