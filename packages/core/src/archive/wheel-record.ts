/**
 * A wheel's RECORD file (PEP 376, PEP 427): one CSV row per installed file, `path,hash,size`,
 * written by Python's csv module. Only the CSV is here; what a row must hold is the caller's
 * to check (a published wheel and an installed one differ on that).
 */

/** Hash algorithms a RECORD may name: sha256 and stronger, as PEP 427 requires. */
export const WHEEL_RECORD_ALGORITHMS: ReadonlySet<string> = new Set(['sha256', 'sha384', 'sha512'])

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
