import { crc32, createDeflateRaw } from 'node:zlib'
import { CoreError } from '../errors.ts'
import { type ArchiveEntry, normalizeEntries } from './entry.ts'
import { readChunks } from './tar.ts'
import { throughZlib } from './zlib.ts'

const UINT32_MAX = 0xffffffff
/** Made by: UNIX (3), spec 2.0; so unzip honours the permission bits in the external attributes. */
const VERSION_MADE_BY = (3 << 8) | 20
const VERSION_NEEDED = 20
/** Bit 3: sizes and CRC follow the data (streaming); bit 11: names are UTF-8. */
const FLAGS = (1 << 3) | (1 << 11)
const DEFLATE = 8
const STORE = 0

export interface ZipOptions {
  /** mtime of every entry in Unix seconds; times before 1980 (the DOS epoch) are written as 1980-01-01. */
  readonly mtime: number
  /** zlib level of each file's deflate stream, 1-9 (default 9). Changing it changes the bytes. */
  readonly level?: number
}

interface CentralRecord {
  readonly name: Buffer
  readonly method: number
  readonly crc: number
  readonly compressedSize: number
  readonly size: number
  readonly offset: number
  readonly externalAttributes: number
}

/**
 * Streams a reproducible zip: entries sorted with explicit directories, one DOS timestamp,
 * no extra fields, Unix modes, data descriptors so contents stream through deflate with
 * constant memory. Archives past 4 GiB (zip64) are refused.
 */
export async function* zipStream(
  entries: Iterable<ArchiveEntry>,
  options: ZipOptions,
): AsyncGenerator<Uint8Array> {
  const [dosTime, dosDate] = dosDateTime(options.mtime)
  const central: CentralRecord[] = []
  let offset = 0
  const emit = (bytes: Uint8Array) => {
    offset += bytes.length
    return bytes
  }
  for (const item of normalizeEntries(entries)) {
    const { entry } = item
    const isDir = entry.type === 'directory'
    const name = Buffer.from(isDir ? `${item.path}/` : item.path)
    const method = entry.type === 'file' ? DEFLATE : STORE
    const start = offset
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(VERSION_NEEDED, 4)
    local.writeUInt16LE(FLAGS, 6)
    local.writeUInt16LE(method, 8)
    local.writeUInt16LE(dosTime, 10)
    local.writeUInt16LE(dosDate, 12)
    // crc and sizes are zero here and follow in the data descriptor
    local.writeUInt16LE(name.length, 26)
    yield emit(local)
    yield emit(name)

    let crc = 0
    let size = 0
    let compressedSize = 0
    const raw: AsyncIterable<Uint8Array> =
      entry.type === 'file'
        ? entry.source !== undefined
          ? readChunks(entry.source)
          : inMemory(
              typeof entry.content === 'string'
                ? Buffer.from(entry.content)
                : (entry.content ?? new Uint8Array()),
            )
        : entry.type === 'symlink'
          ? inMemory(Buffer.from(entry.target))
          : inMemory()
    const counted = (async function* () {
      for await (const chunk of raw) {
        crc = crc32(chunk, crc)
        size += chunk.length
        yield chunk
      }
    })()
    const data =
      method === DEFLATE ? throughZlib(createDeflateRaw({ level: options.level ?? 9 }), counted) : counted
    for await (const chunk of data) {
      compressedSize += chunk.length
      yield emit(chunk)
    }
    if (size > UINT32_MAX || compressedSize > UINT32_MAX || offset > UINT32_MAX) {
      throw new CoreError(
        'ARCHIVE_TOO_LARGE',
        `zip entry ${item.path} passes 4 GiB; zip64 is not supported`,
        {
          hint: 'use a tar.gz archive for files this large',
        },
      )
    }
    const descriptor = Buffer.alloc(16)
    descriptor.writeUInt32LE(0x08074b50, 0)
    descriptor.writeUInt32LE(crc >>> 0, 4)
    descriptor.writeUInt32LE(compressedSize, 8)
    descriptor.writeUInt32LE(size, 12)
    yield emit(descriptor)
    const fileType = isDir ? 0o040000 : entry.type === 'symlink' ? 0o120000 : 0o100000
    central.push({
      name,
      method,
      crc: crc >>> 0,
      compressedSize,
      size,
      offset: start,
      externalAttributes: (((fileType | item.mode) << 16) | (isDir ? 0x10 : 0)) >>> 0,
    })
  }
  const centralStart = offset
  for (const record of central) {
    const header = Buffer.alloc(46)
    header.writeUInt32LE(0x02014b50, 0)
    header.writeUInt16LE(VERSION_MADE_BY, 4)
    header.writeUInt16LE(VERSION_NEEDED, 6)
    header.writeUInt16LE(FLAGS, 8)
    header.writeUInt16LE(record.method, 10)
    header.writeUInt16LE(dosTime, 12)
    header.writeUInt16LE(dosDate, 14)
    header.writeUInt32LE(record.crc, 16)
    header.writeUInt32LE(record.compressedSize, 20)
    header.writeUInt32LE(record.size, 24)
    header.writeUInt16LE(record.name.length, 28)
    header.writeUInt32LE(record.externalAttributes, 38)
    header.writeUInt32LE(record.offset, 42)
    yield emit(header)
    yield emit(record.name)
  }
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(central.length, 8)
  end.writeUInt16LE(central.length, 10)
  end.writeUInt32LE(offset - centralStart, 12)
  end.writeUInt32LE(centralStart, 16)
  yield emit(end)
}

async function* inMemory(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks
}

/** DOS time and date fields in UTC (zip has no zone; UTC keeps it machine-independent). */
function dosDateTime(seconds: number): [number, number] {
  const date = new Date(Math.max(seconds, 315532800) * 1000) // 1980-01-01T00:00:00Z
  const time = (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2)
  const day = ((date.getUTCFullYear() - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate()
  return [time, day]
}
