import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { CoreError } from '../errors.ts'

/**
 * One member of a tar archive as its headers describe it, after the extension headers that
 * precede it are applied: PAX `path`, `linkpath`, `size` and `mtime` records, GNU long
 * names and long link names (`L`/`K`), the USTAR prefix field (only under the POSIX
 * `ustar\0` magic: old GNU archives keep other data there), and base-256 numbers.
 */
export interface TarMember {
  /** As written in the archive (no `./` or trailing `/` removed): callers normalise. */
  readonly path: string
  /** The raw typeflag: `0`/`\0`/`7` file, `1` hard link, `2` symlink, `5` directory... */
  readonly typeflag: string
  readonly type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other'
  /** Permission bits (07777). */
  readonly mode: number
  readonly size: number
  /** Seconds since the epoch. */
  readonly mtime: number
  /** Symlink or hard link target; '' for other types. */
  readonly linkTarget: string
}

export interface TarScan {
  /** Every member (extension headers and global PAX headers excluded), in archive order. */
  readonly members: readonly TarMember[]
  /** The bytes of the regular files `keep` picked, by member path (the last one wins). */
  readonly contents: ReadonlyMap<string, Buffer>
}

export interface TarScanOptions {
  /** Regular files whose bytes are kept in memory; every other member is only listed. */
  readonly keep?: (member: TarMember) => boolean
  /** The most bytes one kept member may have (default 16 MiB). */
  readonly maxKept?: number
  /** A kept member past `maxKept`: ARCHIVE_TOO_LARGE (`error`, the default) or listed only (`list`). */
  readonly oversized?: 'error' | 'list'
  /** Names the archive in errors. */
  readonly where: string
}

const BLOCK = 512
const MAX_KEPT = 16 << 20
/** Extension headers are small; a larger one is a corrupt or hostile archive. */
const MAX_EXTENSION = 1 << 20

/**
 * The one tar reader: lists a tar stream without extracting it, keeping the bytes of the
 * regular files `keep` picks. Used for sdists and wheels' metadata, npm tarballs, chart
 * packages and image layers. A truncated or malformed archive is ARCHIVE_CORRUPT naming
 * `where`; reading goes on to the end of the stream (trailing blocks included), so a
 * digest computed over the stream sees every byte.
 */
export async function scanTar(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  options: TarScanOptions,
): Promise<TarScan> {
  const corrupt = (what: string): never => {
    throw new CoreError('ARCHIVE_CORRUPT', `${options.where} is not a readable tar archive: ${what}`, {
      hint: 'rebuild it; a truncated file or a partial copy leaves a corrupt archive',
    })
  }
  const reader = new ByteReader(
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator](),
  )
  const members: TarMember[] = []
  const contents = new Map<string, Buffer>()
  const maxKept = options.maxKept ?? MAX_KEPT
  let pax: Record<string, string> = {}
  let longName: string | undefined
  let longLink: string | undefined
  for (;;) {
    const header = await reader.read(BLOCK)
    if (header === undefined || header.every((byte) => byte === 0)) break
    if (header.length < BLOCK) corrupt('truncated header')
    const typeflag = String.fromCharCode(header[156] ?? 0)
    const headerSize = numeric(header, 124, 12)
    if (headerSize === undefined) corrupt('bad size field')
    const size = pax.size === undefined ? headerSize! : Number(pax.size)
    if (!Number.isSafeInteger(size) || size < 0) corrupt(`bad PAX size ${pax.size}`)
    const padded = Math.ceil(size / BLOCK) * BLOCK
    if (typeflag === 'x' || typeflag === 'L' || typeflag === 'K' || typeflag === 'g') {
      if (size > MAX_EXTENSION) corrupt(`a ${size}-byte extension header`)
      const data = await reader.read(padded)
      if (data === undefined || data.length < size) corrupt('truncated extension header')
      const body = data!.subarray(0, size)
      if (typeflag === 'x') pax = parsePax(body)
      else if (typeflag === 'L') longName = cString(body, 0, body.length)
      else if (typeflag === 'K') longLink = cString(body, 0, body.length)
      continue
    }
    const prefix = header.toString('latin1', 257, 263) === 'ustar\0' ? cString(header, 345, 155) : ''
    const name = cString(header, 0, 100)
    const path = pax.path ?? longName ?? (prefix === '' ? name : `${prefix}/${name}`)
    const mtime = pax.mtime === undefined ? (numeric(header, 136, 12) ?? 0) : Math.floor(Number(pax.mtime))
    const member: TarMember = {
      path,
      typeflag,
      type: TYPES[typeflag] ?? 'other',
      mode: (numeric(header, 100, 8) ?? 0) & 0o7777,
      size,
      mtime: Number.isFinite(mtime) ? mtime : 0,
      linkTarget:
        typeflag === '1' || typeflag === '2' ? (pax.linkpath ?? longLink ?? cString(header, 157, 100)) : '',
    }
    pax = {}
    longName = undefined
    longLink = undefined
    members.push(member)
    const wanted = member.type === 'file' && options.keep?.(member) === true
    if (wanted && size > maxKept && options.oversized !== 'list') {
      throw new CoreError(
        'ARCHIVE_TOO_LARGE',
        `${options.where}: ${path} is too large to read (${size} bytes)`,
        {
          hint: `a member polyship reads may have at most ${maxKept} bytes`,
        },
      )
    }
    if (wanted && size <= maxKept) {
      const data = await reader.read(padded)
      if (data === undefined || data.length < size) corrupt(`${path} is truncated`)
      contents.set(path, Buffer.from(data!.subarray(0, size)))
    } else if (!(await reader.skip(padded)) && size > 0) corrupt(`${path} is truncated`)
  }
  await reader.skip(Number.POSITIVE_INFINITY)
  return { members, contents }
}

export interface TarListing {
  /** Every regular file and directory name, in archive order (no trailing `/`). */
  readonly names: readonly string[]
  /** Contents of the files `want` selected. */
  readonly files: ReadonlyMap<string, Buffer>
}

/**
 * Reads a .tar.gz file, keeping the regular files `want` picks (sdists, npm tarballs). A
 * corrupt archive is ARCHIVE_CORRUPT, a selected member past 16 MiB ARCHIVE_TOO_LARGE.
 */
export async function readTarGz(path: string, want: (name: string) => boolean): Promise<TarListing> {
  let scan: TarScan
  try {
    scan = await scanTar(
      pipeline(createReadStream(path), createGunzip(), () => {}),
      { keep: (member) => want(member.path), where: path },
    )
  } catch (cause) {
    if (cause instanceof CoreError) throw cause
    throw new CoreError('ARCHIVE_CORRUPT', `${path} is not a readable .tar.gz: ${(cause as Error).message}`, {
      hint: 'rebuild it; a truncated file or a partial copy leaves a corrupt archive',
      cause,
    })
  }
  const names = scan.members
    .filter((m) => m.type === 'file' || m.type === 'directory')
    .map((m) => m.path.replace(/\/$/, ''))
  return { names, files: scan.contents }
}

const TYPES: Readonly<Record<string, TarMember['type']>> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '5': 'directory',
}

function cString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset)
  return block.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end)
}

/** Octal, or base-256 when the high bit of the first byte is set (GNU, for large values). */
function numeric(block: Buffer, offset: number, length: number): number | undefined {
  if ((block[offset] ?? 0) & 0x80) {
    let value = (block[offset] ?? 0) & 0x7f
    for (let i = 1; i < length; i++) value = value * 256 + (block[offset + i] ?? 0)
    return value
  }
  const text = block
    .toString('latin1', offset, offset + length)
    .replace(/\0.*$/s, '')
    .trim()
  if (text === '') return 0
  return /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : undefined
}

/** `"<length> <key>=<value>\n"` records. */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {}
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    if (space === -1) break
    const length = Number(data.toString('latin1', at, space))
    if (!Number.isSafeInteger(length) || length <= 0) break
    const record = data.toString('utf8', space + 1, at + length - 1)
    const equals = record.indexOf('=')
    if (equals > 0) out[record.slice(0, equals)] = record.slice(equals + 1)
    at += length
  }
  return out
}

/** Pulls exact byte counts out of a chunked stream. */
class ByteReader {
  readonly #source: AsyncIterator<Buffer> | Iterator<Buffer>
  #pending: Buffer = Buffer.alloc(0)

  constructor(source: AsyncIterator<Buffer> | Iterator<Buffer>) {
    this.#source = source
  }

  /** `count` bytes, fewer at the end of the stream, undefined when nothing is left. */
  async read(count: number): Promise<Buffer | undefined> {
    const parts: Buffer[] = []
    let have = 0
    while (have < count) {
      if (this.#pending.length === 0 && !(await this.#fill())) break
      const take = Math.min(count - have, this.#pending.length)
      parts.push(this.#pending.subarray(0, take))
      this.#pending = this.#pending.subarray(take)
      have += take
    }
    return have === 0 && count > 0 ? undefined : Buffer.concat(parts, have)
  }

  /** Skips `count` bytes without holding them; false when the stream ends first. */
  async skip(count: number): Promise<boolean> {
    let left = count
    while (left > 0) {
      if (this.#pending.length === 0 && !(await this.#fill())) return false
      const take = Math.min(left, this.#pending.length)
      this.#pending = this.#pending.subarray(take)
      left -= take
    }
    return true
  }

  async #fill(): Promise<boolean> {
    const next = await this.#source.next()
    if (next.done === true) return false
    this.#pending = next.value
    return true
  }
}
