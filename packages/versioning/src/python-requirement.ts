/**
 * PEP 508 requirements between sibling Python packages, and how they follow a release:
 * the PEP 440 analogue of `followRequirement` in semver.ts.
 */

/** The PEP 503 normalized form of a distribution name. */
export function normalizeDistribution(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}

/** One requirement string, split where a version edit needs it. */
export interface PythonRequirement {
  /** The distribution name as written. */
  readonly name: string
  readonly clauses: readonly {
    readonly operator: string
    readonly version: string
    readonly start: number
    readonly end: number
  }[]
}

const HEAD = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*\(?/
const CLAUSE = /\s*(===|==|~=|!=|<=|>=|<|>)\s*([0-9A-Za-z.*+!_-]+)\s*/y

/** Parses a requirement; undefined for URL requirements (`name @ url`) and anything unparseable. */
export function parsePythonRequirement(text: string): PythonRequirement | undefined {
  const head = HEAD.exec(text)
  if (head === null) return undefined
  let i = head[0].length
  const specEnd = text.indexOf(';') === -1 ? text.length : text.indexOf(';')
  if (text.slice(i, specEnd).includes('@')) return undefined
  const clauses: { operator: string; version: string; start: number; end: number }[] = []
  for (;;) {
    CLAUSE.lastIndex = i
    const m = CLAUSE.exec(text)
    if (m === null || CLAUSE.lastIndex > specEnd) break
    const start = m.index + m[0].indexOf(m[2]!, m[0].indexOf(m[1]!) + m[1]!.length)
    clauses.push({ operator: m[1]!, version: m[2]!, start, end: start + m[2]!.length })
    i = CLAUSE.lastIndex
    if (text[i] !== ',') break
    i++
  }
  const rest = text.slice(i, specEnd).replace(/[\s)]/g, '')
  if (rest !== '') return undefined
  return { name: head[1]!, clauses }
}

/**
 * The requirement a dependency on a sibling should carry once the sibling is at `version`
 * (PEP 440, normalized): unchanged while every clause still admits it (`>=1.0`, `~=1.2`),
 * else retargeted keeping its operator (`==1.2.0` -> `==1.3.0`, `~=1.2.0` -> `~=2.0.0`);
 * undefined when there is no faithful retarget (`>=1,<2` past 2, `!=`, `<`), which is left
 * to the user. A bare name (`acme-utils`) admits everything and stays.
 */
export function followPythonRequirement(text: string, version: string): string | undefined {
  const requirement = parsePythonRequirement(text)
  if (requirement === undefined) return undefined
  const { clauses } = requirement
  if (clauses.every((c) => admits(c.operator, c.version, version))) return text
  if (clauses.length !== 1) return undefined
  const [clause] = clauses as [PythonRequirement['clauses'][number]]
  let target: string
  switch (clause.operator) {
    case '==':
      target = clause.version.endsWith('.*')
        ? `${prefix(version, clause.version.split('.').length - 1)}.*`
        : version
      break
    case '===':
    case '>=':
      target = version
      break
    case '~=':
      target = key(version).isPre ? version : prefix(version, Math.max(2, release(clause.version).length))
      break
    default:
      return undefined
  }
  return text.slice(0, clause.start) + target + text.slice(clause.end)
}

/** The first `n` release segments of a version, zero-padded. */
function prefix(version: string, n: number): string {
  const parts = release(version)
  return Array.from({ length: n }, (_, i) => parts[i] ?? 0).join('.')
}

function release(version: string): number[] {
  return (/^(?:\d+!)?(\d+(?:\.\d+)*)/.exec(version)?.[1] ?? '0').split('.').map(Number)
}

interface Key {
  readonly release: readonly number[]
  /** [phase, n]: dev-only -1, a 0, b 1, rc 2, final 3; post adds after. */
  readonly pre: readonly [number, number]
  readonly post: number
  readonly dev: number
  readonly isPre: boolean
}

function key(version: string): Key {
  const m = /^(?:\d+!)?[\d.]+?(?:(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?(?:\+.*)?$/.exec(version)
  const phase = m?.[1] === undefined ? 3 : { a: 0, b: 1, rc: 2 }[m[1] as 'a' | 'b' | 'rc']
  const dev = m?.[4] === undefined ? Number.POSITIVE_INFINITY : Number(m[4])
  const post = m?.[3] === undefined ? -1 : Number(m[3])
  // 1.0.dev1 sorts before 1.0a1
  const pre: [number, number] =
    m?.[1] === undefined && m?.[4] !== undefined && post === -1 ? [-1, 0] : [phase, Number(m?.[2] ?? 0)]
  return { release: release(version), pre, post, dev, isPre: m?.[1] !== undefined || m?.[4] !== undefined }
}

function compare(a: string, b: string): number {
  const x = key(a)
  const y = key(b)
  const length = Math.max(x.release.length, y.release.length)
  for (let i = 0; i < length; i++) {
    const d = (x.release[i] ?? 0) - (y.release[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  for (const [p, q] of [
    [x.pre[0], y.pre[0]],
    [x.pre[1], y.pre[1]],
    [x.post, y.post],
    [x.dev, y.dev],
  ] as const) {
    if (p !== q) return p < q ? -1 : 1
  }
  return 0
}

/**
 * Whether one clause admits `version`. A pre-release is admitted by a range only when the
 * clause itself names a pre-release, as pip decides without `--pre`.
 */
function admits(operator: string, spec: string, version: string): boolean {
  const preExcluded =
    key(version).isPre && !key(spec.replace(/\.\*$/, '')).isPre && operator !== '==' && operator !== '==='
  const c = compare(version, spec.replace(/\.\*$/, ''))
  switch (operator) {
    case '==':
      if (spec.endsWith('.*')) {
        const want = release(spec.slice(0, -2))
        return want.every((n, i) => release(version)[i] === n)
      }
      return c === 0
    case '===':
      return version === spec
    case '!=':
      return c !== 0
    case '>=':
      return !preExcluded && c >= 0
    case '>':
      return !preExcluded && c > 0
    case '<=':
      return !preExcluded && c <= 0
    case '<':
      return !preExcluded && c < 0
    case '~=': {
      const parts = release(spec)
      const head = parts.slice(0, -1)
      return !preExcluded && c >= 0 && head.every((n, i) => release(version)[i] === n)
    }
    default:
      return false
  }
}
