import { isPolyshipError, run, SubprocessError } from '@polyship/core'

type Env = Readonly<Record<string, string | undefined>>

/** git's stdout, or undefined when git fails (not a repository, no such ref or remote) or is not installed. */
export async function git(root: string, args: readonly string[], env: Env): Promise<string | undefined> {
  try {
    return (await run('git', args, { cwd: root, env })).stdout
  } catch (error) {
    if (error instanceof SubprocessError || (isPolyshipError(error) && error.code === 'SUBPROCESS_NOT_FOUND'))
      return undefined
    throw error
  }
}

/** `git@github.com:org/repo.git` and `https://token@github.com/org/repo.git` -> `https://github.com/org/repo`. */
export function httpsRepositoryUrl(remote: string): string | undefined {
  const scp = /^[\w.-]+@([\w.-]+):(.+?)(\.git)?\/?$/.exec(remote)
  if (scp !== null) return `https://${scp[1]}/${scp[2]}`
  try {
    const url = new URL(remote)
    if (!['https:', 'http:', 'ssh:', 'git:'].includes(url.protocol)) return undefined
    return `https://${url.hostname}${url.pathname.replace(/\.git$/, '').replace(/\/$/, '')}`
  } catch {
    return undefined
  }
}

/**
 * What git knows that init writes down: the base branch for changesets, the source URL,
 * and whether dist/ is ignored already (undefined outside a work tree).
 */
export async function gitFacts(
  root: string,
  env: Env,
): Promise<{ baseBranch: string; repository: string | undefined; distIgnored: boolean | undefined }> {
  const inside = (await git(root, ['rev-parse', '--is-inside-work-tree'], env))?.trim() === 'true'
  // check-ignore exits 1 (a failure to git()) when the path is not ignored.
  const distIgnored = inside
    ? (await git(root, ['check-ignore', '-q', 'dist/release.json'], env)) !== undefined
    : undefined
  const hasMain =
    (await git(root, ['rev-parse', '--verify', '--quiet', 'refs/heads/main'], env)) !== undefined
  const hasMaster =
    !hasMain &&
    (await git(root, ['rev-parse', '--verify', '--quiet', 'refs/heads/master'], env)) !== undefined
  const remote = (await git(root, ['remote', 'get-url', 'origin'], env))?.trim()
  return {
    baseBranch: hasMaster ? 'master' : 'main',
    distIgnored,
    repository: remote === undefined || remote === '' ? undefined : httpsRepositoryUrl(remote),
  }
}
