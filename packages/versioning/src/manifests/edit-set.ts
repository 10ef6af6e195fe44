import { readFile } from 'node:fs/promises'
import { relative } from 'node:path'
import { editToml } from '../edit/toml-edit.ts'
import type { ValuePath } from '../edit/toml-scan.ts'
import { editYaml } from '../edit/yaml-edit.ts'
import { VersioningError } from '../errors.ts'

/** How a manifest is edited: a TOML or YAML value, or the one version a plain-text file holds. */
export type ManifestFormat = 'toml' | 'yaml' | 'text'

/** One file's new content, computed before anything is written. */
export interface ManifestChange {
  /** Absolute path. */
  readonly file: string
  readonly before: string
  readonly after: string
}

interface PendingEdit {
  readonly path: ValuePath
  readonly value: string
  readonly project: string
}

/** Renders the one version value of a plain-text file (`VERSION`, a Go constant). */
export type TextVersionEditor = (text: string, file: string, value: string) => string

/**
 * The manifest edits of one `polyship version` run, gathered from every project before
 * any file is written: a field two projects want at different values is a conflict, and
 * a bad manifest anywhere stops the run with nothing changed.
 */
export class ManifestEdits {
  readonly root: string
  readonly #texts = new Map<string, string | undefined>()
  readonly #files = new Map<
    string,
    { format: ManifestFormat; edits: PendingEdit[]; text?: TextVersionEditor }
  >()

  constructor(root: string) {
    this.root = root
  }

  /** A file's text (cached), or undefined when it does not exist. */
  async read(file: string): Promise<string | undefined> {
    if (!this.#texts.has(file)) {
      try {
        this.#texts.set(file, await readFile(file, 'utf8'))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        this.#texts.set(file, undefined)
      }
    }
    return this.#texts.get(file)
  }

  /** Workspace-relative path for messages. */
  show(file: string): string {
    return relative(this.root, file).split('\\').join('/')
  }

  set(file: string, format: 'toml' | 'yaml', path: ValuePath, value: string, project: string): void {
    this.#add(file, format, { path, value, project })
  }

  setText(file: string, editor: TextVersionEditor, value: string, project: string): void {
    this.#add(file, 'text', { path: [], value, project }, editor)
  }

  #add(file: string, format: ManifestFormat, edit: PendingEdit, text?: TextVersionEditor): void {
    const entry = this.#files.get(file) ?? { format, edits: [], ...(text === undefined ? {} : { text }) }
    this.#files.set(file, entry)
    const same = entry.edits.find((e) => e.path.join('\0') === edit.path.join('\0'))
    if (same === undefined) entry.edits.push(edit)
    else if (same.value !== edit.value) {
      const field = edit.path.length === 0 ? 'its version' : edit.path.join('.')
      throw new VersioningError(
        'VERSION_CONFLICT',
        `${this.show(file)}: ${same.project} needs ${field} = ${same.value} but ${edit.project} needs ${edit.value}`,
        {
          hint: 'projects sharing one manifest field release together: put them in a changesets "fixed" group',
        },
      )
    }
  }

  /** The new text of every edited file whose content actually changes. */
  async changes(): Promise<ManifestChange[]> {
    const out: ManifestChange[] = []
    for (const [file, entry] of [...this.#files].sort(([a], [b]) => a.localeCompare(b))) {
      const before = await this.read(file)
      if (before === undefined) throw new Error(`${file} vanished while versioning`)
      const shown = this.show(file)
      const edits = entry.edits.map(({ path, value }) => ({ path, value }))
      const after =
        entry.format === 'toml'
          ? editToml(before, shown, edits)
          : entry.format === 'yaml'
            ? editYaml(before, shown, edits)
            : entry.text!(before, shown, edits[0]!.value)
      if (after !== before) out.push({ file, before, after })
    }
    return out
  }
}
