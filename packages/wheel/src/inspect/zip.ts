import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { pipeline } from 'node:stream'
import { crc32, createInflateRaw } from 'node:zlib'
import { WheelError } from '../errors.ts'

/**
 * A minimal zip reader over node:zlib, enough for wheels: central directory, stored and
 * deflated entries, CRC and size checks. Zip64, encryption and multi-disk archives are
 * refused (no wheel a release builds needs them).
 */
export interface ZipEntry {
  readonly name: string
  readonly method: number
  readonly crc32: number
  readonly compressedSize: number
  readonly size: number
  /** Offset of the local file header. */
  readonly offset: number
}

export interface ZipReader {
  readonly path: string
  /** Entries in central-directory order, directories (names ending in `/`) included. */
  readonly entries: readonly ZipEntry[]
  find(name: string): ZipEntry | undefined
  /** The entry's bytes, checked against its CRC and size. */
  read(entry: ZipEntry): Promise<Buffer>
  /** The entry's bytes as a stream, checked against its CRC and size at the end. */
  stream(entry: ZipEntry): AsyncGenerator<Buffer>
}

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50
const STORE = 0
const DEFLATE = 8
const MAX_COMMENT = 0xffff

export async function openZip(path: string): Promise<ZipReader> {
  const bad = (what: string): never => {
    throw new WheelError('WHEEL_ARCHIVE_INVALID', `${path} is not a readable zip archive: ${what}`, {
      hint: 'rebuild the wheel; a truncated download or a partial copy leaves a corrupt file',
    })
  }
  const handle = await open(path, 'r')
  try {
    const { size: fileSize } = await handle.stat()
    const tailSize = Math.min(fileSize, 22 + MAX_COMMENT)
    const tail = Buffer.alloc(tailSize)
    await handle.read(tail, 0, tailSize, fileSize - tailSize)
    let at = -1
    for (let i = tailSize - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        at = i
        break
      }
    }
    if (at < 0) bad('no end of central directory record')
    const count = tail.readUInt16LE(at + 10)
    const cdSize = tail.readUInt32LE(at + 12)
    const cdOffset = tail.readUInt32LE(at + 16)
    if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0) bad('multi-disk archive')
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) bad('zip64 is not supported')
    if (cdOffset + cdSize > fileSize) bad('central directory past the end of the file')
    const cd = Buffer.alloc(cdSize)
    await handle.read(cd, 0, cdSize, cdOffset)

    const entries: ZipEntry[] = []
    const byName = new Map<string, ZipEntry>()
    let p = 0
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) bad(`central directory entry ${i} is corrupt`)
      const flags = cd.readUInt16LE(p + 8)
      const nameLength = cd.readUInt16LE(p + 28)
      const name = cd.toString('utf8', p + 46, p + 46 + nameLength)
      const entry: ZipEntry = {
        name,
        method: cd.readUInt16LE(p + 10),
        crc32: cd.readUInt32LE(p + 16),
        compressedSize: cd.readUInt32LE(p + 20),
        size: cd.readUInt32LE(p + 24),
        offset: cd.readUInt32LE(p + 42),
      }
      if (flags & 1) bad(`${name} is encrypted`)
      if (byName.has(name)) bad(`${name} appears twice`)
      if (entry.method !== STORE && entry.method !== DEFLATE)
        bad(`${name} uses compression method ${entry.method}`)
      entries.push(entry)
      byName.set(name, entry)
      p += 46 + nameLength + cd.readUInt16LE(p + 30) + cd.readUInt16LE(p + 32)
    }

    const dataStart = async (entry: ZipEntry): Promise<number> => {
      const header = Buffer.alloc(30)
      const handle2 = await open(path, 'r')
      try {
        await handle2.read(header, 0, 30, entry.offset)
      } finally {
        await handle2.close()
      }
      if (header.readUInt32LE(0) !== LOCAL) bad(`local header of ${entry.name} is corrupt`)
      return entry.offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28)
    }

    async function* stream(entry: ZipEntry): AsyncGenerator<Buffer> {
      const start = await dataStart(entry)
      if (start + entry.compressedSize > fileSize) bad(`${entry.name} runs past the end of the file`)
      if (entry.compressedSize === 0) {
        if (entry.size !== 0 || entry.method !== STORE) bad(`${entry.name} has no data`)
        return
      }
      const raw = createReadStream(path, {
        start,
        end: start + entry.compressedSize - 1,
        highWaterMark: 1 << 20,
      })
      const data: AsyncIterable<Buffer> =
        entry.method === DEFLATE ? pipeline(raw, createInflateRaw(), () => {}) : raw
      let crc = 0
      let size = 0
      try {
        for await (const chunk of data) {
          size += chunk.length
          if (size > entry.size) bad(`${entry.name} inflates past its declared size`)
          crc = crc32(chunk, crc)
          yield chunk
        }
      } catch (cause) {
        if (cause instanceof WheelError) throw cause
        throw new WheelError('WHEEL_ARCHIVE_INVALID', `${path}: cannot inflate ${entry.name}`, { cause })
      }
      if (size !== entry.size || crc >>> 0 !== entry.crc32) bad(`${entry.name} fails its CRC or size check`)
    }

    return {
      path,
      entries,
      find: (name) => byName.get(name),
      stream,
      async read(entry) {
        const chunks: Buffer[] = []
        for await (const chunk of stream(entry)) chunks.push(chunk)
        return Buffer.concat(chunks)
      },
    }
  } finally {
    await handle.close()
  }
}
