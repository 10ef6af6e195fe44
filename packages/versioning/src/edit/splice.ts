import { isDeepStrictEqual } from 'node:util'
import type { ValuePath } from './toml-scan.ts'

/** Replace the source text `[start, end)` with `text`. */
export interface Splice {
  readonly start: number
  readonly end: number
  readonly text: string
}

/** One value to set: where, and the string it becomes. */
export interface ValueEdit {
  readonly path: ValuePath
  readonly value: string
}

/** Characters a version or version requirement may hold; nothing that needs quoting or escaping. */
const SAFE_VALUE = /^[0-9A-Za-z.+\-~^=<>*, ]+$/

/** What a PEP 508 requirement (`acme[cli]==1.2.0; python_version >= '3.9'`) may hold besides. */
const SAFE_REQUIREMENT = /^[0-9A-Za-z.+\-~^=<>*, ![\];_()'"]+$/

/**
 * Refuses values that could break out of their quoting. `quote` is the string delimiter
 * the value is written between (TOML only): a requirement may then hold the other quote.
 */
export function checkSafeValue(value: string, quote?: string): void {
  if (SAFE_VALUE.test(value)) return
  if (quote !== undefined && SAFE_REQUIREMENT.test(value) && !value.includes(quote[0]!)) return
  throw new Error(`refusing to write ${JSON.stringify(value)} as a version value`)
}

/** Applies non-overlapping splices; everything outside them is kept byte for byte. */
export function applySplices(text: string, splices: readonly Splice[]): string {
  const sorted = [...splices].sort((a, b) => b.start - a.start)
  let out = text
  let limit = Number.POSITIVE_INFINITY
  for (const splice of sorted) {
    if (splice.end > limit) throw new Error('overlapping edits')
    out = out.slice(0, splice.start) + splice.text + out.slice(splice.end)
    limit = splice.start
  }
  return out
}

/**
 * The contract of every format-preserving edit: the edited document, parsed again, equals
 * the original document with exactly the intended values set. A mismatch is a bug in the
 * editor, never a user error, so it is a plain Error.
 */
export function verifyEdited(
  before: unknown,
  after: unknown,
  edits: readonly ValueEdit[],
  file: string,
): void {
  const expected = plain(before)
  for (const edit of edits) setIn(expected, edit.path, edit.value)
  if (!isDeepStrictEqual(expected, plain(after))) {
    throw new Error(`${file}: editing ${edits.map((e) => e.path.join('.')).join(', ')} changed other values`)
  }
}

/** A JSON-shaped copy: dates as ISO strings, big integers as strings, so parsers' classes compare equal. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'null')
}

function setIn(root: unknown, path: ValuePath, value: string): void {
  let node = root as Record<string | number, unknown>
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>
  node[path.at(-1)!] = value
}
