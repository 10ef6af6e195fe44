import { createHash } from 'node:crypto'
import { formatWheelRecordCsv, parseWheelRecordCsv, parseWheelRecordHash } from '@polyship/core'

/** One row of a wheel's RECORD: path, `algo=urlsafe-b64-digest` (empty for RECORD itself), size. */
export interface RecordRow {
  readonly path: string
  readonly hash: string
  readonly size: string
}

/** Parses RECORD (CSV as Python's csv module writes it: quotes only where needed). */
export function parseRecord(text: string): RecordRow[] {
  return parseWheelRecordCsv(text).map((fields) => ({
    path: fields[0] ?? '',
    hash: fields[1] ?? '',
    size: fields[2] ?? '',
  }))
}

/** RECORD text with rows sorted by path, so the same install gives the same bytes. */
export function formatRecord(rows: readonly RecordRow[]): string {
  return formatWheelRecordCsv(
    [...rows]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((row) => [row.path, row.hash, row.size]),
  )
}

/** Checks a RECORD hash value against bytes hashed with its algorithm; false on a mismatch or an unknown algorithm. */
export function newRecordHasher(
  value: string,
): { update(chunk: Uint8Array): void; matches(): boolean } | undefined {
  const expected = parseWheelRecordHash(value)
  if (expected === undefined) return undefined
  const hash = createHash(expected.algorithm)
  return {
    update: (chunk) => void hash.update(chunk),
    matches: () => hash.digest('base64url') === expected.value,
  }
}
