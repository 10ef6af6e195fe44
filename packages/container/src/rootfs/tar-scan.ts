import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream'
import { createGunzip, createZstdDecompress } from 'node:zlib'
import type { LayerEntry } from '../layer/layer.ts'

/** A layer as listed: every entry (whiteouts included, by name) and the bytes of the wanted small files. */
export interface ScannedLayer {
  readonly entries: readonly LayerEntry[]
  readonly contents: ReadonlyMap<string, Buffer>
}

const BLOCK = 512
/** Files we keep in memory while scanning (passwd, group) are small; larger ones are only listed. */
const MAX_CAPTURE = 1 << 20

/** The tar bytes of a layer blob, decompressed by its media type (gzip, zstd or plain tar). */
export function layerTar(blob: Readable, mediaType: string): AsyncIterable<Buffer> {
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.zstd'))
    return pipeline(blob, createZstdDecompress(), () => {})
  if (mediaType.endsWith('gzip')) return pipeline(blob, createGunzip(), () => {})
  return blob as AsyncIterable<Buffer>
}

/**
 * Lists a tar stream without extracting it: USTAR, PAX (`path`, `linkpath`, `size`) and
 * GNU long names; hard links, devices and fifos count as files. File data is skipped
 * except for paths `wanted` says to keep (up to 1 MiB each).
 */
export async function scanTar(
  source: AsyncIterable<Buffer>,
  wanted: (path: string) => boolean,
): Promise<ScannedLayer> {
  const reader = new ByteReader(source[Symbol.asyncIterator]())
  const entries: LayerEntry[] = []
  const contents = new Map<string, Buffer>()
  let pax: Record<string, string> = {}
  let longName: string | undefined
  let longLink: string | undefined
  for (;;) {
    const header = await reader.read(BLOCK)
    if (header === undefined || header.every((byte) => byte === 0)) break
    const type = String.fromCharCode(header[156] ?? 0)
    const size = pax.size !== undefined ? Number(pax.size) : numeric(header, 124, 12)
    const padded = Math.ceil(size / BLOCK) * BLOCK
    if (type === 'x' || type === 'L' || type === 'K') {
      const data = (await reader.read(padded))?.subarray(0, size) ?? Buffer.alloc(0)
      if (type === 'x') pax = parsePax(data)
      else if (type === 'L') longName = cString(data, 0, data.length)
      else longLink = cString(data, 0, data.length)
      continue
    }
    if (type === 'g') {
      await reader.skip(padded)
      continue
    }
    const magic = header.toString('latin1', 257, 263)
    const prefix = magic === 'ustar\u0000' ? cString(header, 345, 155) : ''
    const rawName =
      pax.path ??
      longName ??
      (prefix === '' ? cString(header, 0, 100) : `${prefix}/${cString(header, 0, 100)}`)
    const link = pax.linkpath ?? longLink ?? cString(header, 157, 100)
    pax = {}
    longName = undefined
    longLink = undefined
    const path = rawName.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '')
    const keep =
      path !== '' &&
      path !== '.' &&
      wanted(path) &&
      size <= MAX_CAPTURE &&
      (type === '0' || type === '\u0000')
    if (keep) contents.set(path, (await reader.read(padded))?.subarray(0, size) ?? Buffer.alloc(0))
    else await reader.skip(padded)
    if (path === '' || path === '.') continue
    const mode = numeric(header, 100, 8) & 0o7777
    if (type === '5') entries.push({ path, type: 'directory', mode })
    else if (type === '2') entries.push({ path, type: 'symlink', mode, target: link })
    else entries.push({ path, type: 'file', mode })
  }
  // Read to the end (trailing zero blocks): the blob's digest is checked only when its stream ends.
  await reader.skip(Number.POSITIVE_INFINITY)
  return { entries, contents }
}

function cString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset)
  return block.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end)
}

/** Octal, or base-256 when the high bit of the first byte is set (GNU, for large values). */
function numeric(block: Buffer, offset: number, length: number): number {
  if ((block[offset] ?? 0) & 0x80) {
    let value = (block[offset] ?? 0) & 0x7f
    for (let i = 1; i < length; i++) value = value * 256 + (block[offset + i] ?? 0)
    return value
  }
  const text = block
    .toString('latin1', offset, offset + length)
    .replace(/[\0 ]+.*$/s, '')
    .trim()
  return text === '' ? 0 : Number.parseInt(text, 8)
}

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
  readonly #source: AsyncIterator<Buffer>
  #pending: Buffer = Buffer.alloc(0)

  constructor(source: AsyncIterator<Buffer>) {
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

  async skip(count: number): Promise<void> {
    let left = count
    while (left > 0) {
      if (this.#pending.length === 0 && !(await this.#fill())) return
      const take = Math.min(left, this.#pending.length)
      this.#pending = this.#pending.subarray(take)
      left -= take
    }
  }

  async #fill(): Promise<boolean> {
    const next = await this.#source.next()
    if (next.done === true) return false
    this.#pending = next.value
    return true
  }
}
