import { type FileHandle, open } from 'node:fs/promises'
import { pipeline } from 'node:stream'
import { promisify } from 'node:util'
import { crc32, createInflateRaw, inflateRaw } from 'node:zlib'
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

export interface ZipReader extends AsyncDisposable {
  readonly path: string
  /** Entries in central-directory order, directories (names ending in `/`) included. */
  readonly entries: readonly ZipEntry[]
  find(name: string): ZipEntry | undefined
  /** The entry's bytes, checked against its CRC and size. Meant for entries that fit in memory. */
  read(entry: ZipEntry): Promise<Buffer>
  /** The entry's bytes as a stream, checked against its CRC and size at the end. */
  stream(entry: ZipEntry): AsyncGenerator<Buffer>
  close(): Promise<void>
}

/** Entries up to this size are inflated in one call; larger ones are streamed. */
export const ZIP_READ_LIMIT = 8 << 20

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50
const STORE = 0
const DEFLATE = 8
const MAX_COMMENT = 0xffff
const inflate = promisify(inflateRaw)

/** Opens a zip and reads its central directory; close it (or `await using`) when done. */
export async function openZip(path: string): Promise<ZipReader> {
  const bad = (what: string, cause?: unknown): never => {
    throw new WheelError('WHEEL_ARCHIVE_INVALID', `${path} is not a readable zip archive: ${what}`, {
      hint: 'rebuild the wheel; a truncated download or a partial copy leaves a corrupt file',
      ...(cause === undefined ? {} : { cause }),
    })
  }
  const handle = await open(path, 'r')
  try {
    const { size: fileSize } = await handle.stat()
    const entries = await centralDirectory(handle, fileSize, bad)
    const byName = new Map<string, ZipEntry>()
    for (const entry of entries) {
      if (byName.has(entry.name)) bad(`${entry.name} appears twice`)
      byName.set(entry.name, entry)
    }

    const dataRange = async (entry: ZipEntry): Promise<number> => {
      const header = Buffer.alloc(30)
      await handle.read(header, 0, 30, entry.offset)
      if (header.readUInt32LE(0) !== LOCAL) bad(`local header of ${entry.name} is corrupt`)
      const start = entry.offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28)
      if (start + entry.compressedSize > fileSize) bad(`${entry.name} runs past the end of the file`)
      return start
    }
    const check = (entry: ZipEntry, size: number, crc: number) => {
      if (size !== entry.size || crc >>> 0 !== entry.crc32) bad(`${entry.name} fails its CRC or size check`)
    }

    async function* stream(entry: ZipEntry): AsyncGenerator<Buffer> {
      const start = await dataRange(entry)
      if (entry.compressedSize === 0) return check(entry, 0, 0)
      const raw = handle.createReadStream({
        start,
        end: start + entry.compressedSize - 1,
        highWaterMark: 1 << 20,
        autoClose: false,
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
        bad(`cannot inflate ${entry.name}`, cause)
      }
      check(entry, size, crc)
    }

    async function read(entry: ZipEntry): Promise<Buffer> {
      if (entry.size > ZIP_READ_LIMIT || entry.compressedSize > ZIP_READ_LIMIT) {
        const chunks: Buffer[] = []
        for await (const chunk of stream(entry)) chunks.push(chunk)
        return Buffer.concat(chunks)
      }
      const start = await dataRange(entry)
      const raw = Buffer.alloc(entry.compressedSize)
      await handle.read(raw, 0, raw.length, start)
      let data = raw
      if (entry.method === DEFLATE) {
        try {
          data = await inflate(raw, { maxOutputLength: Math.max(entry.size, 1) })
        } catch (cause) {
          bad(`cannot inflate ${entry.name} to its declared ${entry.size} bytes`, cause)
        }
      }
      check(entry, data.length, crc32(data))
      return data
    }

    return {
      path,
      entries,
      find: (name) => byName.get(name),
      read,
      stream,
      close: () => handle.close(),
      [Symbol.asyncDispose]: () => handle.close(),
    }
  } catch (error) {
    await handle.close()
    throw error
  }
}

async function centralDirectory(
  handle: FileHandle,
  fileSize: number,
  bad: (what: string) => never,
): Promise<ZipEntry[]> {
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
  let p = 0
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) bad(`central directory entry ${i} is corrupt`)
    const flags = cd.readUInt16LE(p + 8)
    const nameLength = cd.readUInt16LE(p + 28)
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength)
    const method = cd.readUInt16LE(p + 10)
    if (flags & 1) bad(`${name} is encrypted`)
    if (method !== STORE && method !== DEFLATE) bad(`${name} uses compression method ${method}`)
    entries.push({
      name,
      method,
      crc32: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      offset: cd.readUInt32LE(p + 42),
    })
    p += 46 + nameLength + cd.readUInt16LE(p + 30) + cd.readUInt16LE(p + 32)
  }
  return entries
}
