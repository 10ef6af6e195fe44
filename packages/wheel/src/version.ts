/**
 * Versions as Python spells them (PEP 440) and how a project's SemVer maps onto them,
 * the way maturin maps Cargo versions: `1.2.0-rc.1` -> `1.2.0rc1`, `1.2.0-dev.3` -> `1.2.0.dev3`.
 */

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

/** The normalized PEP 440 spelling, or undefined when `text` is not a PEP 440 version. */
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
 * The Python version a SemVer release becomes: pre-release identifiers alpha/beta/rc/dev
 * map to PEP 440 segments, build metadata becomes a local version. Versions that already
 * parse as PEP 440 are returned normalized.
 */
export function pythonVersionOf(semver: string): string {
  const m = /^(\d+\.\d+\.\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(semver)
  if (m !== null) {
    const [, core, pre, build] = m
    let out = core!
    if (pre !== undefined) {
      const p = /^(alpha|a|beta|b|rc|c|dev|post)[.-]?(\d+)?$/i.exec(pre)
      if (p === null) return normalizePep440(semver) ?? semver
      const label = p[1]!.toLowerCase()
      const n = Number(p[2] ?? 0)
      out += label === 'dev' ? `.dev${n}` : label === 'post' ? `.post${n}` : `${PRE[label]}${n}`
    }
    if (build !== undefined) out += `+${build.toLowerCase().replace(/-/g, '.')}`
    return normalizePep440(out) ?? out
  }
  return normalizePep440(semver) ?? semver
}
