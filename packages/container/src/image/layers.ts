import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type ArchiveEntry, formatPlatform, type Platform } from '@polyship/core'
import type { PythonSettings } from '../base/python.ts'
import { staticBaseEntries } from '../base/static-base.ts'
import { checkDuplicates } from '../layer/duplicates.ts'
import { type Layer, type LayerEntry, withLowerParents, writeLayer } from '../layer/layer.ts'
import type { SourcedEntries } from '../layer/project-files.ts'
import type { TreeLayer } from '../rootfs/checks.ts'
import type { ContentReader } from '../rootfs/rootfs.ts'
import { installWheel } from '../wheel/install.ts'
import type { WheelName } from '../wheel/wheel-tags.ts'
import { cachedWriteLayer } from './layer-cache.ts'

/** A layer with the view the image checks need of it. */
export interface BuiltLayer {
  readonly layer: Layer
  readonly tree: TreeLayer
}

/** Files whose bytes the checks may read from our layers. */
const READABLE = new Set(['etc/passwd', 'etc/group'])

/**
 * Writes polyship's layers of an image, each once however many platforms share it (the
 * static base, project files, a pure-Python wheel), into the build's temp directory.
 */
export class LayerBuilder {
  readonly #dir: string
  readonly #mtime: number
  readonly #gzipLevel: number
  readonly #cacheDir: string | undefined
  readonly #layers = new Map<string, Promise<BuiltLayer>>()
  readonly #wheels = new Map<string, Promise<SourcedEntries>>()

  constructor(options: {
    readonly dir: string
    readonly mtime: number
    readonly gzipLevel: number
    /** Layers kept between builds, by their inputs' digests (`cachedWriteLayer`); none when absent. */
    readonly cacheDir?: string
  }) {
    this.#dir = options.dir
    this.#mtime = options.mtime
    this.#gzipLevel = options.gzipLevel
    this.#cacheDir = options.cacheDir
  }

  /** The layer of `entries` under `key`, written on first use. */
  layer(key: string, entries: () => readonly ArchiveEntry[], createdBy: string): Promise<BuiltLayer> {
    let built = this.#layers.get(key)
    if (built === undefined) {
      built = (async () => {
        const list = entries()
        const options = { dir: this.#dir, mtime: this.#mtime, gzipLevel: this.#gzipLevel, createdBy }
        const layer =
          this.#cacheDir === undefined
            ? await writeLayer(list, options)
            : await cachedWriteLayer(list, { ...options, cacheDir: this.#cacheDir })
        return { layer, tree: { entries: layer.entries, contents: readers(list) } }
      })()
      this.#layers.set(key, built)
    }
    return built
  }

  /** A wheel unpacked once into the temp directory, as entries of its layer. */
  wheel(path: string, name: WheelName, python: PythonSettings): Promise<SourcedEntries> {
    let installed = this.#wheels.get(path)
    if (installed === undefined) {
      installed = (async () => {
        const entries = await installWheel(path, name, python, join(this.#dir, `wheel-${this.#wheels.size}`))
        return { entries, origins: new Map(entries.map((e) => [e.path, `wheel ${name.filename}`])) }
      })()
      this.#wheels.set(path, installed)
    }
    return installed
  }
}

/**
 * polyship's layers of one platform, bottom to top: the static base (when chosen), project
 * files, wheels, binaries. Duplicates across them are refused first; parents keep the mode
 * and owner the layers below give them.
 */
export async function platformLayers(
  builder: LayerBuilder,
  options: {
    readonly platform: Platform
    readonly staticBase: boolean
    readonly files: SourcedEntries | undefined
    readonly wheels: readonly { readonly path: string; readonly name: WheelName }[]
    /** The wheels' Python dependencies for this platform, in a layer below the wheels' own. */
    readonly dependencies?: SourcedEntries | undefined
    readonly binaries: SourcedEntries
    readonly python: PythonSettings
  },
): Promise<BuiltLayer[]> {
  const shown = formatPlatform(options.platform)
  const wheels = await Promise.all(options.wheels.map((w) => builder.wheel(w.path, w.name, options.python)))
  checkDuplicates(
    [
      ...(options.files === undefined ? [] : [options.files]),
      ...(options.dependencies === undefined ? [] : [options.dependencies]),
      ...wheels,
      options.binaries,
    ],
    shown,
  )

  const out: BuiltLayer[] = []
  const lower = new Map<string, LayerEntry>()
  const stack = async (key: string, entries: readonly ArchiveEntry[], createdBy: string) => {
    const built = await builder.layer(key, () => withLowerParents(entries, lower), createdBy)
    out.push(built)
    for (const entry of built.layer.entries) lower.set(entry.path, entry)
  }
  if (options.staticBase) {
    await stack(
      'static',
      staticBaseEntries(),
      'polyship: static base (passwd, group, nsswitch.conf, CA certificates, /tmp)',
    )
  }
  if (options.files !== undefined && options.files.entries.length > 0) {
    await stack('files', options.files.entries, 'polyship: files from polyship.image.files')
  }
  if (options.dependencies !== undefined) {
    await stack(
      `dependencies:${shown}`,
      options.dependencies.entries,
      `polyship: Python dependencies (${shown}) into ${options.python.sitePackages}`,
    )
  }
  for (const [i, wheel] of options.wheels.entries()) {
    await stack(
      `wheel:${wheel.path}`,
      wheels[i]!.entries,
      `polyship: wheel ${wheel.name.filename} into ${options.python.sitePackages}`,
    )
  }
  if (options.binaries.entries.length > 0) {
    const names = options.binaries.entries.map((e) => `/${e.path}`).join(', ')
    await stack(`binaries:${shown}`, options.binaries.entries, `polyship: ${names} (${shown})`)
  }
  return out
}

function readers(entries: readonly ArchiveEntry[]): Map<string, ContentReader> {
  const out = new Map<string, ContentReader>()
  for (const entry of entries) {
    if (entry.type !== 'file' || !READABLE.has(entry.path)) continue
    const { source, content } = entry
    out.set(
      entry.path,
      source !== undefined
        ? () => readFile(source)
        : async () => (typeof content === 'string' ? Buffer.from(content) : (content ?? new Uint8Array())),
    )
  }
  return out
}
