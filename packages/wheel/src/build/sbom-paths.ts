import { readFile, realpath, rename, writeFile } from 'node:fs/promises'
import { crc32, deflateRawSync } from 'node:zlib'
import { openZip, wheelRecordHash } from '@polyship/core'
import { WheelError } from '../errors.ts'

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50
const DEFLATE = 8
/** General-purpose flag bit 3: sizes and CRC in a data descriptor after the data. */
const DATA_DESCRIPTOR = 1 << 3

/** `file://<root>` followed by `/`, `#` or the end of a JSON string: a path cargo made absolute. */
function rootPattern(root: string): RegExp {
  const escaped = root.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`file://${escaped}(?=[/#"])`, 'g')
}

/**
 * maturin embeds cargo-cyclonedx's SBOM (`<dist-info>/sboms/*.json`), whose `bom-ref`s are
 * cargo package ids: `path+file:///home/me/repo/py#core@0.1.0` for the crate being built.
 * The same commit checked out elsewhere would give another wheel. This rewrites
 * `file://<workspace root>` to `file://.` in those SBOMs (and their RECORD rows), copying
 * every other entry of the wheel byte for byte. Returns the SBOM entries it changed.
 */
export async function relativizeSbomPaths(wheel: string, workspaceRoot: string): Promise<string[]> {
  const roots = [...new Set([workspaceRoot, await realpath(workspaceRoot)])].sort(
    (a, b) => b.length - a.length,
  )
  const replaced = new Map<string, Buffer>()
  let recordName: string | undefined
  {
    await using zip = await openZip(wheel)
    for (const entry of zip.entries) {
      if (/^[^/]+\.dist-info\/RECORD$/.test(entry.name)) recordName = entry.name
      if (!/^[^/]+\.dist-info\/sboms\/[^/]+\.json$/.test(entry.name)) continue
      const text = (await zip.read(entry)).toString('utf8')
      const rewritten = roots.reduce((t, root) => t.replace(rootPattern(root), 'file://.'), text)
      if (rewritten !== text) replaced.set(entry.name, Buffer.from(rewritten))
    }
    if (replaced.size === 0) return []
    if (recordName === undefined) {
      throw new WheelError('WHEEL_RECORD_INVALID', `${wheel}: no RECORD in the .dist-info directory`, {
        hint: 'the wheel was altered after it was built, or its builder wrote a broken RECORD; rebuild it',
      })
    }
    replaced.set(
      recordName,
      updatedRecord((await zip.read(zip.find(recordName)!)).toString('utf8'), replaced),
    )
  }
  const patched = patchZip(await readFile(wheel), replaced, wheel)
  await writeFile(`${wheel}.tmp`, patched)
  await rename(`${wheel}.tmp`, wheel)
  return [...replaced.keys()].filter((name) => name !== recordName)
}

/** RECORD with the hash and size of each replaced file updated; every other row as it was. */
function updatedRecord(record: string, replaced: ReadonlyMap<string, Buffer>): Buffer {
  const lines = record.split('\n').map((line) => {
    const comma = line.indexOf(',')
    const data = comma < 0 ? undefined : replaced.get(line.slice(0, comma))
    if (data === undefined) return line
    return `${line.slice(0, comma)},${wheelRecordHash(data)},${data.length}${line.endsWith('\r') ? '\r' : ''}`
  })
  return Buffer.from(lines.join('\n'))
}

interface CentralRecord {
  readonly raw: Buffer
  readonly name: string
  readonly offset: number
}

/**
 * The zip with the entries named in `replaced` given new contents (deflated, sizes in the
 * local header); every other local header and its data copied as they are, so the
 * archive keeps its order, timestamps, modes and compression.
 */
function patchZip(zip: Buffer, replaced: ReadonlyMap<string, Buffer>, where: string): Buffer {
  const corrupt = (what: string) =>
    new WheelError('WHEEL_RECORD_INVALID', `${where}: ${what}`, {
      hint: 'rebuild the wheel; its zip structure could not be rewritten',
    })
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  if (eocd < 0 || zip.readUInt32LE(eocd) !== EOCD) throw corrupt('no end of central directory')
  const count = zip.readUInt16LE(eocd + 10)
  const cdSize = zip.readUInt32LE(eocd + 12)
  const cdOffset = zip.readUInt32LE(eocd + 16)
  const records: CentralRecord[] = []
  for (let at = cdOffset, i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== CENTRAL) throw corrupt(`central directory entry ${i} is damaged`)
    const length = 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32)
    const raw = Buffer.from(zip.subarray(at, at + length))
    records.push({
      raw,
      name: raw.subarray(46, 46 + raw.readUInt16LE(28)).toString('utf8'),
      offset: raw.readUInt32LE(42),
    })
    at += length
  }
  const byOffset = [...records].sort((a, b) => a.offset - b.offset)
  const end = new Map(byOffset.map((r, i) => [r, byOffset[i + 1]?.offset ?? cdOffset]))

  const parts: Buffer[] = []
  let written = 0
  const push = (bytes: Buffer) => {
    parts.push(bytes)
    written += bytes.length
  }
  const central: Buffer[] = []
  for (const record of byOffset) {
    if (zip.readUInt32LE(record.offset) !== LOCAL) throw corrupt(`local header of ${record.name} is damaged`)
    const data = replaced.get(record.name)
    const entry = Buffer.from(record.raw)
    entry.writeUInt32LE(written, 42)
    if (data === undefined) {
      push(zip.subarray(record.offset, end.get(record)))
      central.push(entry)
      continue
    }
    const compressed = deflateRawSync(data)
    const crc = crc32(data)
    const name = Buffer.from(record.name)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(LOCAL, 0)
    local.writeUInt16LE(zip.readUInt16LE(record.offset + 4), 4)
    local.writeUInt16LE(zip.readUInt16LE(record.offset + 6) & ~DATA_DESCRIPTOR, 6)
    local.writeUInt16LE(DEFLATE, 8)
    local.writeUInt32LE(zip.readUInt32LE(record.offset + 10), 10)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(compressed.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(name.length, 26)
    push(Buffer.concat([local, name, compressed]))
    entry.writeUInt16LE(entry.readUInt16LE(8) & ~DATA_DESCRIPTOR, 8)
    entry.writeUInt16LE(DEFLATE, 10)
    entry.writeUInt32LE(crc, 16)
    entry.writeUInt32LE(compressed.length, 20)
    entry.writeUInt32LE(data.length, 24)
    central.push(entry)
  }
  // the central directory keeps its own order
  const ordered = records.map((r) => central[byOffset.indexOf(r)]!)
  const directory = Buffer.concat(ordered)
  const tail = Buffer.from(zip.subarray(eocd))
  tail.writeUInt32LE(directory.length, 12)
  tail.writeUInt32LE(written, 16)
  if (cdSize !== zip.subarray(cdOffset, eocd).length) throw corrupt('central directory size does not match')
  return Buffer.concat([...parts, directory, tail])
}
