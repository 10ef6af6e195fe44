import { isAbsolute, relative } from 'node:path'
import { CoreError, run } from '@polyship/core'
import type { Env } from './context.ts'
import { lastChange } from './inputs.ts'

/** The commits one batch walk reads before the projects it has not placed are asked one by one. */
const WALK_LIMIT = 2000

export type Change = { readonly commit: string; readonly epoch: number }

/** `paths` relative to `root` as git pathspecs ('.' for root itself); paths outside it dropped. */
function pathspecs(root: string, paths: readonly string[]): string[] {
  return paths
    .map((path) => relative(root, path).split('\\').join('/'))
    .filter((path) => !path.startsWith('..') && !isAbsolute(path))
    .map((path) => (path === '' ? '.' : path))
}

const touches = (spec: string, file: string) => spec === '.' || file === spec || file.startsWith(`${spec}/`)

/**
 * For each key, the last commit that changed any of its paths, exactly as `lastChange`
 * (`git log -1 -- <paths>`) answers it for each alone, from one `git log` walk over the
 * union of all paths. Up to the first merge the walk shows, history is one chain, the same
 * chain every single-key walk follows (a merge TREESAME to a parent for the union is so for
 * every part of it, and both walks follow its first such parent), so the first commit of it
 * naming a key's file is that key's answer. Keys not placed before a merge (where each
 * key's own history simplification may differ from the union's) or within WALK_LIMIT
 * commits are asked one by one. A key no commit touches gets undefined, as does every key
 * outside a git repository.
 */
export async function lastChanges(
  root: string,
  pathsByKey: ReadonlyMap<string, readonly string[]>,
  env: Env,
): Promise<Map<string, Change | undefined>> {
  const specs = new Map([...pathsByKey].map(([key, paths]) => [key, pathspecs(root, paths)]))
  const changes = new Map<string, Change | undefined>()
  const open = new Set<string>()
  for (const [key, spec] of specs) {
    if (spec.length === 0) changes.set(key, undefined)
    else open.add(key)
  }
  const union = [...new Set([...open].flatMap((key) => specs.get(key)!))].sort()
  if (union.length === 0) return changes
  const { stdout } = await run(
    'git',
    [
      '-c',
      'core.quotePath=false',
      'log',
      '--no-color',
      `--max-count=${WALK_LIMIT}`,
      '--format=%x00%H %ct %P',
      '--name-only',
      '--no-renames',
      '--relative',
      '--',
      ...union,
    ],
    { cwd: root, env, timeoutMs: 120_000 },
  ).catch((error: unknown) => {
    if (error instanceof CoreError) return { stdout: undefined } // not a repository, or no commit yet
    throw error
  })
  if (stdout === undefined) {
    for (const key of open) changes.set(key, undefined)
    return changes
  }
  const commits = stdout.split('\0').slice(1)
  let exhaustive = commits.length < WALK_LIMIT
  for (const entry of commits) {
    if (open.size === 0) break
    const [header = '', ...files] = entry.split('\n')
    const [commit, seconds, ...parents] = header.trim().split(' ')
    if (commit === undefined || seconds === undefined) continue
    if (parents.length > 1) {
      exhaustive = false
      break
    }
    const changed = files.filter(Boolean)
    if (changed.some((file) => file.startsWith('"'))) {
      exhaustive = false // a name git quotes (control characters, quotes): asked one by one
      break
    }
    for (const key of [...open]) {
      if (specs.get(key)!.some((spec) => changed.some((file) => touches(spec, file)))) {
        changes.set(key, { commit, epoch: Number(seconds) })
        open.delete(key)
      }
    }
  }
  for (const key of open)
    changes.set(key, exhaustive ? undefined : await lastChange(root, pathsByKey.get(key)!, env))
  return changes
}
