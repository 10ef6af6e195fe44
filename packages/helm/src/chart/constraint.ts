// the three functions, not semver's index (which loads every function and class)
import satisfies from 'semver/functions/satisfies.js'
import minVersion from 'semver/ranges/min-version.js'
import validRange from 'semver/ranges/valid.js'

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
  return validRange(range) === null ? undefined : range
}

/** Whether `version` satisfies a Helm constraint (false when the constraint is unreadable). */
export function satisfiesConstraint(version: string, constraint: string): boolean {
  const range = toRange(constraint)
  return range !== undefined && satisfies(version, range, { includePrerelease: true })
}

/**
 * The lowest release version a constraint admits, for `helm template --kube-version`:
 * `>=1.27.0-0` gives `1.27.0`. Undefined when the constraint admits none.
 */
export function lowestVersion(constraint: string): string | undefined {
  const range = toRange(constraint)
  if (range === undefined) return undefined
  const lowest = minVersion(range)
  if (lowest === null) return undefined
  const release = `${lowest.major}.${lowest.minor}.${lowest.patch}`
  return satisfies(release, range, { includePrerelease: true }) ? release : lowest.version
}
