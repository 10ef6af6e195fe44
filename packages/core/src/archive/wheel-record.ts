/**
 * A wheel's RECORD file (PEP 376, PEP 427): one CSV row per installed file, `path,hash,size`,
 * written by Python's csv module. Only the CSV is here; what a row must hold is the caller's
 * to check (a published wheel and an installed one differ on that).
 */
import { createHash, type Hash } from 'node:crypto'

/** Hash algorithms a RECORD may name: sha256 and stronger, as PEP 427 requires. */
export const WHEEL_RECORD_ALGORITHMS: ReadonlySet<string> = new Set(['sha256', 'sha384', 'sha512'])

/** A RECORD hash field, `algorithm=urlsafe-base64`, split. */
export interface WheelRecordHash {
  readonly algorithm: string
  /** urlsafe base64 without padding (a padded value is read without its `=`). */
  readonly value: string
}

/**
 * Reads a RECORD hash field; undefined when it is not `algorithm=urlsafe-base64` or names
 * an algorithm weaker than sha256 (or unknown).
 */
export function parseWheelRecordHash(field: string): WheelRecordHash | undefined {
  const equals = field.indexOf('=')
  const algorithm = field.slice(0, equals)
  const value = field.slice(equals + 1).replace(/=+$/, '')
  if (equals <= 0 || !WHEEL_RECORD_ALGORITHMS.has(algorithm) || !/^[A-Za-z0-9_-]+$/.test(value))
    return undefined
  return { algorithm, value }
}

/** The RECORD hash field of `data` (or of what a sha256 `Hash` was fed): `sha256=<urlsafe base64, no padding>`. */
export function wheelRecordHash(data: Uint8Array | string | Hash): string {
  const hash =
    typeof data === 'string' || data instanceof Uint8Array ? createHash('sha256').update(data) : data
  return `sha256=${hash.digest('base64url')}`
}

/**
 * RECORD's rows as fields, unquoted: RFC 4180 as Python's csv module writes it (quotes
 * doubled inside quoted fields, `\n` or `\r\n` line ends); blank lines are skipped.
 */
export function parseWheelRecordCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += c
  }
  if (field !== '' || row.length > 0) rows.push([...row, field])
  return rows.filter((r) => !(r.length === 1 && r[0] === ''))
}

/** RECORD text for `rows` in the given order, as pip writes it: quotes only where needed, `\n` after each row. */
export function formatWheelRecordCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((fields) => `${fields.map(csvField).join(',')}\n`).join('')
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}
