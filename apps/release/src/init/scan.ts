import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { git } from './git-facts.ts'

/** Directories never searched for projects: dependencies, build output, test fixtures. */
const SKIPPED_DIRS = new Set([
  'node_modules',
  'dist',
  'target',
  'vendor',
  '__pycache__',
  'testdata',
  '__fixtures__',
])

/** A directory name init never descends into (also every hidden one: .git, .venv, .github...). */
export function isSkippedDir(name: string): boolean {
  return name.startsWith('.') || SKIPPED_DIRS.has(name)
}

function kept(path: string): boolean {
  const parts = path.split('/')
  return parts.slice(0, -1).every((part) => !isSkippedDir(part))
}

/**
 * Every file under `root` that init may look at, as sorted POSIX paths relative to it.
 * In a git work tree this is what git tracks plus untracked files .gitignore does not
 * exclude; elsewhere a walk of the directory. Skipped directories are left out either way.
 */
export async function listFiles(
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string[]> {
  const fromGit = await gitFiles(root, env)
  const files = fromGit ?? (await walk(root, ''))
  return files.filter(kept).sort()
}

async function gitFiles(
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string[] | undefined> {
  if ((await git(root, ['rev-parse', '--is-inside-work-tree'], env))?.trim() !== 'true') return undefined
  const listed = await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], env)
  if (listed === undefined) return undefined
  // --cached still lists files deleted from the work tree.
  return [...new Set(listed.split('\0').filter((path) => path !== ''))].filter((path) =>
    existsSync(join(root, path)),
  )
}

async function walk(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true })
  const files: string[] = []
  for (const entry of entries) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`
    if (entry.isDirectory()) {
      if (!isSkippedDir(entry.name)) files.push(...(await walk(root, path)))
    } else if (entry.isFile()) files.push(path)
  }
  return files
}
