import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { run } from '@polyship/core'
import type { Env } from './context.ts'
import { ReleaseError } from './errors.ts'

/** What a project directory holds, as git would commit it, against what the commit holds. */
export interface SourceTree {
  /** Git tree id of the directory's files as they are now (untracked ones included, ignored ones not). */
  readonly tree: string
  /** Whether that is the commit's own tree for the directory: no uncommitted change. */
  readonly clean: boolean
}

/**
 * The exact content a build of `dir` starts from, as a git tree id computed in a throwaway
 * copy of the index (`git add -A` there, then `write-tree --prefix`): two builds with the
 * same id compiled the same files, and a build whose id is not the commit's compiled bytes
 * that no commit holds. The real index and work tree are never touched.
 */
export async function readSourceTree(root: string, dir: string, env: Env): Promise<SourceTree> {
  const git = (args: readonly string[], extra: Env = {}) =>
    run('git', args, { cwd: root, env: { ...env, ...extra }, timeoutMs: 120_000 }).then((r) =>
      r.stdout.trim(),
    )
  const prefix = relative(root, dir).split('\\').join('/')
  const temp = await mkdtemp(join(tmpdir(), 'polyship-index-'))
  try {
    const index = join(temp, 'index')
    const real = await git(['rev-parse', '--path-format=absolute', '--git-path', 'index'])
    // A copy keeps the stat cache: only changed files are hashed again.
    await copyFile(real, index).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
    const withIndex = { GIT_INDEX_FILE: index }
    await git(['add', '-A', '--', prefix === '' ? '.' : prefix], withIndex)
    const tree = await git(['write-tree', ...(prefix === '' ? [] : [`--prefix=${prefix}/`])], withIndex)
    const committed = await git(['rev-parse', '--verify', '--quiet', `HEAD:${prefix}`]).catch(() => '')
    return { tree, clean: tree === committed }
  } finally {
    await rm(temp, { recursive: true, force: true })
  }
}

/**
 * A release signs provenance naming the commit, so every project it builds must be exactly
 * that commit's: RELEASE_DIRTY_TREE names the projects and files that are not, before any
 * build starts. `--snapshot` and `--dry-run` publish nothing under that claim and skip this.
 */
export async function assertCommitted(
  projects: readonly { readonly name: string; readonly root: string }[],
  root: string,
  env: Env,
): Promise<void> {
  const dirty: string[] = []
  for (const project of projects) {
    if ((await readSourceTree(root, project.root, env)).clean) continue
    const { stdout } = await run('git', ['status', '--porcelain', '--untracked-files=all', '--', '.'], {
      cwd: project.root,
      env,
      timeoutMs: 60_000,
    })
    const files = stdout
      .trimEnd()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3))
    dirty.push(`${project.name} (${files.slice(0, 5).join(', ')}${files.length > 5 ? ', ...' : ''})`)
  }
  if (dirty.length > 0) {
    throw new ReleaseError('RELEASE_DIRTY_TREE', `uncommitted changes in ${dirty.join('; ')}`, {
      hint: 'a release ships and signs exactly what the commit holds: commit or stash the changes, or try them with --snapshot or --dry-run',
    })
  }
}
