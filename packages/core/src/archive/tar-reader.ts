import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { CoreError } from '../errors.ts'

export interface TarListing {
  /** Every regular file and directory name, in archive order. */
  readonly names: readonly string[]
  /** Contents of the files `want` selected. */
  readonly files: ReadonlyMap<string, Buffer>
}

const BLOCK = 512
/** Selected members are held in memory; metadata files are small, anything past this is refused. */
const MAX_SELECTED = 16 << 20

/**
 * Reads a .tar.gz as a stream, keeping only the members `want` picks: ustar, GNU long
 * names and pax path records are understood, which covers sdists from maturin,
 * setuptools and hatch, and npm tarballs from npm and pnpm. A corrupt archive is
 * ARCHIVE_CORRUPT, a selected member past 16 MiB ARCHIVE_TOO_LARGE.
 */
export async function readTarGz(path: string, want: (name: string) => boolean): Promise<TarListing> {
  const bad = (what: string, cause?: unknown): never => {
    throw new CoreError('ARCHIVE_CORRUPT', `${path} is not a readable .tar.gz: ${what}`, {
      hint: 'rebuild it; a truncated file or a partial copy leaves a corrupt archive',
      ...(cause === undefined ? {} : { cause }),
    })
  }
  const reader = byteReader(pipeline(createReadStream(path), createGunzip(), () => {}))
  const names: string[] = []
  const files = new Map<string, Buffer>()
  let longName: string | undefined
  try {
    for (;;) {
      const header = await reader.read(BLOCK)
      if (header === undefined || header.every((b) => b === 0)) break
      if (header.length < BLOCK) bad('truncated header')
      const size = octal(header.subarray(124, 136))
      if (size === undefined) bad('bad size field')
      const type = String.fromCharCode(header[156] || 0x30)
      const padded = Math.ceil(size! / BLOCK) * BLOCK
      const field = (start: number, length: number) =>
        header.toString('utf8', start, start + length).replace(/\0.*$/s, '')
      const prefix = header.toString('latin1', 257, 263) === 'ustar\0' ? field(345, 155) : ''
      const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100))
      longName = undefined
      const selected = (type === '0' || type === '\0' || type === '7') && want(name)
      if (type === 'L' || type === 'x' || selected) {
        if (size! > MAX_SELECTED)
          throw new CoreError('ARCHIVE_TOO_LARGE', `${path}: ${name} is too large to read (${size} bytes)`)
        const data = (await reader.read(padded))?.subarray(0, size!)
        if (data === undefined || data.length < size!) bad(`${name} is truncated`)
        if (type === 'L') longName = data!.toString('utf8').replace(/\0.*$/s, '')
        else if (type === 'x') longName = paxPath(data!) ?? longName
        else files.set(name, data!)
      } else if (!(await reader.skip(padded))) bad(`${name} is truncated`)
      if (type === '0' || type === '\0' || type === '7' || type === '5') names.push(name.replace(/\/$/, ''))
    }
  } catch (cause) {
    if (cause instanceof CoreError) throw cause
    bad((cause as Error).message, cause)
  }
  return { names, files }
}

function octal(field: Buffer): number | undefined {
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim()
  if (text === '') return 0
  return /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : undefined
}

function paxPath(data: Buffer): string | undefined {
  let p = 0
  let path: string | undefined
  while (p < data.length) {
    const space = data.indexOf(0x20, p)
    if (space < 0) break
    const length = Number(data.toString('latin1', p, space))
    if (!Number.isInteger(length) || length <= 0) break
    const record = data.toString('utf8', space + 1, p + length - 1)
    const eq = record.indexOf('=')
    if (record.slice(0, eq) === 'path') path = record.slice(eq + 1)
    p += length
  }
  return path
}

/** Exact-length reads over a chunked stream. */
function byteReader(source: AsyncIterable<Buffer>) {
  const iterator = source[Symbol.asyncIterator]()
  let buffered: Buffer = Buffer.alloc(0)
  let done = false
  async function fill(n: number): Promise<void> {
    const parts = [buffered]
    let have = buffered.length
    while (have < n && !done) {
      const next = await iterator.next()
      if (next.done) done = true
      else {
        parts.push(next.value)
        have += next.value.length
      }
    }
    buffered = parts.length === 1 ? buffered : Buffer.concat(parts)
  }
  return {
    async read(n: number): Promise<Buffer | undefined> {
      await fill(n)
      if (buffered.length === 0) return undefined
      const out = buffered.subarray(0, n)
      buffered = buffered.subarray(out.length)
      return out
    },
    /** Skips n bytes without holding them; false when the stream ends first. */
    async skip(n: number): Promise<boolean> {
      let left = n
      while (left > 0) {
        if (buffered.length === 0) {
          if (done) return false
          const next = await iterator.next()
          if (next.done) {
            done = true
            return false
          }
          buffered = next.value
        }
        const take = Math.min(left, buffered.length)
        buffered = buffered.subarray(take)
        left -= take
      }
      return true
    },
  }
}
