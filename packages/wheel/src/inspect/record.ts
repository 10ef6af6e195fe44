import { createHash } from 'node:crypto'
import {
  parseWheelRecordCsv,
  parseWheelRecordHash,
  WHEEL_RECORD_ALGORITHMS,
  type WheelRecordHash,
  ZIP_READ_LIMIT,
  type ZipReader,
} from '@polyship/core'
import { WheelError } from '../errors.ts'

/** One row of a wheel's RECORD: `path,sha256=<urlsafe b64 without padding>,size`. */
export interface RecordRow {
  readonly path: string
  readonly hash?: WheelRecordHash
  readonly size?: number
}

export function parseRecord(text: string, where: string): RecordRow[] {
  const bad = (what: string): never => {
    throw new WheelError('WHEEL_RECORD_INVALID', `${where}: ${what}`, {
      hint: 'the wheel was altered after it was built, or its builder wrote a broken RECORD; rebuild it',
    })
  }
  return parseWheelRecordCsv(text).map((fields, i) => {
    if (fields.length !== 3) bad(`line ${i + 1} has ${fields.length} fields, expected path,hash,size`)
    const [path, hash, size] = fields as [string, string, string]
    if (path === '') bad(`line ${i + 1} has an empty path`)
    const parsedHash = hash === '' ? undefined : parseWheelRecordHash(hash)
    if (hash !== '' && parsedHash === undefined) {
      const algorithm = hash.slice(0, Math.max(0, hash.indexOf('=')))
      bad(
        algorithm !== '' && !WHEEL_RECORD_ALGORITHMS.has(algorithm)
          ? `line ${i + 1}: hash algorithm ${algorithm} is too weak or unknown (use sha256)`
          : `line ${i + 1}: "${hash}" is not algorithm=urlsafe-base64`,
      )
    }
    if (size !== '' && !/^\d+$/.test(size)) bad(`line ${i + 1}: size "${size}" is not a number`)
    return {
      path,
      ...(parsedHash === undefined ? {} : { hash: parsedHash }),
      ...(size === '' ? {} : { size: Number(size) }),
    }
  })
}

/**
 * Checks RECORD against the wheel: every file is listed once with a matching hash and
 * size, nothing listed is missing, and only RECORD (and its signatures) go unhashed.
 */
export async function verifyRecord(zip: ZipReader, recordPath: string): Promise<void> {
  const where = `${zip.path}: ${recordPath}`
  const bad = (what: string): never => {
    throw new WheelError('WHEEL_RECORD_INVALID', `${where}: ${what}`, {
      hint: 'the wheel was altered after it was built, or its builder wrote a broken RECORD; rebuild it',
    })
  }
  const recordEntry = zip.find(recordPath)
  if (recordEntry === undefined) bad('missing')
  const rows = parseRecord((await zip.read(recordEntry!)).toString('utf8'), where)
  const unhashed = new Set([recordPath, `${recordPath}.jws`, `${recordPath}.p7s`])
  const listed = new Map<string, RecordRow>()
  for (const row of rows) {
    if (listed.has(row.path)) bad(`${row.path} is listed twice`)
    listed.set(row.path, row)
  }
  for (const entry of zip.entries) {
    if (entry.name.endsWith('/')) continue
    const row = listed.get(entry.name)
    listed.delete(entry.name)
    if (unhashed.has(entry.name)) continue
    if (row === undefined) bad(`${entry.name} is in the wheel but not in RECORD`)
    if (row!.hash === undefined) bad(`${entry.name} has no hash`)
    if (row!.size !== undefined && row!.size !== entry.size)
      bad(`${entry.name} is ${entry.size} bytes, RECORD says ${row!.size}`)
    const hash = createHash(row!.hash!.algorithm)
    if (entry.size <= ZIP_READ_LIMIT) hash.update(await zip.read(entry))
    else for await (const chunk of zip.stream(entry)) hash.update(chunk)
    const actual = hash.digest('base64url')
    if (actual !== row!.hash!.value)
      bad(`${entry.name} has ${row!.hash!.algorithm}=${actual}, RECORD says ${row!.hash!.value}`)
  }
  const missing = [...listed.keys()]
  if (missing.length > 0) bad(`lists files the wheel does not contain: ${missing.join(', ')}`)
}
