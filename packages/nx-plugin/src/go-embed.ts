import { readdir, readFile } from 'node:fs/promises'
import { join, posix } from 'node:path'

/** Directories the go command never compiles from. */
const SKIPPED = new Set(['vendor', 'testdata', 'node_modules', 'dist', 'target'])

/** `//go:embed a b "c d" all:e` -> the patterns, quotes and `all:` prefixes removed. */
export function embedPatterns(source: string): string[] {
  const patterns: string[] = []
  for (const [, list] of source.matchAll(/^\s*\/\/go:embed\s+(.+)$/gm)) {
    for (const [, quoted, back, bare] of list!.matchAll(/"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\S+)/g)) {
      const pattern = (quoted ?? back ?? bare ?? '').replace(/^all:/, '')
      if (pattern !== '') patterns.push(pattern)
    }
  }
  return patterns
}

/**
 * Nx inputs for the files a Go project embeds (`//go:embed`): each pattern, relative to
 * the package directory that names it, as a file and as a directory (Go embeds a
 * directory's whole tree). Without them a changed embedded file would be served from a
 * stale cache. Test files are skipped: their embeds never reach a binary.
 */
export async function goEmbedInputs(projectDir: string): Promise<string[]> {
  const inputs: string[] = []
  async function walk(rel: string): Promise<void> {
    const entries = await readdir(join(projectDir, rel), { withFileTypes: true })
    for (const entry of entries) {
      const path = rel === '' ? entry.name : posix.join(rel, entry.name)
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name) && !entry.name.startsWith('.') && !entry.name.startsWith('_'))
          await walk(path)
      } else if (entry.name.endsWith('.go') && !entry.name.endsWith('_test.go')) {
        for (const pattern of embedPatterns(await readFile(join(projectDir, path), 'utf8'))) {
          const target = posix.normalize(posix.join(rel, pattern))
          inputs.push(`{projectRoot}/${target}`, `{projectRoot}/${target}/**/*`)
        }
      }
    }
  }
  await walk('')
  return [...new Set(inputs)].sort()
}
