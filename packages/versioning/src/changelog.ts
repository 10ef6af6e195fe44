import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** A heading that starts a version's section: `## 1.2.0`, `## [1.2.0] - 2024-01-01`, `# v1.2`, `### Version 2.0.0`. */
const VERSION_HEADING = /^#{1,6}[ \t]+(?:\[[ \t]*)?(?:v(?:ersion)?[ \t]*)?\d+\.\d+/i
const FENCE = /^[ \t]*(```|~~~)/

/** Index of the first line that is a version heading outside a fenced code block, or -1. */
function firstVersionHeading(lines: readonly string[]): number {
  let fenced = false
  for (const [i, line] of lines.entries()) {
    if (FENCE.test(line)) fenced = !fenced
    else if (!fenced && VERSION_HEADING.test(line)) return i
  }
  return -1
}

/**
 * `existing` with `entry` (a version section, its own heading first) as the newest version:
 * below the title and preamble (intro paragraphs, link lists, a Keep a Changelog
 * `## [Unreleased]` section) and above the first existing version heading, or at the end
 * when there is none. Nothing else in the file changes.
 */
export function placeChangelogEntry(existing: string, entry: string): string {
  const section = `${entry.trim()}\n`
  const lines = existing.split('\n')
  const at = firstVersionHeading(lines)
  if (at < 0) return existing.trim() === '' ? section : `${existing.trimEnd()}\n\n${section}`
  const head = lines.slice(0, at).join('\n').trimEnd()
  const rest = lines.slice(at).join('\n')
  return `${head === '' ? '' : `${head}\n\n`}${section}\n${rest}`
}

/**
 * Runs `apply` (changesets' applyReleasePlan) so that each existing CHANGELOG.md of `dirs` gets
 * its new entry where `placeChangelogEntry` puts it, and is otherwise left byte for byte:
 * changesets inserts after the first line unless it finds a bare `## 1.2.3` heading, and
 * reformats the whole file. Each existing changelog is swapped for a one-line stand-in while
 * `apply` runs, the entry read from what it wrote there, and the original restored with it.
 */
export async function withPlacedChangelogs<T>(dirs: readonly string[], apply: () => Promise<T>): Promise<T> {
  const originals = new Map<string, string>()
  for (const dir of dirs) {
    const file = join(dir, 'CHANGELOG.md')
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    if (text !== undefined && text.trim() !== '') originals.set(file, text)
  }
  const standIn = '# changelog\n'
  let applied = false
  try {
    for (const file of originals.keys()) await writeFile(file, standIn)
    const result = await apply()
    for (const [file, original] of originals) {
      const written = await readFile(file, 'utf8')
      const entry = written.slice(written.indexOf('\n') + 1).trim()
      await writeFile(file, entry === '' ? original : placeChangelogEntry(original, entry))
    }
    applied = true
    return result
  } finally {
    if (!applied) for (const [file, original] of originals) await writeFile(file, original)
  }
}
