import { posix } from 'node:path'
import { HelmError } from '../errors.ts'

/**
 * `.helmignore` rules with Helm's own semantics (helm.sh/helm/v3/pkg/ignore), so
 * polyship and `helm package` ship the same files:
 * - one Go `filepath.Match` glob per line (`*`, `?`, `[a-z]`, `[^a-z]`, `\` escapes);
 *   blank lines and `#` comments are skipped; `**` is refused;
 * - a pattern without `/` matches the base name at any depth; with `/` (or a leading
 *   `/`) it matches the whole path relative to the chart;
 * - a trailing `/` matches directories only, and an ignored directory drops everything below;
 * - `!pattern` is Helm's, not git's: it ignores every path the pattern does NOT match.
 * Helm always adds `templates/.?*` (dotfiles directly under templates/).
 */
export interface IgnoreRules {
  ignores(relativePath: string, isDirectory: boolean): boolean
}

interface Rule {
  readonly negate: boolean
  readonly directoryOnly: boolean
  readonly wholePath: boolean
  readonly regex: RegExp
}

const HELM_DEFAULT_IGNORE = 'templates/.?*'

/** Parses .helmignore text (`file` is for messages) and appends Helm's default rule. */
export function parseHelmignore(text: string, file: string): IgnoreRules {
  const rules: Rule[] = []
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/)
  lines.forEach((raw, index) => {
    const rule = parseRule(raw, file, index + 1)
    if (rule !== undefined) rules.push(rule)
  })
  rules.push(parseRule(HELM_DEFAULT_IGNORE, 'helm default rule', 0)!)
  return { ignores: (path, isDirectory) => ignores(rules, path, isDirectory) }
}

function parseRule(raw: string, file: string, line: number): Rule | undefined {
  let rule = raw.trim()
  if (rule === '' || rule.startsWith('#')) return undefined
  const fail = (problem: string) =>
    new HelmError('HELM_IGNORE_INVALID', `${file}:${line}: "${rule}": ${problem}`, {
      file,
      line,
      hint: '.helmignore takes Go filepath.Match globs, one per line (see https://helm.sh/docs/chart_template_guide/helm_ignore_file/)',
    })
  if (rule.includes('**')) throw fail('double-star (**) syntax is not supported by Helm')
  compileGlob(rule, fail) // Helm validates the whole line, `!` and `/` included
  const negate = rule.startsWith('!')
  if (negate) rule = rule.slice(1)
  const directoryOnly = rule.endsWith('/')
  if (directoryOnly) rule = rule.slice(0, -1)
  const wholePath = rule.includes('/')
  if (rule.startsWith('/')) rule = rule.slice(1)
  return { negate, directoryOnly, wholePath, regex: compileGlob(rule, fail) }
}

function ignores(rules: readonly Rule[], path: string, isDirectory: boolean): boolean {
  if (path === '' || path === '.' || path === './') return false
  for (const rule of rules) {
    const subject = rule.wholePath ? path : posix.basename(path)
    if (rule.negate) {
      if (rule.directoryOnly && !isDirectory) return true
      if (!rule.regex.test(subject)) return true
      continue
    }
    if (rule.directoryOnly && !isDirectory) continue
    if (rule.regex.test(subject)) return true
  }
  return false
}

/** Go's `filepath.Match` pattern (Unix) as an anchored RegExp; malformed patterns fail like ErrBadPattern. */
function compileGlob(pattern: string, fail: (problem: string) => Error): RegExp {
  const chars = [...pattern]
  let out = ''
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!
    if (c === '*') out += '[^/]*'
    else if (c === '?') out += '[^/]'
    else if (c === '\\') {
      const next = chars[++i]
      if (next === undefined) throw fail('the pattern ends with an escape (\\)')
      out += escapeRegex(next)
    } else if (c === '[') {
      let j = i + 1
      let negated = false
      if (chars[j] === '^') {
        negated = true
        j++
      }
      const ranges: string[] = []
      for (;;) {
        if (j >= chars.length) throw fail('unclosed character class [')
        if (chars[j] === ']' && ranges.length > 0) break
        const [low, afterLow] = classChar(chars, j, fail)
        let high = low
        j = afterLow
        if (chars[j] === '-') {
          ;[high, j] = classChar(chars, j + 1, fail)
          if (high < low) throw fail(`bad range ${low}-${high} in character class`)
        }
        ranges.push(low === high ? escapeClass(low) : `${escapeClass(low)}-${escapeClass(high)}`)
      }
      out += `[${negated ? '^' : ''}${ranges.join('')}]`
      i = j
    } else out += escapeRegex(c)
  }
  return new RegExp(`^${out}$`, 'u')
}

/** One (possibly escaped) character of a class; `-` and `]` must be escaped, as in Go. */
function classChar(
  chars: readonly string[],
  index: number,
  fail: (problem: string) => Error,
): [string, number] {
  const c = chars[index]
  if (c === undefined) throw fail('unclosed character class [')
  if (c === '-' || c === ']') throw fail(`"${c}" must be escaped inside a character class`)
  if (c === '\\') {
    const next = chars[index + 1]
    if (next === undefined) throw fail('unclosed character class [')
    return [next, index + 2]
  }
  return [c, index + 1]
}

function escapeRegex(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c
}

function escapeClass(c: string): string {
  return /[\\^\][-]/.test(c) ? `\\${c}` : c
}
