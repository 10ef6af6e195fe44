import { createHash } from 'node:crypto'
import { copyFile, link, mkdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type ArchiveEntry,
  type Digest,
  digestFile,
  normalizeEntries,
  tempNameFor,
  writeJsonAtomic,
} from '@polyship/core'
import type { Descriptor } from '@polyship/oci'
import { type Layer, type LayerEntry, type WriteLayerOptions, writeLayer } from '../layer/layer.ts'

/** What a cached layer keeps beside its blob: everything `writeLayer` returns but the file and history line. */
interface CachedLayer {
  readonly schema: typeof CACHE_SCHEMA
  readonly descriptor: Descriptor
  readonly diffId: Digest
  readonly entries: readonly LayerEntry[]
}

const CACHE_SCHEMA = 'polyship-layer-cache/v1'

/**
 * The key of a layer: a digest over everything its bytes are made from (each entry's path,
 * type, mode, owner, link target and content digest, the mtime and the gzip level). Same key,
 * same bytes: `writeLayer` is reproducible.
 */
async function layerKey(entries: readonly ArchiveEntry[], options: WriteLayerOptions): Promise<string> {
  const hash = createHash('sha256')
  hash.update(JSON.stringify({ schema: CACHE_SCHEMA, mtime: options.mtime, gzipLevel: options.gzipLevel }))
  for (const { entry, path, mode } of normalizeEntries(entries)) {
    const content =
      entry.type !== 'file'
        ? undefined
        : entry.source !== undefined
          ? (await digestFile(entry.source)).digest
          : createHash('sha256')
              .update(entry.content ?? '')
              .digest('hex')
    hash.update(
      `\n${JSON.stringify([path, entry.type, mode, entry.uid, entry.gid, entry.type === 'symlink' ? entry.target : undefined, content])}`,
    )
  }
  return hash.digest('hex')
}

/**
 * `writeLayer` through a directory of layers kept between builds (`dist/build/.layers`): a
 * layer whose inputs (`layerKey`) were written before is taken from the cache, its blob
 * checked against its digest, instead of being tarred and compressed again, so re-assembling
 * an image from unchanged binaries costs their hashing only. A missing, partial or altered
 * entry is written again. Blobs are read from the cache in place until the image is published.
 */
export async function cachedWriteLayer(
  entries: readonly ArchiveEntry[],
  options: WriteLayerOptions & { readonly cacheDir: string },
): Promise<Layer> {
  const key = await layerKey(entries, options)
  const record = join(options.cacheDir, `${key}.json`)
  const hit = await readCached(record)
  if (hit !== undefined) {
    const file = join(options.cacheDir, 'blobs', `${hit.descriptor.digest.slice('sha256:'.length)}.tar.gz`)
    const found = await digestFile(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    if (found?.digest === hit.descriptor.digest && found.size === hit.descriptor.size)
      return {
        descriptor: hit.descriptor,
        diffId: hit.diffId,
        file,
        entries: hit.entries,
        createdBy: options.createdBy,
      }
  }
  const layer = await writeLayer(entries, options)
  const blobs = join(options.cacheDir, 'blobs')
  await mkdir(blobs, { recursive: true })
  const blob = join(blobs, `${layer.descriptor.digest.slice('sha256:'.length)}.tar.gz`)
  const partial = tempNameFor(blob)
  try {
    // the same bytes under a second name: nothing writes into a blob once it is written
    await link(layer.file, partial).catch(() => copyFile(layer.file, partial))
    await rename(partial, blob)
  } catch (error) {
    await rm(partial, { force: true })
    throw error
  }
  const cached: CachedLayer = {
    schema: CACHE_SCHEMA,
    descriptor: layer.descriptor,
    diffId: layer.diffId,
    entries: layer.entries,
  }
  await writeJsonAtomic(record, cached)
  return layer
}

/** A cache record, or undefined when there is none or it is not one this version wrote. */
async function readCached(file: string): Promise<CachedLayer | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    const value = JSON.parse(text) as Partial<CachedLayer>
    return value.schema === CACHE_SCHEMA &&
      typeof value.descriptor?.digest === 'string' &&
      typeof value.diffId === 'string' &&
      Array.isArray(value.entries)
      ? (value as CachedLayer)
      : undefined
  } catch (error) {
    if (error instanceof SyntaxError) return undefined
    throw error
  }
}
