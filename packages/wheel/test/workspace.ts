import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { loadWorkspace, type Project } from '@polyship/core'

export const EXAMPLE = resolve(import.meta.dirname, '../../../examples/fastjson-py')

/** Copies examples/fastjson-py (without build outputs) into a fresh temp workspace; returns its project dir. */
export async function copyExample(prefix: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), `polyship-wheel-${prefix}-`))
  const dir = join(root, 'fastjson-py')
  await cp(EXAMPLE, dir, {
    recursive: true,
    filter: (src) => !['target', 'dist', '__pycache__', 'node_modules', '.venv'].includes(basename(src)),
  })
  await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - fastjson-py\n')
  return dir
}

/** The project as the release app sees it (loaded through core's workspace loader). */
export async function projectIn(dir: string): Promise<Project> {
  const workspace = await loadWorkspace(dir)
  const project = workspace.projects.find((p) => p.root === dir)
  if (project === undefined) throw new Error(`no releasable project in ${dir}`)
  return project
}

/** Rewrites a text file in place. */
export async function edit(file: string, change: (text: string) => string): Promise<void> {
  await writeFile(file, change(await readFile(file, 'utf8')))
}

export async function editJson(
  file: string,
  change: (value: Record<string, unknown>) => void,
): Promise<void> {
  const value = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  change(value)
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`)
}

export async function ensureDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  return dir
}
