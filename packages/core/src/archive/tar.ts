import { open, stat } from 'node:fs/promises'
import { CoreError } from '../errors.ts'
import { type ArchiveEntry, type NormalizedEntry, normalizeEntries } from './entry.ts'

const BLOCK = 512
const ZERO_BLOCK = new Uint8Array(BLOCK)
const USTAR_MAX_SIZE = 0o77777777777

export interface TarOptions {
  /** mtime of every entry, in seconds (use `sourceDateEpoch()`). */
  readonly mtime: number
}

/**
 * Reads a file in chunks into one reused buffer. Each yielded chunk is valid only until
 * the next one is pulled: that is what keeps memory flat for any file size.
 */
export async function* readChunks(path: string, chunkSize = 1 << 20): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.allocUnsafe(chunkSize)
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkSize, null)
      if (bytesRead === 0) return
      yield buffer.subarray(0, bytesRead)
    }
  } finally {
    await handle.close()
  }
}

/**
 * Streams a reproducible tar: entries sorted with explicit parent directories, uid/gid 0
 * unless an entry sets an owner, empty uname/gname, fixed modes, one mtime, USTAR headers with a PAX header only where
 * USTAR cannot hold a path, link target or size. File contents are streamed from disk,
 * so memory stays constant whatever the sizes.
 *
 * Chunk contract: a yielded chunk may be overwritten once the next one is pulled; consume
 * it (hash, write, compress) or copy it first.
 */
export async function* tarStream(
  entries: Iterable<ArchiveEntry>,
  options: TarOptions,
): AsyncGenerator<Uint8Array> {
  for (const item of normalizeEntries(entries)) {
    const { entry } = item
    const size = entry.type === 'file' ? await contentSize(entry) : 0
    yield* header(item, size, options.mtime)
    if (entry.type !== 'file') continue
    if (entry.source !== undefined) {
      let written = 0
      for await (const chunk of readChunks(entry.source)) {
        written += chunk.length
        yield chunk
      }
      if (written !== size) {
        throw new CoreError(
          'ARCHIVE_INVALID_ENTRY',
          `${entry.source} changed size while it was archived (${size} -> ${written} bytes)`,
        )
      }
    } else {
      yield toBytes(entry.content ?? '')
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK
    if (pad > 0) yield ZERO_BLOCK.subarray(0, pad)
  }
  yield ZERO_BLOCK
  yield ZERO_BLOCK
}

function toBytes(content: Uint8Array | string): Uint8Array {
  return typeof content === 'string' ? Buffer.from(content) : content
}

async function contentSize(entry: Extract<ArchiveEntry, { type: 'file' }>): Promise<number> {
  if (entry.source !== undefined) return (await stat(entry.source)).size
  return toBytes(entry.content ?? '').length
}

function* header(item: NormalizedEntry, size: number, mtime: number): Generator<Uint8Array> {
  const { entry } = item
  const name = entry.type === 'directory' ? `${item.path}/` : item.path
  const linkName = entry.type === 'symlink' ? entry.target : ''
  const split = splitUstarName(name)
  const pax: [string, string][] = []
  if (split === undefined) pax.push(['path', name])
  if (Buffer.byteLength(linkName) > 100) pax.push(['linkpath', linkName])
  if (size > USTAR_MAX_SIZE) pax.push(['size', String(size)])
  if (pax.length > 0) {
    const records = Buffer.from(pax.map(([key, value]) => paxRecord(key, value)).join(''))
    yield ustarHeader({
      name: paxName(name),
      mode: 0o644,
      size: records.length,
      mtime,
      type: 'x',
      linkName: '',
    })
    yield records
    const pad = (BLOCK - (records.length % BLOCK)) % BLOCK
    if (pad > 0) yield ZERO_BLOCK.subarray(0, pad)
  }
  const [prefix, base] = split ?? ['', truncateBytes(name, 100)]
  const type = entry.type === 'file' ? '0' : entry.type === 'directory' ? '5' : '2'
  yield ustarHeader({
    name: base,
    prefix,
    uid: entry.uid ?? 0,
    gid: entry.gid ?? 0,
    mode: item.mode,
    size: size > USTAR_MAX_SIZE ? 0 : size,
    mtime,
    type,
    linkName: truncateBytes(linkName, 100),
  })
}

/** USTAR splits long names into prefix (155 bytes) + name (100 bytes) at a slash. */
function splitUstarName(name: string): [string, string] | undefined {
  if (Buffer.byteLength(name) <= 100) return ['', name]
  const trimmed = name.endsWith('/') ? name.slice(0, -1) : name
  for (let i = trimmed.indexOf('/'); i !== -1; i = trimmed.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i)
    const rest = name.slice(i + 1)
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '')
      return [prefix, rest]
  }
  return undefined
}

function truncateBytes(text: string, max: number): string {
  const bytes = Buffer.from(text)
  return bytes.length <= max ? text : bytes.subarray(0, max).toString('latin1')
}

/** Name of the PAX extended header entry (what GNU tar and Go write, made deterministic). */
function paxName(name: string): string {
  const base = name.replace(/\/$/, '').split('/').pop() ?? 'entry'
  return truncateBytes(`PaxHeaders/${base}`, 100)
}

/** `"<length> <key>=<value>\n"`, where length counts the whole record including itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`
  const bodyLength = Buffer.byteLength(body)
  let length = bodyLength + String(bodyLength).length
  if (String(length).length + bodyLength !== length) length += 1
  return `${length}${body}`
}

interface HeaderFields {
  readonly name: string
  readonly prefix?: string
  readonly uid?: number
  readonly gid?: number
  readonly mode: number
  readonly size: number
  readonly mtime: number
  readonly type: string
  readonly linkName: string
}

function ustarHeader(fields: HeaderFields): Uint8Array {
  const block = Buffer.alloc(BLOCK)
  block.write(fields.name, 0, 100, 'utf8')
  writeOctal(block, fields.mode, 100, 8)
  writeOctal(block, fields.uid ?? 0, 108, 8)
  writeOctal(block, fields.gid ?? 0, 116, 8)
  writeOctal(block, fields.size, 124, 12)
  writeOctal(block, fields.mtime, 136, 12)
  block.write('        ', 148, 8, 'latin1') // checksum placeholder
  block.write(fields.type, 156, 1, 'latin1')
  block.write(fields.linkName, 157, 100, 'utf8')
  block.write('ustar\u000000', 257, 8, 'latin1')
  // uname (265) and gname (297) stay empty
  writeOctal(block, 0, 329, 8) // devmajor
  writeOctal(block, 0, 337, 8) // devminor
  block.write(fields.prefix ?? '', 345, 155, 'utf8')
  let sum = 0
  for (const byte of block) sum += byte
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1')
  return block
}

function writeOctal(block: Buffer, value: number, offset: number, width: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\u0000`, offset, width, 'latin1')
}
