import { parseSemver } from '../semver.ts'

/**
 * Versions as Python spells them (PEP 440), and the mapping between a project's SemVer and
 * them, the way maturin maps Cargo versions: `1.2.0-rc.1` <-> `1.2.0rc1`,
 * `1.2.0-dev.3` <-> `1.2.0.dev3`. The wheel build and `polyship version` both map through
 * here, so the version one writes is the version the other checks.
 */

/** Every spelling PEP 440 accepts (case, separators, `v` prefix, long labels), captured by part. */
const PEP440 =
  /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/i

const PRE: Readonly<Record<string, string>> = {
  alpha: 'a',
  a: 'a',
  beta: 'b',
  b: 'b',
  c: 'rc',
  pre: 'rc',
  preview: 'rc',
  rc: 'rc',
}

/** The normalized PEP 440 spelling (`1.0.0-RC_1` -> `1.0.0rc1`), or undefined when `text` is not PEP 440. */
export function normalizePep440(text: string): string | undefined {
  const m = PEP440.exec(text.trim())
  if (m === null) return undefined
  const [, epoch, release, preL, preN, postN1, postL, postN2, devL, devN, local] = m
  let out = epoch !== undefined && Number(epoch) !== 0 ? `${Number(epoch)}!` : ''
  out += release!
    .split('.')
    .map((n) => String(Number(n)))
    .join('.')
  if (preL !== undefined) out += `${PRE[preL.toLowerCase()]}${Number(preN ?? 0)}`
  if (postN1 !== undefined || postL !== undefined) out += `.post${Number(postN1 ?? postN2 ?? 0)}`
  if (devL !== undefined) out += `.dev${Number(devN ?? 0)}`
  if (local !== undefined) out += `+${local.toLowerCase().replace(/[-_]/g, '.')}`
  return out
}

/** Whether `text` is PEP 440 in its normalized spelling (what maturin and pip write). */
export function isNormalizedPep440(text: string): boolean {
  return normalizePep440(text) === text
}

/** Whether two version strings name the same PEP 440 version (`1.0` equals `1.0.0`). */
export function samePythonVersion(a: string, b: string): boolean {
  const x = normalizePep440(a)
  const y = normalizePep440(b)
  if (x === undefined || y === undefined) return a === b
  return stripTrailingZeros(x) === stripTrailingZeros(y)
}

function stripTrailingZeros(version: string): string {
  return version.replace(/^((?:\d+!)?\d+(?:\.\d+)*?)(?:\.0)+(?=$|[a-z+])/, '$1')
}

/**
 * The PEP 440 spelling of a SemVer release: a pre-release `alpha`/`a`, `beta`/`b`, `rc`/`c`,
 * `dev` or `post`, optionally followed by `.N` or `-N` (`1.2.0-beta` -> `1.2.0b0`), build
 * metadata becomes a local version (`+Build-7` -> `+build.7`). Undefined when `version` is
 * not SemVer or its pre-release has no Python spelling (`1.2.0-next.1`).
 */
export function pep440OfSemver(version: string): string | undefined {
  const parts = parseSemver(version)
  if (parts === undefined) return undefined
  let out = `${parts.major}.${parts.minor}.${parts.patch}`
  if (parts.prerelease !== undefined) {
    const label = /^(alpha|a|beta|b|rc|c|dev|post)(?:[.-]?(\d+))?$/i.exec(parts.prerelease)
    if (label === null) return undefined
    const name = label[1]!.toLowerCase()
    const n = Number(label[2] ?? 0)
    out += name === 'dev' ? `.dev${n}` : name === 'post' ? `.post${n}` : `${PRE[name]}${n}`
  }
  if (parts.build !== undefined) out += `+${parts.build.toLowerCase().replaceAll('-', '.')}`
  return normalizePep440(out)
}

/**
 * The SemVer spelling of a PEP 440 release, the inverse of `pep440OfSemver`
 * (`1.2.0rc1` -> `1.2.0-rc.1`, `1.2` -> `1.2.0`, `1.2.0.dev3` -> `1.2.0-dev.3`); undefined when
 * it has none (an epoch, more than three release numbers, a post-release, which SemVer
 * would sort before the release, or a local version).
 */
export function semverOfPep440(version: string): string | undefined {
  const normalized = normalizePep440(version)
  if (normalized === undefined) return undefined
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:(a|b|rc)(\d+))?(?:\.dev(\d+))?$/.exec(normalized)
  if (m === null) return undefined
  const [, major, minor, patch = '0', pre, preN, dev] = m
  const label = pre === undefined ? undefined : { a: 'alpha', b: 'beta', rc: 'rc' }[pre]
  const parts = [
    ...(label === undefined ? [] : [`${label}.${preN}`]),
    ...(dev === undefined ? [] : [`dev.${dev}`]),
  ]
  return `${major}.${minor}.${patch}${parts.length === 0 ? '' : `-${parts.join('.')}`}`
}
