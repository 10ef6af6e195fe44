import { posix } from 'node:path'
import type { LayerEntry } from '../layer/layer.ts'

/** Reads the bytes of a small file of a layer (passwd, group). */
export type ContentReader = () => Promise<Uint8Array>

const ROOT: LayerEntry = { path: '', type: 'directory', mode: 0o755 }
const MAX_SYMLINKS = 40
const WHITEOUT = '.wh.'
const OPAQUE = '.wh..wh..opq'

/**
 * The file tree a container sees once layers are stacked, as names only: later layers
 * replace earlier entries, `.wh.<name>` deletes, `.wh..wh..opq` empties a directory
 * (the OCI whiteout rules). Used to check that the entrypoint and the user exist
 * before anything is published.
 */
export class Rootfs {
  readonly #nodes = new Map<string, LayerEntry>()
  readonly #contents = new Map<string, ContentReader>()

  /** Stacks one layer on top. `contents` gives readers for the files whose bytes may be asked for. */
  apply(entries: readonly LayerEntry[], contents: ReadonlyMap<string, ContentReader> = new Map()): void {
    for (const entry of entries) {
      const base = posix.basename(entry.path)
      if (!base.startsWith(WHITEOUT)) continue
      const dir = posix.dirname(entry.path) === '.' ? '' : posix.dirname(entry.path)
      if (base === OPAQUE) this.#deleteBelow(dir)
      else
        this.#deleteTree(dir === '' ? base.slice(WHITEOUT.length) : `${dir}/${base.slice(WHITEOUT.length)}`)
    }
    for (const entry of entries) {
      if (posix.basename(entry.path).startsWith(WHITEOUT)) continue
      const existing = this.#nodes.get(entry.path)
      if (existing?.type === 'directory' && entry.type !== 'directory') this.#deleteBelow(entry.path)
      for (let parent = posix.dirname(entry.path); parent !== '.'; parent = posix.dirname(parent)) {
        if (this.#nodes.has(parent)) break
        this.#nodes.set(parent, { path: parent, type: 'directory', mode: 0o755 })
      }
      this.#nodes.set(entry.path, entry)
      const read = contents.get(entry.path)
      if (read === undefined) this.#contents.delete(entry.path)
      else this.#contents.set(entry.path, read)
    }
  }

  /**
   * Follows symlinks (absolute ones from the image root, never out of it) to what `path`
   * names; undefined when it does not exist. `path` is absolute in the image.
   */
  resolve(path: string): { readonly path: string; readonly entry: LayerEntry } | undefined {
    let parts = split(path)
    let current = ''
    let hops = 0
    for (let i = 0; i < parts.length; ) {
      const part = parts[i]!
      if (part === '..') {
        current = current.includes('/') ? current.slice(0, current.lastIndexOf('/')) : ''
        i++
        continue
      }
      const next = current === '' ? part : `${current}/${part}`
      const node = this.#nodes.get(next)
      if (node === undefined) return undefined
      if (node.type === 'symlink') {
        if (++hops > MAX_SYMLINKS) return undefined
        const target = node.target ?? ''
        parts = [...split(target), ...parts.slice(i + 1)]
        if (target.startsWith('/')) current = ''
        i = 0
        continue
      }
      if (node.type !== 'directory' && i < parts.length - 1) return undefined
      current = next
      i++
    }
    return { path: current, entry: current === '' ? ROOT : this.#nodes.get(current)! }
  }

  /** The bytes of a file (after following symlinks), when a layer gave a reader for it. */
  async read(path: string): Promise<Uint8Array | undefined> {
    const found = this.resolve(path)
    if (found === undefined || found.entry.type !== 'file') return undefined
    return this.#contents.get(found.path)?.()
  }

  #deleteTree(path: string): void {
    this.#nodes.delete(path)
    this.#contents.delete(path)
    this.#deleteBelow(path)
  }

  #deleteBelow(dir: string): void {
    const prefix = dir === '' ? '' : `${dir}/`
    for (const key of [...this.#nodes.keys()]) {
      if (key.startsWith(prefix) && key !== dir) {
        this.#nodes.delete(key)
        this.#contents.delete(key)
      }
    }
  }
}

function split(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.')
}
