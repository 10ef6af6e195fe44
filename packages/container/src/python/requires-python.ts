import { admitsPythonVersion, parseSpecifierClause } from '@polyship/core'

/**
 * Whether CPython `version` (`3.11`, taken as 3.11.0 like pip's `--python-version 3.11`)
 * satisfies a `Requires-Python` specifier set (PEP 440: `>=3.9`, `>=3.8,<4`, `!=3.10.*`,
 * `~=3.9`, `==3.11.*`), read by core's specifiers. A clause it cannot read counts as
 * satisfied: the resolver, which reads every form, has the last word.
 */
export function satisfiesRequiresPython(version: string, specifiers: string): boolean {
  return specifiers
    .split(',')
    .filter((s) => s.trim() !== '')
    .every((text) => {
      const clause = parseSpecifierClause(text)
      return clause === undefined || admitsPythonVersion(clause, version)
    })
}
