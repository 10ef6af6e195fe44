import { createHash } from 'node:crypto'

/** One row of a wheel's RECORD: path, `algo=urlsafe-b64-digest` (empty for RECORD itself), size. */
export interface RecordRow {
  readonly path: string
  readonly hash: string
  readonly size: string
}

/** Parses RECORD (CSV as Python's csv module writes it: quotes only where needed). */
export function parseRecord(text: string): RecordRow[] {
  const rows: RecordRow[] = []
  for (const fields of csvRows(text)) {
    if (fields.length === 1 && fields[0] === '') continue
    rows.push({ path: fields[0] ?? '', hash: fields[1] ?? '', size: fields[2] ?? '' })
  }
  return rows
}

/** RECORD text with rows sorted by path, so the same install gives the same bytes. */
export function formatRecord(rows: readonly RecordRow[]): string {
  return [...rows]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((row) => [row.path, row.hash, row.size].map(csvField).join(','))
    .map((line) => `${line}\n`)
    .join('')
}

/** `sha256=<urlsafe base64 without padding>`, the RECORD hash form. */
export function recordHash(hash: ReturnType<typeof createHash>): string {
  return `sha256=${hash.digest('base64url')}`
}

/** Checks a RECORD hash value against bytes hashed with its algorithm; false on a mismatch or an unknown algorithm. */
export function newRecordHasher(
  value: string,
): { update(chunk: Uint8Array): void; matches(): boolean } | undefined {
  const equals = value.indexOf('=')
  const algorithm = value.slice(0, equals)
  if (equals <= 0 || !['sha256', 'sha384', 'sha512'].includes(algorithm)) return undefined
  const hash = createHash(algorithm)
  return {
    update: (chunk) => void hash.update(chunk),
    matches: () => hash.digest('base64url') === value.slice(equals + 1).replace(/=+$/, ''),
  }
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

function* csvRows(text: string): Generator<string[]> {
  let fields: string[] = []
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
      fields.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      fields.push(field)
      yield fields
      fields = []
      field = ''
    } else field += c
  }
  if (field !== '' || fields.length > 0) {
    fields.push(field)
    yield fields
  }
}
