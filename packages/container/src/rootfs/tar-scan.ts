import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream'
import { createGunzip, createZstdDecompress } from 'node:zlib'
import { scanTar as scanTarStream } from '@polyship/core'
import type { LayerEntry } from '../layer/layer.ts'

/** A layer as listed: every entry (whiteouts included, by name) and the bytes of the wanted small files. */
export interface ScannedLayer {
  readonly entries: readonly LayerEntry[]
  readonly contents: ReadonlyMap<string, Buffer>
}

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
 * Lists a layer's tar stream without extracting it (core's one tar reader: USTAR, PAX
 * `path`/`linkpath`/`size`, GNU long names); hard links, devices and fifos count as files.
 * File data is skipped except for paths `wanted` says to keep (up to 1 MiB each).
 */
export async function scanTar(
  source: AsyncIterable<Buffer>,
  wanted: (path: string) => boolean,
): Promise<ScannedLayer> {
  const clean = (path: string) => path.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '')
  const scan = await scanTarStream(source, {
    keep: (member) => {
      const path = clean(member.path)
      return path !== '' && path !== '.' && wanted(path)
    },
    maxKept: MAX_CAPTURE,
    oversized: 'list',
    where: 'image layer',
  })
  const entries: LayerEntry[] = []
  for (const member of scan.members) {
    const path = clean(member.path)
    if (path === '' || path === '.') continue
    if (member.type === 'directory') entries.push({ path, type: 'directory', mode: member.mode })
    else if (member.type === 'symlink')
      entries.push({ path, type: 'symlink', mode: member.mode, target: member.linkTarget })
    else entries.push({ path, type: 'file', mode: member.mode })
  }
  const contents = new Map([...scan.contents].map(([path, bytes]) => [clean(path), bytes] as const))
  return { entries, contents }
}
