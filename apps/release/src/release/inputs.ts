import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { CoreError, type Project, run, type Workspace } from '@polyship/core'
import type { Env } from './context.ts'

/** When a project's inputs last changed: what its artifacts are stamped with. */
export interface SourceStamp {
  /** The last commit that changed the project's inputs ('' outside a git repository). */
  readonly commit: string
  /** Its commit date, RFC 3339 UTC (SOURCE_DATE_EPOCH's when the user set it). */
  readonly date: string
  /** SOURCE_DATE_EPOCH of the project's artifacts. */
  readonly epoch: number
}

export function rfc3339(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

const readText = (file: string) =>
  readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'EISDIR') return ''
    throw error
  })

/** Directories a go.mod `replace ... => ./dir` points at (local module replacements). */
function goReplaces(goMod: string, dir: string): string[] {
  return [...goMod.matchAll(/=>\s*(\.{1,2}\/[^\s)]*)/g)].map((m) => resolve(dir, m[1]!))
}

/** The directory of the go.mod governing `dir`: `dir` or the nearest above it, within the workspace. */
function goModuleRoot(dir: string, root: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'go.mod'))) return at
    const rel = relative(root, at)
    if (rel === '' || rel.startsWith('..') || dirname(at) === at) return undefined
  }
}

/** Directories a Cargo.toml's `path = "..."` dependencies point at. */
function cargoPaths(cargoToml: string, dir: string): string[] {
  return [...cargoToml.matchAll(/\bpath\s*=\s*"([^"]+)"/g)].map((m) => resolve(dir, m[1]!))
}

/** Files above `dir` (up to the workspace root) that shape its build: a Cargo workspace root, a go.work. */
async function enclosingFiles(dir: string, root: string): Promise<string[]> {
  const found: string[] = []
  for (let at = dirname(dir); relative(root, at) === '' || !relative(root, at).startsWith('..'); ) {
    const cargo = join(at, 'Cargo.toml')
    if (/^\s*\[workspace\]/m.test(await readText(cargo))) found.push(cargo, join(at, 'Cargo.lock'))
    for (const name of ['go.work', 'go.work.sum']) if (existsSync(join(at, name))) found.push(join(at, name))
    if (at === root || dirname(at) === at) break
    at = dirname(at)
  }
  return found
}

/** `file://` chart dependencies of a chart project: sibling chart directories. */
async function chartSiblings(project: Project): Promise<string[]> {
  const chartDir = join(project.root, project.config.chart?.path ?? '.')
  const text = await readText(join(chartDir, 'Chart.yaml'))
  return [...text.matchAll(/repository:\s*["']?file:\/\/([^"'\s]+)/g)].map((m) => resolve(chartDir, m[1]!))
}

type Inputs = { paths: string[]; projects: string[] }

/**
 * A workspace's projects by name and by absolute root, and each project's inputs once
 * collected (the record check and the stamps ask the same): computed once per workspace.
 */
interface WorkspaceIndex {
  readonly byName: Map<string, Project>
  readonly byRoot: Map<string, Project>
  readonly inputs: Map<string, Promise<Inputs>>
}

const indexes = new WeakMap<Workspace, WorkspaceIndex>()

function indexOf(workspace: Workspace): WorkspaceIndex {
  let index = indexes.get(workspace)
  if (index === undefined) {
    index = {
      byName: new Map(workspace.projects.map((p) => [p.name, p])),
      byRoot: new Map(workspace.projects.map((p) => [resolve(p.root), p])),
      inputs: new Map(),
    }
    indexes.set(workspace, index)
  }
  return index
}

/** The paths of `projectInputs` and the names of the workspace projects they were collected from (the project itself included), read once per workspace. */
function collectInputs(project: Project, workspace: Workspace): Promise<Inputs> {
  const { inputs } = indexOf(workspace)
  let collected = inputs.get(project.name)
  if (collected === undefined) {
    collected = readInputs(project, workspace)
    inputs.set(project.name, collected)
  }
  return collected
}

async function readInputs(project: Project, workspace: Workspace): Promise<Inputs> {
  const { byName, byRoot } = indexOf(workspace)
  const paths = new Set<string>()
  const seen = new Set<string>()
  const visit = async (p: Project): Promise<void> => {
    if (seen.has(p.name)) return
    seen.add(p.name)
    paths.add(resolve(p.root))
    const chart = p.config.chart
    const related = [
      ...p.dependsOn,
      ...Object.values(chart?.images ?? {}),
      ...(chart?.appVersionFrom ? [chart.appVersionFrom] : []),
    ]
    const module = p.config.binary?.toolchain === 'go' ? goModuleRoot(p.root, workspace.root) : undefined
    const dirs = [
      // a project in cmd/<name> of a module above it is built from the whole module
      ...(module === undefined ? [] : [module]),
      ...goReplaces(await readText(join(module ?? p.root, 'go.mod')), module ?? p.root),
      ...cargoPaths(await readText(join(p.root, 'Cargo.toml')), p.root),
      ...(chart === undefined ? [] : await chartSiblings(p)),
    ]
    for (const file of await enclosingFiles(p.root, workspace.root)) paths.add(file)
    for (const dir of dirs) {
      const owner = byRoot.get(dir)
      if (owner !== undefined) related.push(owner.name)
      else paths.add(dir)
    }
    for (const name of related) {
      const other = byName.get(name)
      if (other !== undefined) await visit(other)
    }
  }
  await visit(project)
  return { paths: [...paths].sort(), projects: [...seen].sort() }
}

/**
 * Everything a project's artifacts are made from, as absolute paths: its directory, the
 * directories of the workspace projects it depends on (package.json dependencies, the
 * projects whose images a chart deploys, its file:// charts), local Go replacements and
 * Cargo path dependencies, and an enclosing Cargo workspace or go.work. Transitively.
 */
export async function projectInputs(project: Project, workspace: Workspace): Promise<readonly string[]> {
  return (await collectInputs(project, workspace)).paths
}

/**
 * `projects` and every workspace project their inputs come from (the same relations as
 * `projectInputs`: dependencies, deployed images, appVersionFrom, local Go replacements,
 * Cargo paths, file:// charts), transitively, in workspace order: what a run restricted to
 * `projects` (`build --only`) needs stamps and source trees of.
 */
export async function inputClosure(projects: readonly Project[], workspace: Workspace): Promise<Project[]> {
  const names = new Set<string>()
  for (const project of projects)
    for (const name of (await collectInputs(project, workspace)).projects) names.add(name)
  return workspace.projects.filter((p) => names.has(p.name))
}

/**
 * The last commit that changed any of `paths` (`git log -1 -- <paths>`), or undefined when
 * none did (paths not committed yet) or `root` is not a git repository.
 */
export async function lastChange(
  root: string,
  paths: readonly string[],
  env: Env,
): Promise<{ commit: string; epoch: number } | undefined> {
  const inside = paths
    .map((path) => relative(root, path).split('\\').join('/'))
    .filter((path) => !path.startsWith('..') && !isAbsolute(path))
    .map((path) => (path === '' ? '.' : path))
  if (inside.length === 0) return undefined
  const { stdout } = await run('git', ['log', '-1', '--format=%H %ct', '--', ...inside], {
    cwd: root,
    env,
    timeoutMs: 120_000,
  }).catch((error: unknown) => {
    if (error instanceof CoreError) return { stdout: '' } // not a repository, or no commit yet
    throw error
  })
  const [commit, seconds] = stdout.trim().split(' ')
  return commit && seconds ? { commit, epoch: Number(seconds) } : undefined
}
