import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { run } from '@polyship/core'

export const repoRoot = join(import.meta.dirname, '..', '..', '..')

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'polyship test',
  GIT_AUTHOR_EMAIL: 'test@polyship.invalid',
  GIT_COMMITTER_NAME: 'polyship test',
  GIT_COMMITTER_EMAIL: 'test@polyship.invalid',
  // Fixed dates: the same tree committed twice gets the same hash, so changelogs (which cite commits) match too.
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await run('git', args, { cwd, env: gitEnv })).stdout
}

export async function commitAll(cwd: string, message: string): Promise<void> {
  await git(cwd, 'add', '-A')
  await git(cwd, 'commit', '-q', '-m', message)
}

/** Files changed, added or deleted since the last commit, as `git status --porcelain` lists them. */
export async function changedFiles(cwd: string): Promise<string[]> {
  const out = await git(cwd, 'status', '--porcelain', '--untracked-files=all')
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => `${line.slice(0, 2).trim()} ${line.slice(3)}`)
    .sort()
}

/** A fresh git repository holding `files` (path -> content), committed. */
export async function tempWorkspace(files: Readonly<Record<string, string>>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'polyship-versioning-'))
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), content)
  }
  await git(root, 'init', '-q', '-b', 'main')
  await commitAll(root, 'init')
  return root
}

const SKIPPED = new Set(['target', 'node_modules', '.venv', 'dist', '__pycache__', '.pytest_cache'])

/**
 * A git repository with the shape of this workspace around a copy of examples/: root
 * package.json, pnpm-workspace.yaml, the real .changeset/config.json. Build outputs are
 * left out.
 */
export async function copyExamples(): Promise<string> {
  const root = await tempWorkspace({
    'package.json': `${JSON.stringify({ name: 'examples-workspace', version: '0.0.0', private: true }, null, 2)}\n`,
    'pnpm-workspace.yaml': 'packages:\n  - examples/*\n  - examples/charts/*\n',
    '.changeset/config.json': await readFile(join(repoRoot, '.changeset', 'config.json'), 'utf8'),
    '.gitignore': 'target/\nnode_modules/\n.venv/\ndist/\n',
  })
  await cp(join(repoRoot, 'examples'), join(root, 'examples'), {
    recursive: true,
    filter: (source) => !SKIPPED.has(basename(source)) && !source.endsWith('.whl'),
  })
  await commitAll(root, 'examples')
  return root
}

export async function addChangeset(
  root: string,
  id: string,
  releases: Readonly<Record<string, string>>,
  summary: string,
): Promise<void> {
  const frontmatter = Object.entries(releases)
    .map(([name, type]) => `"${name}": ${type}`)
    .join('\n')
  await writeFile(join(root, '.changeset', `${id}.md`), `---\n${frontmatter}\n---\n\n${summary}\n`)
}

/** Runs the real polyship CLI; returns its exit code and output instead of throwing. */
export async function polyship(
  cwd: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = join(repoRoot, 'apps', 'release', 'src', 'bin.ts')
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args, '--cwd', cwd], { cwd })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { exitCode?: number; stderrTail?: string }
    if (failed.exitCode === undefined) throw error
    return { code: failed.exitCode, stdout: '', stderr: failed.stderrTail ?? '' }
  }
}

const SEMVER_TOKEN = /\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?/g

/**
 * Checks that `after` differs from `before` only in version values: same lines, and
 * every changed line equal to the old one once versions are masked.
 */
export function onlyVersionsChanged(before: string, after: string): string[] {
  const a = before.split('\n')
  const b = after.split('\n')
  if (a.length !== b.length) return [`line count ${a.length} -> ${b.length}`]
  return a.flatMap((line, i) =>
    line === b[i] || line.replace(SEMVER_TOKEN, 'V') === b[i]!.replace(SEMVER_TOKEN, 'V')
      ? []
      : [`line ${i + 1}: ${JSON.stringify(line)} -> ${JSON.stringify(b[i])}`],
  )
}
