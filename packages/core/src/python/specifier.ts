import { normalizePep440 } from './pep440.ts'

/**
 * PEP 440 ordering and version specifiers (`>=3.9`, `~=1.2`, `!=3.10.*`), the one reading
 * of them polyship has: the image assembler checks Requires-Python with it, `polyship
 * version` decides whether a sibling's requirement still admits its new version.
 */

export type SpecifierOperator = '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '==='

/** One clause of a specifier set; `version` as written, `.*` included. */
export interface SpecifierClause {
  readonly operator: SpecifierOperator
  readonly version: string
}

const CLAUSE = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*(\S+?)\s*$/

/**
 * One clause (`>= 3.9`, `==3.11.*`), or undefined when it is not one PEP 440 allows: a
 * version that does not parse, a wildcard with an operator other than `==`/`!=`, `~=`
 * with a single release segment. `===` takes any string.
 */
export function parseSpecifierClause(text: string): SpecifierClause | undefined {
  const m = CLAUSE.exec(text)
  if (m === null) return undefined
  const operator = m[1] as SpecifierOperator
  const version = m[2]!
  if (operator === '===') return { operator, version }
  const wildcard = version.endsWith('.*')
  if (wildcard && operator !== '==' && operator !== '!=') return undefined
  const parsed = parse(wildcard ? version.slice(0, -2) : version)
  if (parsed === undefined) return undefined
  if (operator === '~=' && parsed.release.length < 2) return undefined
  return { operator, version }
}

interface Parsed {
  readonly epoch: number
  readonly release: readonly number[]
  /** [phase, n]: a 0, b 1, rc 2; undefined for none. */
  readonly pre: readonly [number, number] | undefined
  readonly post: number | undefined
  readonly dev: number | undefined
}

const PHASES: Readonly<Record<string, number>> = { a: 0, b: 1, rc: 2 }

function parse(version: string): Parsed | undefined {
  const normalized = normalizePep440(version)
  if (normalized === undefined) return undefined
  const m = /^(?:(\d+)!)?(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?(?:\+.*)?$/.exec(
    normalized,
  )
  if (m === null) return undefined
  const [, epoch, release, phase, preN, post, dev] = m
  return {
    epoch: Number(epoch ?? 0),
    release: release!.split('.').map(Number),
    pre: phase === undefined ? undefined : [PHASES[phase]!, Number(preN)],
    post: post === undefined ? undefined : Number(post),
    dev: dev === undefined ? undefined : Number(dev),
  }
}

/** Whether `version` is a pre-release or a development release (`1.0rc1`, `1.0.dev2`). */
export function isPythonPreRelease(version: string): boolean {
  const parsed = parse(version)
  return parsed !== undefined && (parsed.pre !== undefined || parsed.dev !== undefined)
}

/**
 * PEP 440 order of two versions: negative, 0 or positive. Release segments compare with
 * zero padding (`1.0` = `1.0.0`); `1.0.dev1` < `1.0a1` < `1.0` < `1.0.post1`; local labels
 * are ignored. A version that does not parse sorts before every one that does.
 */
export function comparePythonVersions(a: string, b: string): number {
  const x = parse(a)
  const y = parse(b)
  if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? -1 : 1
  const keys = [[x.epoch, y.epoch], ...releasePairs(x.release, y.release), ...phasePairs(x, y)]
  for (const [p, q] of keys) if (p !== q) return p! < q! ? -1 : 1
  return 0
}

function releasePairs(a: readonly number[], b: readonly number[]): [number, number][] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => [a[i] ?? 0, b[i] ?? 0])
}

function phasePairs(x: Parsed, y: Parsed): [number, number][] {
  const pre = (v: Parsed): readonly [number, number] =>
    v.pre ?? (v.dev !== undefined && v.post === undefined ? [-1, 0] : [3, 0])
  return [
    [pre(x)[0], pre(y)[0]],
    [pre(x)[1], pre(y)[1]],
    [x.post ?? -1, y.post ?? -1],
    [x.dev ?? Number.POSITIVE_INFINITY, y.dev ?? Number.POSITIVE_INFINITY],
  ]
}

/**
 * Whether `clause` admits `version`. A range (`>=`, `>`, `<=`, `<`, `~=`) admits a
 * pre-release only when the clause itself names one, as pip decides without `--pre`;
 * wildcards match release prefixes with zero padding (`==3.11.*` admits 3.11).
 */
export function admitsPythonVersion(clause: SpecifierClause, version: string): boolean {
  const { operator } = clause
  if (operator === '===') return version === clause.version
  const wildcard = clause.version.endsWith('.*')
  const spec = wildcard ? clause.version.slice(0, -2) : clause.version
  if (wildcard) {
    const matches = releasePrefixMatches(version, spec)
    return operator === '!=' ? !matches : matches
  }
  const order = comparePythonVersions(version, spec)
  const preExcluded =
    operator !== '==' && operator !== '!=' && isPythonPreRelease(version) && !isPythonPreRelease(spec)
  switch (operator) {
    case '==':
      return order === 0
    case '!=':
      return order !== 0
    case '>=':
      return !preExcluded && order >= 0
    case '>':
      return !preExcluded && order > 0
    case '<=':
      return !preExcluded && order <= 0
    case '<':
      return !preExcluded && order < 0
    case '~=': {
      const head = `${(parse(spec)?.release ?? []).slice(0, -1).join('.')}`
      return !preExcluded && order >= 0 && releasePrefixMatches(version, head)
    }
  }
}

/** Whether `version`'s release starts with `prefix`'s (padded with zeros), epochs equal. */
function releasePrefixMatches(version: string, prefix: string): boolean {
  const v = parse(version)
  const p = parse(prefix)
  if (v === undefined || p === undefined || v.epoch !== p.epoch) return false
  return p.release.every((n, i) => (v.release[i] ?? 0) === n)
}
