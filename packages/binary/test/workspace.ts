import { execFileSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BinaryRelease } from '@polyship/binary'
import { isPolyshipError, loadWorkspace, type Project } from '@polyship/core'
import { expect } from 'vitest'

/** Fixed identity and dates: two copies committed alike get the same commit hash. */
export const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'polyship test',
  GIT_AUTHOR_EMAIL: 'test@polyship.invalid',
  GIT_COMMITTER_NAME: 'polyship test',
  GIT_COMMITTER_EMAIL: 'test@polyship.invalid',
  GIT_AUTHOR_DATE: '2026-01-02T03:04:05Z',
  GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z',
}

export const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples')

export interface TestWorkspace {
  /** Workspace root (a git repository when `git` was asked for). */
  readonly root: string
  readonly project: Project
  /** Outside the repository, so builds never dirty it. */
  readonly outDir: string
}

/**
 * A throwaway pnpm workspace at `<tmp>/<nest...>/ws` holding `source` as `proj/`,
 * optionally committed with a fixed identity and date.
 */
export async function makeWorkspace(
  source: string | Record<string, string>,
  options: { readonly git?: boolean; readonly nest?: readonly string[] } = {},
): Promise<TestWorkspace> {
  const base = await mkdtemp(join(tmpdir(), 'polyship-binary-'))
  created.push(base)
  const root = join(base, ...(options.nest ?? []), 'ws')
  const projectDir = join(root, 'proj')
  await mkdir(projectDir, { recursive: true })
  if (typeof source === 'string') {
    await cp(source, projectDir, {
      recursive: true,
      filter: (path) => !/[\\/](target|dist|node_modules)$/.test(path),
    })
  } else {
    for (const [file, text] of Object.entries(source)) {
      await mkdir(join(projectDir, file, '..'), { recursive: true })
      await writeFile(join(projectDir, file), text)
    }
  }
  await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - proj\n')
  if (options.git === true) {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, env: GIT_ENV, stdio: 'pipe' })
    await writeFile(join(root, '.gitignore'), 'target/\n')
    git('init', '-q', '-b', 'main')
    git('add', '-A')
    git('commit', '-q', '-m', 'fixture')
  }
  const workspace = await loadWorkspace(root)
  const project = workspace.projects[0]
  if (project === undefined) throw new Error(`no polyship project in ${root}`)
  return { root, project, outDir: join(base, 'dist') }
}

const created: string[] = []

/** Deletes every workspace this test file made (cargo target dirs run to hundreds of MB). */
export async function removeWorkspaces(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
}

/** Runs a command, returning stdout; throws with stderr on failure. */
export function sh(command: string, args: readonly string[], cwd?: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** `CODE: message` of the coded error `promise` rejects with; fails when it resolves or throws anything else. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (isPolyshipError(error)) return `${error.code}: ${error.message}`
    throw error
  }
  throw new Error('expected a coded error')
}

/** Every binary, archive and the checksums file of two releases: same digests, same bytes on disk. */
export async function expectIdenticalFiles(first: BinaryRelease, second: BinaryRelease): Promise<void> {
  const files = (release: BinaryRelease) => [
    ...release.binaries.map((bin) => bin.artifact),
    ...release.archives,
    release.checksums,
  ]
  expect(files(second).map((f) => f.digest)).toEqual(files(first).map((f) => f.digest))
  for (const [i, file] of files(first).entries()) {
    const [x, y] = await Promise.all([readFile(file.path), readFile(files(second)[i]!.path)])
    expect(x.equals(y), `${file.name} differs between the copies`).toBe(true)
  }
}
