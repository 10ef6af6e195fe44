import { CoreError, run } from '@polyship/core'
import { BinaryError, type BinaryErrorCode } from './errors.ts'
import type { Env } from './options.ts'

/** The commit a release is built from, as Go's `-X main.commit/main.date` and archive mtimes want it. */
export interface GitStamp {
  readonly commit: string
  /** Committer date, RFC 3339 in UTC (`2026-01-02T03:04:05Z`). */
  readonly date: string
  /** The same instant in seconds: a natural SOURCE_DATE_EPOCH. */
  readonly epoch: number
}

/** Reads HEAD's commit and committer date in the repository holding `dir`. */
export async function readGitStamp(dir: string, env: Env = process.env): Promise<GitStamp> {
  const { stdout } = await git(dir, ['log', '-1', '--format=%H %ct'], env, 'BINARY_PROJECT_INVALID')
  const [commit = '', seconds = ''] = stdout.trim().split(' ')
  const epoch = Number(seconds)
  return { commit, date: rfc3339(epoch), epoch }
}

/** `2026-01-02T03:04:05Z`: UTC, whole seconds, as GoReleaser's `.Date`. */
export function rfc3339(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/**
 * Throws BINARY_DIRTY_TREE when `dir` has modified, staged or untracked (not ignored)
 * files, or is not inside a git work tree: a release must build committed sources.
 */
export async function assertCleanTree(dir: string, env: Env = process.env): Promise<void> {
  const { stdout } = await git(
    dir,
    ['status', '--porcelain=v1', '--untracked-files=all', '--', '.'],
    env,
    'BINARY_DIRTY_TREE',
  )
  const changes = stdout.split('\n').filter((line) => line.trim() !== '')
  if (changes.length === 0) return
  const shown = changes.slice(0, 10).map((line) => `  ${line}`)
  if (changes.length > 10) shown.push(`  ... and ${changes.length - 10} more`)
  throw new BinaryError(
    'BINARY_DIRTY_TREE',
    `${dir} has uncommitted changes; a release builds committed sources only:\n${shown.join('\n')}`,
    { hint: 'commit or stash these changes (or add build outputs to .gitignore), then release again' },
  )
}

async function git(
  dir: string,
  args: readonly string[],
  env: Env,
  code: Extract<BinaryErrorCode, 'BINARY_DIRTY_TREE' | 'BINARY_PROJECT_INVALID'>,
) {
  try {
    return await run('git', args, { cwd: dir, env, timeoutMs: 60_000 })
  } catch (error) {
    if (error instanceof CoreError) {
      throw new BinaryError(
        code,
        `cannot tell which commit ${dir} is: git ${args[0]} failed (not a git work tree, or git missing)`,
        {
          cause: error,
          hint: 'build releases from a git clone, or pass requireCleanTree: false for a local build',
        },
      )
    }
    throw error
  }
}
