/**
 * PEP 508 requirements between sibling Python packages, and how they follow a release:
 * the PEP 440 analogue of `followRequirement` in semver.ts.
 */
import { admitsPythonVersion, isPythonPreRelease, parseSpecifierClause } from '@polyship/core'

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
 * undefined when there is no faithful retarget (`>=1,<2` past 2, `!=`, `<`, a clause PEP 440
 * does not allow), which is left to the user. A bare name (`acme-utils`) admits everything and stays.
 */
export function followPythonRequirement(text: string, version: string): string | undefined {
  const requirement = parsePythonRequirement(text)
  if (requirement === undefined) return undefined
  const { clauses } = requirement
  const specifiers = clauses.map((c) => parseSpecifierClause(`${c.operator}${c.version}`))
  if (specifiers.some((c) => c === undefined)) return undefined
  if (specifiers.every((c) => admitsPythonVersion(c!, version))) return text
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
      target = isPythonPreRelease(version)
        ? version
        : prefix(version, Math.max(2, release(clause.version).length))
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
