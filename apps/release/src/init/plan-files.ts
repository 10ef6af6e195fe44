import { parseWorkspacePackages, ROOT_CONFIG_FILE } from '@polyship/core'
import { cargoBinstall } from './binstall.ts'
import { changesetConfig, changesetReadme } from './changesets.ts'
import { parsingAsync } from './manifest-error.ts'
import { parsePackageJson } from './package-json.ts'
import type { DetectedProject, Detection, SkippedManifest } from './project.ts'
import { joinPath } from './project.ts'
import { type FileEdit, projectManifest } from './project-manifest.ts'
import { WORKFLOWS, type WorkflowPath, workflow } from './workflows.ts'
import {
  excludingPattern,
  gitignore,
  nxJson,
  rootConfig,
  rootManifest,
  workspaceYaml,
} from './workspace-files.ts'

export type FileAction = 'create' | 'modify' | 'unchanged'

/** One file init manages, what it does to it, and the text it would write. */
export interface PlannedFile {
  readonly path: string
  readonly action: FileAction
  /** What changes (or why nothing does), for the plan. */
  readonly change: string
  /** The full new text; equal to the file's current text when unchanged. */
  readonly text: string
}

export interface InitPlan {
  readonly projects: readonly DetectedProject[]
  readonly skipped: readonly SkippedManifest[]
  readonly files: readonly PlannedFile[]
  /** Things the maintainer should know that no file says. */
  readonly notes: readonly string[]
}

export interface PlanInput {
  readonly detection: Detection
  /** Reads a workspace-relative file; undefined when it does not exist. */
  readonly read: (path: string) => Promise<string | undefined>
  readonly workflows: Readonly<Record<WorkflowPath, string>>
  /** Name for a root package.json init has to create. */
  readonly rootName: string
  readonly baseBranch: string
  /** Source repository URL for polyship.json, when git knows it. */
  readonly repository: string | undefined
  /** Whether git ignores dist/ already; undefined outside a git work tree. */
  readonly distIgnored: boolean | undefined
}

/**
 * Every file a repository needs to release its detected projects, computed without writing
 * anything: each edit starts from the file's current text, and several edits of one file
 * (a project at the root is also the root package.json) apply in turn.
 */
export async function planFiles(input: PlanInput): Promise<InitPlan> {
  const drafts = new Map<
    string,
    { original: string | undefined; text: string | undefined; changes: string[] }
  >()
  const edit = async (
    path: string,
    change: (text: string | undefined) => FileEdit | undefined | Promise<FileEdit | undefined>,
  ) => {
    if (!drafts.has(path)) {
      const original = await input.read(path)
      drafts.set(path, { original, text: original, changes: [] })
    }
    const draft = drafts.get(path)!
    const result = await change(draft.text)
    if (result === undefined) {
      drafts.delete(path)
      return
    }
    draft.text = result.text
    draft.changes.push(result.change)
  }

  const { projects, skipped } = await withoutExcluded(input)
  for (const project of projects) {
    if (project.kind === 'npm' || project.kind === 'configured') continue
    const path = joinPath(project.dir, 'package.json')
    await edit(path, (text) => projectManifest(project, text, path))
    if (project.kind === 'rust')
      await edit(project.manifest, (text) => cargoBinstall(project, text, project.manifest))
  }
  await edit('package.json', (text) => rootManifest(text, 'package.json', input.rootName))
  await edit('pnpm-workspace.yaml', (text) =>
    workspaceYaml(
      text,
      'pnpm-workspace.yaml',
      projects.map((p) => p.dir),
    ),
  )
  await edit('.gitignore', (text) => gitignore(text, input.distIgnored))
  await edit(ROOT_CONFIG_FILE, (text) => rootConfig(text, ROOT_CONFIG_FILE, input.repository))
  await edit('nx.json', (text) => nxJson(text, 'nx.json'))
  await edit('.changeset/config.json', (text) =>
    changesetConfig(text, '.changeset/config.json', input.baseBranch),
  )
  await edit('.changeset/README.md', (text) => changesetReadme(text))
  for (const path of Object.keys(WORKFLOWS) as WorkflowPath[]) {
    await edit(path, (text) => workflow(text, input.workflows[path]))
  }

  const files = [...drafts].map(([path, draft]): PlannedFile => {
    const text = draft.text ?? ''
    const action = draft.original === undefined ? 'create' : text === draft.original ? 'unchanged' : 'modify'
    return { path, action, change: draft.changes.join('; '), text }
  })
  return {
    projects,
    skipped,
    files,
    notes: await notes(input, drafts.has('nx.json')),
  }
}

/**
 * The detection minus the projects a `!` pattern of pnpm-workspace.yaml leaves out: neither
 * pnpm nor changesets see them, so init configures nothing there and says why.
 */
async function withoutExcluded(input: PlanInput): Promise<Pick<Detection, 'projects' | 'skipped'>> {
  const file = 'pnpm-workspace.yaml'
  const text = await input.read(file)
  const globs = text === undefined ? [] : await parsingAsync(file, () => parseWorkspacePackages(text, file))
  const projects: DetectedProject[] = []
  const skipped: SkippedManifest[] = [...input.detection.skipped]
  for (const project of input.detection.projects) {
    const pattern = excludingPattern(globs, project.dir)
    if (pattern === undefined) projects.push(project)
    else
      skipped.push({
        path: joinPath(project.dir, 'package.json'),
        reason: `excluded by ${JSON.stringify(pattern)} in ${file}: pnpm and changesets do not see it (remove the pattern to release it)`,
      })
  }
  return { projects, skipped: skipped.sort((a, b) => a.path.localeCompare(b.path)) }
}

async function notes(input: PlanInput, hasNx: boolean): Promise<string[]> {
  const notes: string[] = []
  if (!hasNx) {
    notes.push(
      'no nx.json: the Nx plugin is not added (polyship releases without Nx; after `nx init`, run polyship init again for inferred targets and affected builds)',
    )
  }
  const root = await input.read('package.json')
  const json = root === undefined ? {} : parsePackageJson(root, 'package.json')
  const deps = { ...(json.dependencies as object), ...(json.devDependencies as object) }
  if (!('polyship' in deps))
    notes.push('polyship is not a dependency of the workspace root: pnpm add -D polyship')
  return notes
}
