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
