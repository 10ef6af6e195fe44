import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { type Project, run } from '@polyship/core'
import type { Env, ReleaseContext } from './context.ts'
import { ReleaseError } from './errors.ts'

/** What a project directory holds, as git would commit it, against what the commit holds. */
export interface SourceTree {
  /** Git tree id of the directory's files as they are now (untracked ones included, ignored ones not). */
  readonly tree: string
  /** Whether that is the commit's own tree for the directory: no uncommitted change. */
  readonly clean: boolean
}

/**
 * The exact content builds of `dirs` start from, as git tree ids: two builds with the same
 * id compiled the same files, and a build whose id is not the commit's compiled bytes that
 * no commit holds. Read in a fixed number of git processes however many projects there
 * are: one throwaway copy of the index, one `git add -A` of every directory, one
 * `write-tree`, and one `cat-file --batch-check` that reads each directory's tree id in it
 * and in HEAD. The subtree of the written tree at a directory is exactly what
 * `write-tree --prefix` gives for it alone. The real index and work tree are never touched.
 */
export async function readSourceTrees(
  root: string,
  dirs: readonly string[],
  env: Env,
): Promise<Map<string, SourceTree>> {
  const trees = new Map<string, SourceTree>()
  if (dirs.length === 0) return trees
  const git = (args: readonly string[], extra: { env?: Env; input?: string } = {}) =>
    run('git', args, {
      cwd: root,
      env: { ...env, ...extra.env },
      timeoutMs: 120_000,
      ...(extra.input === undefined ? {} : { input: extra.input }),
    }).then((r) => r.stdout)
  const prefixes = [...new Set(dirs.map((dir) => relative(root, dir).split('\\').join('/')))]
  const temp = await mkdtemp(join(tmpdir(), 'polyship-index-'))
  try {
    const index = join(temp, 'index')
    const real = (await git(['rev-parse', '--path-format=absolute', '--git-path', 'index'])).trim()
    // A copy keeps the stat cache: only changed files are hashed again.
    await copyFile(real, index).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
    const withIndex = { GIT_INDEX_FILE: index }
    await git(['add', '-A', '--', ...prefixes.map((p) => (p === '' ? '.' : p))], { env: withIndex })
    const tree = (await git(['write-tree'], { env: withIndex })).trim()
    const spec = (base: string, prefix: string) => (prefix === '' ? `${base}^{tree}` : `${base}:${prefix}`)
    const lines = prefixes.flatMap((p) => [spec(tree, p), spec('HEAD', p)])
    const answers = (
      await git(['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
        input: `${lines.join('\n')}\n`,
      })
    )
      .trimEnd()
      .split('\n')
    const idOf = (answer: string | undefined) => {
      const [id, type] = (answer ?? '').split(' ')
      return type === 'tree' && id !== undefined ? id : ''
    }
    for (const [i, prefix] of prefixes.entries()) {
      const now = idOf(answers[2 * i])
      trees.set(prefix, { tree: now, clean: now !== '' && now === idOf(answers[2 * i + 1]) })
    }
  } finally {
    await rm(temp, { recursive: true, force: true })
  }
  return new Map(dirs.map((dir) => [dir, trees.get(relative(root, dir).split('\\').join('/'))!]))
}

const memo = new WeakMap<ReleaseContext, Promise<Map<string, SourceTree>>>()

/**
 * The source tree of every project of the run (`context.scope`, else every workspace
 * project), read once per release (before its first build): what each build starts from,
 * whatever the builds before it write. A directory's tree id depends on its files alone, so
 * reading fewer directories changes none of them.
 */
export async function sourceTreeOf(project: Project, context: ReleaseContext): Promise<SourceTree> {
  let trees = memo.get(context)
  if (trees === undefined) {
    trees = readSourceTrees(
      context.workspace.root,
      (context.scope ?? context.workspace.projects).map((p) => resolve(p.root)),
      context.env,
    )
    memo.set(context, trees)
  }
  const tree = (await trees).get(resolve(project.root))
  if (tree === undefined) throw new Error(`${project.name} is not a project of the release's run`)
  return tree
}

/**
 * A release signs provenance naming the commit, so every project it builds must be exactly
 * that commit's: RELEASE_DIRTY_TREE names the projects and files that are not, before any
 * build starts, with the trees read once for all projects.
 */
export async function assertProjectsCommitted(
  projects: readonly Project[],
  context: ReleaseContext,
): Promise<void> {
  const dirty: string[] = []
  for (const project of projects) {
    if ((await sourceTreeOf(project, context)).clean) continue
    const { stdout } = await run('git', ['status', '--porcelain', '--untracked-files=all', '--', '.'], {
      cwd: project.root,
      env: context.env,
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
