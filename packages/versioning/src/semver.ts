import satisfies from 'semver/functions/satisfies.js'
import { VersioningError } from './errors.ts'

/** SemVer 2.0.0, as semver.org spells it (no leading `v`, no loose forms). */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

export function isSemver(value: unknown): value is string {
  return typeof value === 'string' && SEMVER.test(value)
}

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

/** PEP 440 as maturin and pip write it after normalization (what polyship writes and accepts). */
const PEP440 = /^\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?(?:\+[a-z0-9]+(?:\.[a-z0-9]+)*)?$/

/** Whether a pyproject.toml version is acceptable as the current value: SemVer or normalized PEP 440. */
export function isPythonVersion(value: unknown): value is string {
  return typeof value === 'string' && (SEMVER.test(value) || PEP440.test(value))
}

const PYTHON_PRE: Readonly<Record<string, string>> = {
  alpha: 'a',
  a: 'a',
  beta: 'b',
  b: 'b',
  rc: 'rc',
  dev: '.dev',
  post: '.post',
}

/**
 * The PEP 440 spelling of a SemVer release, the way maturin maps Cargo versions:
 * `1.2.0-rc.1` -> `1.2.0rc1`, `1.2.0-beta` -> `1.2.0b0`, `1.2.0-dev.3` -> `1.2.0.dev3`,
 * build metadata becomes a local version. Other pre-release labels have no Python spelling.
 */
export function pythonVersionOf(version: string, where: string): string {
  const match = SEMVER.exec(version)
  const pre = match?.[4]
  const build = match?.[5]
  const core = match === null ? undefined : `${match[1]}.${match[2]}.${match[3]}`
  const label = pre === undefined ? undefined : /^(alpha|a|beta|b|rc|dev|post)(?:\.?(\d+))?$/i.exec(pre)
  if (core === undefined || (pre !== undefined && label === null)) {
    throw new VersioningError(
      'VERSION_MANIFEST_INVALID',
      `${where}: version ${version} has no PEP 440 spelling for project.version`,
      {
        hint: 'use pre-release labels alpha, beta, rc, dev or post (e.g. 1.2.0-rc.1), or make the version dynamic',
      },
    )
  }
  const suffix = label == null ? '' : `${PYTHON_PRE[label[1]!.toLowerCase()]}${Number(label[2] ?? 0)}`
  const local = build === undefined ? '' : `+${build.toLowerCase().replaceAll('-', '.')}`
  return `${core}${suffix}${local}`
}
