import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { OciError } from '../errors.ts'
import { type Descriptor, parseDescriptor } from '../manifest.ts'
import { MEDIA_TYPES, REF_NAME_ANNOTATION } from '../media-types.ts'

export const OCI_LAYOUT_FILE = 'oci-layout'
export const INDEX_FILE = 'index.json'
const LAYOUT_CONTENT = '{"imageLayoutVersion":"1.0.0"}'

/** Writes `file` through a unique temp file and a rename: readers see the old or the new content, never a torn one. */
export async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temp, data)
    await rename(temp, file)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

/** Creates `oci-layout`, `blobs/sha256` and an empty `index.json` where missing. */
export async function initLayout(dir: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true })
  const layout = await readFile(join(dir, OCI_LAYOUT_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (layout === undefined) await writeAtomic(join(dir, OCI_LAYOUT_FILE), LAYOUT_CONTENT)
  else if (!/"imageLayoutVersion"\s*:\s*"1\.0\.0"/.test(layout)) {
    throw new OciError(
      'OCI_LAYOUT_INVALID',
      `${join(dir, OCI_LAYOUT_FILE)}: unsupported layout ${layout.trim()}`,
      {
        hint: 'polyship writes OCI image layout 1.0.0; use an empty directory',
      },
    )
  }
}

/**
 * index.json as read: descriptors for our logic, and the raw entries so that rewriting it
 * keeps fields other tools wrote (platform os.version, data, their annotations).
 */
export interface LayoutIndex {
  readonly manifests: readonly Descriptor[]
  readonly raw: readonly Readonly<Record<string, unknown>>[]
  readonly annotations?: Readonly<Record<string, unknown>>
}

/** Reads index.json; a missing file is an empty index (the layout does not exist yet). */
export async function readIndex(dir: string): Promise<LayoutIndex> {
  const file = join(dir, INDEX_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { manifests: [], raw: [] }
    throw error
  }
  try {
    const doc = JSON.parse(text) as { manifests?: unknown; annotations?: Record<string, unknown> }
    if (!Array.isArray(doc.manifests)) throw new Error('no "manifests" array')
    return {
      manifests: doc.manifests.map((d, i) => parseDescriptor(d, `${file} manifests[${i}]`)),
      raw: doc.manifests as Record<string, unknown>[],
      ...(doc.annotations === undefined ? {} : { annotations: doc.annotations }),
    }
  } catch (error) {
    throw new OciError(
      'OCI_LAYOUT_INVALID',
      `${file} is not a valid OCI index: ${(error as Error).message}`,
      {
        hint: 'restore it from another copy or delete the layout directory and publish again',
        cause: error,
      },
    )
  }
}

export async function writeIndex(dir: string, index: LayoutIndex): Promise<void> {
  const doc = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: index.raw,
    ...(index.annotations === undefined ? {} : { annotations: index.annotations }),
  }
  await writeAtomic(join(dir, INDEX_FILE), `${JSON.stringify(doc)}\n`)
}

export function tagOf(descriptor: Descriptor): string | undefined {
  return descriptor.annotations?.[REF_NAME_ANNOTATION]
}

/** The index with `tag` pointing at `descriptor` (other entries kept, in order). */
export function withTag(index: LayoutIndex, tag: string, descriptor: Descriptor): LayoutIndex {
  const entry: Descriptor = {
    mediaType: descriptor.mediaType,
    digest: descriptor.digest,
    size: descriptor.size,
    annotations: { [REF_NAME_ANNOTATION]: tag },
  }
  const at = index.manifests.findIndex((d) => tagOf(d) === tag)
  const replace = <T>(list: readonly T[], item: T) =>
    at === -1 ? [...list, item] : list.map((old, i) => (i === at ? item : old))
  return {
    ...index,
    manifests: replace(index.manifests, entry),
    raw: replace(index.raw, entry as unknown as Record<string, unknown>),
  }
}
