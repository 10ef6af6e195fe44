import { isNormalizedPep440, isSemver, pep440OfSemver } from '@polyship/core'
import satisfies from 'semver/functions/satisfies.js'
import { VersioningError } from './errors.ts'

export { isSemver } from '@polyship/core'

/** A version requirement as Cargo and Helm write them: an optional operator, then a version. */
const REQUIREMENT = /^(\s*(?:[=^~]|[<>]=?)?\s*)(\d+(?:\.\d+){0,2}(?:[-+][0-9A-Za-z.+-]*)?)\s*$/

/**
 * The requirement a dependency on a sibling should carry once the sibling is at `version`:
 * unchanged while a range still admits it (`>=6.0.0`, `^1.2`, Cargo's bare `0.3`), else
 * retargeted keeping its operator (`~0.1.0` -> `~0.2.0`); undefined when `old` is not a
 * single-comparator requirement (`>=1, <2` is left to the user). In Cargo a bare version is a caret requirement; in Helm
 * (Masterminds semver) it is exact.
 */
export function followRequirement(
  old: string,
  version: string,
  dialect: 'cargo' | 'helm',
): string | undefined {
  const match = REQUIREMENT.exec(old)
  if (match === null) return undefined
  const operator = match[1]!.trim()
  const range =
    operator === '' && dialect === 'cargo' ? `^${match[2]}` : operator === '' ? `=${match[2]}` : old
  if (satisfies(version, range, { includePrerelease: true })) return old
  return `${match[1]}${version}`
}

/** Whether a pyproject.toml version is acceptable as the current value: SemVer or normalized PEP 440. */
export function isPythonVersion(value: unknown): value is string {
  return typeof value === 'string' && (isSemver(value) || isNormalizedPep440(value))
}

/** The PEP 440 spelling of a SemVer release (core's `pep440OfSemver`); `where` names the file for the error. */
export function pythonVersionOf(version: string, where: string): string {
  const python = pep440OfSemver(version)
  if (python === undefined) {
    throw new VersioningError(
      'VERSION_MANIFEST_INVALID',
      `${where}: version ${version} has no PEP 440 spelling for project.version`,
      {
        hint: 'use pre-release labels alpha, beta, rc, dev or post (e.g. 1.2.0-rc.1), or make the version dynamic',
      },
    )
  }
  return python
}
