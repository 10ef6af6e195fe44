import { type FileHandle, open } from 'node:fs/promises'
import { pipeline, Readable } from 'node:stream'
import { promisify } from 'node:util'
import { crc32, createInflateRaw, inflateRaw } from 'node:zlib'
import { CoreError } from '../errors.ts'

/** One entry of a zip's central directory. */
export interface ZipEntry {
  /** As stored, `/`-separated; directories end in `/`. Not checked: callers extracting it must (see `checkEntryPath`). */
  readonly name: string
  /** 0 (stored) or 8 (deflated); other methods are refused when the archive is opened. */
  readonly method: number
  readonly crc32: number
  readonly compressedSize: number
  readonly size: number
  /** Offset of the local file header. */
  readonly offset: number
  /** Permission bits (`0o755`) when the archive was written on Unix and records them; else undefined. */
  readonly mode?: number
  /** True when the Unix file type bits say symbolic link (its data is the target). */
  readonly symlink: boolean
}

/**
 * A zip archive on disk, its central directory read; entry data is read on demand through
 * one file handle, released by `close()` (or `await using`).
 */
export interface ZipReader extends AsyncDisposable {
  readonly path: string
  /** Entries in central-directory order, directories (names ending in `/`) included. */
  readonly entries: readonly ZipEntry[]
  find(name: string): ZipEntry | undefined
  /**
   * The entry's bytes, checked against its CRC and size. All in memory: entries up to
   * ZIP_READ_LIMIT are inflated in one call, larger ones are collected from `stream`.
   */
  read(entry: ZipEntry): Promise<Buffer>
  /**
   * The entry's bytes as a stream with constant memory, checked against its CRC and size:
   * the generator throws ARCHIVE_CORRUPT instead of ending when they do not match, so a
   * consumer never sees a clean end on wrong bytes.
   */
  stream(entry: ZipEntry): AsyncGenerator<Buffer>
  close(): Promise<void>
}

/** Entries up to this size are inflated in one call by `read`; larger ones are streamed. */
export const ZIP_READ_LIMIT = 8 << 20

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50
const STORE = 0
const DEFLATE = 8
const MAX_COMMENT = 0xffff
const MADE_BY_UNIX = 3
const S_IFMT = 0o170000
const S_IFLNK = 0o120000
const STREAM_CHUNK = 1 << 20
const inflate = promisify(inflateRaw)

type Refuse = (what: string, cause?: unknown) => CoreError

/**
 * Opens a zip archive over node:zlib: reads the end record and central directory, and
 * reads stored and deflated entries with CRC and size checks. Zip64 (ARCHIVE_TOO_LARGE),
 * encryption and other compression methods (ARCHIVE_UNSUPPORTED) are refused up front;
 * a damaged archive is ARCHIVE_CORRUPT. `where` names the file in messages (default: `path`).
 * Close the reader (or `await using`) when done.
 */
export async function openZip(path: string, where: string = path): Promise<ZipReader> {
  const corrupt: Refuse = (what, cause) =>
    new CoreError('ARCHIVE_CORRUPT', `${where} is not a readable zip archive: ${what}`, {
      hint: 'rebuild or re-download it; a truncated download or a partial copy leaves a corrupt file',
      ...(cause === undefined ? {} : { cause }),
    })
  const unsupported: Refuse = (what) =>
    new CoreError('ARCHIVE_UNSUPPORTED', `${where}: ${what}`, {
      hint: 'only unencrypted stored or deflated entries are read; re-create the archive with plain deflate',
    })

  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (cause) {
    throw new CoreError('ARCHIVE_CORRUPT', `cannot open ${where}`, {
      cause,
      hint: 'check the path: the archive must exist and be readable',
    })
  }
  try {
    const { size: fileSize } = await handle.stat()
    const byName = await centralDirectory(handle, fileSize, where, corrupt, unsupported)

    const dataStart = async (entry: ZipEntry): Promise<number> => {
      const header = Buffer.alloc(30)
      await handle.read(header, 0, 30, entry.offset)
      if (header.readUInt32LE(0) !== LOCAL) throw corrupt(`local header of ${entry.name} is damaged`)
      const start = entry.offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28)
      if (start + entry.compressedSize > fileSize)
        throw corrupt(`${entry.name} runs past the end of the file`)
      return start
    }
    const check = (entry: ZipEntry, size: number, crc: number): void => {
      if (size !== entry.size || crc >>> 0 !== entry.crc32)
        throw corrupt(`${entry.name} fails its CRC or size check`)
    }

    // positional reads on the shared handle: a read stream over it would close it when destroyed
    async function* compressedChunks(entry: ZipEntry, start: number): AsyncGenerator<Buffer> {
      const end = start + entry.compressedSize
      for (let position = start; position < end; ) {
        const chunk = Buffer.allocUnsafe(Math.min(STREAM_CHUNK, end - position))
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position)
        if (bytesRead === 0) throw corrupt(`${entry.name} runs past the end of the file`)
        position += bytesRead
        yield chunk.subarray(0, bytesRead)
      }
    }

    async function* stream(entry: ZipEntry): AsyncGenerator<Buffer> {
      const raw = compressedChunks(entry, await dataStart(entry))
      const data: AsyncIterable<Buffer> =
        entry.method === DEFLATE ? pipeline(Readable.from(raw), createInflateRaw(), () => {}) : raw
      let crc = 0
      let size = 0
      try {
        for await (const chunk of data) {
          size += chunk.length
          if (size > entry.size) throw corrupt(`${entry.name} inflates past its declared size`)
          crc = crc32(chunk, crc)
          yield chunk
        }
      } catch (cause) {
        if (cause instanceof CoreError) throw cause
        throw corrupt(`cannot inflate ${entry.name}`, cause)
      }
      check(entry, size, crc)
    }

    async function read(entry: ZipEntry): Promise<Buffer> {
      if (entry.size > ZIP_READ_LIMIT || entry.compressedSize > ZIP_READ_LIMIT) {
        const chunks: Buffer[] = []
        for await (const chunk of stream(entry)) chunks.push(chunk)
        return Buffer.concat(chunks)
      }
      const start = await dataStart(entry)
      const raw = Buffer.alloc(entry.compressedSize)
      await handle.read(raw, 0, raw.length, start)
      let data = raw
      if (entry.method === DEFLATE) {
        try {
          data = await inflate(raw, { maxOutputLength: Math.max(entry.size, 1) })
        } catch (cause) {
          throw corrupt(`cannot inflate ${entry.name} to its declared ${entry.size} bytes`, cause)
        }
      }
      check(entry, data.length, crc32(data))
      return data
    }

    const close = () => handle.close()
    return {
      path,
      entries: [...byName.values()],
      find: (name) => byName.get(name),
      read,
      stream,
      close,
      [Symbol.asyncDispose]: close,
    }
  } catch (error) {
    await handle.close()
    throw error
  }
}

/** The central directory's entries by name, in archive order. */
async function centralDirectory(
  handle: FileHandle,
  fileSize: number,
  where: string,
  corrupt: Refuse,
  unsupported: Refuse,
): Promise<Map<string, ZipEntry>> {
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
  if (at < 0) throw corrupt('no end of central directory record')
  if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0)
    throw unsupported('multi-disk archives are not supported')
  const count = tail.readUInt16LE(at + 10)
  const cdSize = tail.readUInt32LE(at + 12)
  const cdOffset = tail.readUInt32LE(at + 16)
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new CoreError('ARCHIVE_TOO_LARGE', `${where} is a zip64 archive, which is not supported`, {
      hint: 'keep archives under 4 GiB and 65535 entries',
    })
  }
  if (cdOffset + cdSize > fileSize) throw corrupt('central directory past the end of the file')
  const cd = Buffer.alloc(cdSize)
  await handle.read(cd, 0, cdSize, cdOffset)

  const entries = new Map<string, ZipEntry>()
  let p = 0
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL)
      throw corrupt(`central directory entry ${i} is damaged`)
    const madeBy = cd.readUInt16LE(p + 4) >> 8
    const flags = cd.readUInt16LE(p + 8)
    const nameLength = cd.readUInt16LE(p + 28)
    if (p + 46 + nameLength > cd.length) throw corrupt(`central directory entry ${i} is damaged`)
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength)
    const method = cd.readUInt16LE(p + 10)
    const external = cd.readUInt32LE(p + 38) >>> 16
    const unix = madeBy === MADE_BY_UNIX && external !== 0
    const offset = cd.readUInt32LE(p + 42)
    if (flags & 1) throw unsupported(`${name} is encrypted`)
    if (entries.has(name)) throw corrupt(`${name} appears twice`)
    if (method !== STORE && method !== DEFLATE) throw unsupported(`${name} uses compression method ${method}`)
    if (offset + 30 > fileSize) throw corrupt(`${name} starts past the end of the file`)
    entries.set(name, {
      name,
      method,
      crc32: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      offset,
      ...(unix ? { mode: external & 0o7777 } : {}),
      symlink: unix && (external & S_IFMT) === S_IFLNK,
    })
    p += 46 + nameLength + cd.readUInt16LE(p + 30) + cd.readUInt16LE(p + 32)
  }
  return entries
}
