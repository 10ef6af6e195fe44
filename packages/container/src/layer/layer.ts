import { createHash, randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { type ArchiveEntry, type Digest, gzipStream, normalizeEntries, tarStream } from '@polyship/core'
import { type Descriptor, MEDIA_TYPES } from '@polyship/oci'

/** What a layer puts at one path, enough to answer "is the entrypoint there" without reading it back. */
export interface LayerEntry {
  /** Archive form: `usr/local/bin/app`. */
  readonly path: string
  readonly type: 'file' | 'directory' | 'symlink'
  readonly mode: number
  readonly target?: string
  readonly uid?: number
  readonly gid?: number
}

/** A gzip tar layer written to disk, with the digests a manifest and config need. */
export interface Layer {
  readonly descriptor: Descriptor
  /** sha256 of the uncompressed tar: the config's `rootfs.diff_ids` entry. */
  readonly diffId: Digest
  /** The compressed blob on disk. */
  readonly file: string
  readonly entries: readonly LayerEntry[]
  /** The history line of this layer. */
  readonly createdBy: string
}

export interface WriteLayerOptions {
  /** Directory the blob is written to (a build's temp directory). */
  readonly dir: string
  /** mtime of every entry, seconds (SOURCE_DATE_EPOCH). */
  readonly mtime: number
  readonly gzipLevel: number
  readonly createdBy: string
}

/**
 * Writes entries as a reproducible tar.gz layer in one streaming pass: core's `tarStream`
 * (sorted, explicit parents, fixed owner/mtime) is hashed for the diff_id as each chunk
 * passes, then `gzipStream` output is hashed for the digest while it is written. Each
 * chunk is consumed before the next is pulled, so memory stays flat whatever the sizes.
 */
export async function writeLayer(
  entries: readonly ArchiveEntry[],
  options: WriteLayerOptions,
): Promise<Layer> {
  const listing: LayerEntry[] = normalizeEntries(entries).map(({ entry, path, mode }) => ({
    path,
    type: entry.type,
    mode,
    ...(entry.type === 'symlink' ? { target: entry.target } : {}),
    ...(entry.uid === undefined ? {} : { uid: entry.uid }),
    ...(entry.gid === undefined ? {} : { gid: entry.gid }),
  }))
  const diff = createHash('sha256')
  const blob = createHash('sha256')
  let size = 0
  const tar = async function* (): AsyncGenerator<Uint8Array> {
    for await (const chunk of tarStream(entries, { mtime: options.mtime })) {
      diff.update(chunk)
      yield chunk
    }
  }
  const temp = join(options.dir, `layer-${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await open(temp, 'w')
    try {
      for await (const chunk of gzipStream(tar(), { level: options.gzipLevel })) {
        blob.update(chunk)
        size += chunk.length
        await handle.write(chunk)
      }
    } finally {
      await handle.close()
    }
    const hex = blob.digest('hex')
    const file = join(options.dir, `${hex}.tar.gz`)
    await rename(temp, file)
    return {
      descriptor: { mediaType: MEDIA_TYPES.ociLayerGzip, digest: `sha256:${hex}`, size },
      diffId: `sha256:${diff.digest('hex')}`,
      file,
      entries: listing,
      createdBy: options.createdBy,
    }
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

/**
 * Makes the parent directories of `entries` explicit with the mode and owner they have in
 * the layers below (`lower`), so that mapping a file into /tmp does not turn the base's
 * 1777 /tmp into 0755: in a layer, an implicit parent would be written 0755 root and win.
 */
export function withLowerParents(
  entries: readonly ArchiveEntry[],
  lower: ReadonlyMap<string, LayerEntry>,
): ArchiveEntry[] {
  const explicit = new Set(entries.map((e) => e.path.replace(/\/+$/, '')))
  const added: ArchiveEntry[] = []
  for (const entry of entries) {
    const parts = entry.path.split('/')
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/')
      if (explicit.has(parent)) continue
      explicit.add(parent)
      const below = lower.get(parent)
      if (below?.type !== 'directory') continue
      added.push({
        type: 'directory',
        path: parent,
        mode: below.mode,
        ...(below.uid === undefined ? {} : { uid: below.uid }),
        ...(below.gid === undefined ? {} : { gid: below.gid }),
      })
    }
  }
  return [...entries, ...added]
}
