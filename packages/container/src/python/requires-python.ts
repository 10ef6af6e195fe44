/**
 * Whether CPython `version` (`3.11`, taken as 3.11.0 like pip's `--python-version 3.11`)
 * satisfies a `Requires-Python` specifier set (PEP 440: `>=3.9`, `>=3.8,<4`, `!=3.10.*`,
 * `~=3.9`, `==3.11.*`). A clause it cannot read counts as satisfied: the resolver, which
 * reads every form, has the last word.
 */
export function satisfiesRequiresPython(version: string, specifiers: string): boolean {
  const have = release(version)
  return specifiers
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .every((clause) => {
      const match = /^(~=|===|==|!=|<=|>=|<|>)\s*v?([0-9]+(?:\.[0-9]+)*)(\.\*)?$/.exec(clause)
      if (match === null) return true
      const [, op, text, wildcard] = match
      const want = release(text!)
      if (wildcard !== undefined) {
        const prefix = have.slice(0, want.length)
        const equal = compare(prefix, want) === 0
        return op === '!=' ? !equal : op === '==' ? equal : true
      }
      const order = compare(have, want)
      switch (op) {
        case '>=':
          return order >= 0
        case '>':
          return order > 0
        case '<=':
          return order <= 0
        case '<':
          return order < 0
        case '==':
        case '===':
          return order === 0
        case '!=':
          return order !== 0
        case '~=':
          return order >= 0 && compare(have.slice(0, want.length - 1), want.slice(0, -1)) === 0
        default:
          return true
      }
    })
}

function release(text: string): number[] {
  return text.split('.').map(Number)
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}
