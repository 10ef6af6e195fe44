import semver from 'semver'

/**
 * Helm writes version constraints in Masterminds/semver syntax (`>= 1.2, < 2`, `^1.2`,
 * `~1.2.3`, `1.x`, `||`); node-semver reads the same ranges once the comma (AND) becomes
 * a space. Undefined when node-semver cannot read the result.
 */
export function toRange(constraint: string): string | undefined {
  const range = constraint
    .split('||')
    .map((part) => part.replaceAll(',', ' ').trim())
    .join(' || ')
  return semver.validRange(range) === null ? undefined : range
}

/** Whether `version` satisfies a Helm constraint (false when the constraint is unreadable). */
export function satisfiesConstraint(version: string, constraint: string): boolean {
  const range = toRange(constraint)
  return range !== undefined && semver.satisfies(version, range, { includePrerelease: true })
}

/** Strict SemVer 2 (`1.2.3`, `1.2.3-rc.1+build.5`): no `v` prefix, no missing parts, no spaces. */
export function isStrictSemver(version: string): boolean {
  return SEMVER.test(version)
}

/** https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

/**
 * The lowest release version a constraint admits, for `helm template --kube-version`:
 * `>=1.27.0-0` gives `1.27.0`. Undefined when the constraint admits none.
 */
export function lowestVersion(constraint: string): string | undefined {
  const range = toRange(constraint)
  if (range === undefined) return undefined
  const lowest = semver.minVersion(range)
  if (lowest === null) return undefined
  const release = `${lowest.major}.${lowest.minor}.${lowest.patch}`
  return semver.satisfies(release, range, { includePrerelease: true }) ? release : lowest.version
}
