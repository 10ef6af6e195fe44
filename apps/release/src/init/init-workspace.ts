import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { detectProjects } from './detect.ts'
import { InitError } from './errors.ts'
import { gitFacts } from './git-facts.ts'
import { type InitPlan, type PlannedFile, planFiles } from './plan-files.ts'
import { packageName } from './project.ts'
import { listFiles } from './scan.ts'
import { polyshipVersion, readWorkflowTemplates } from './workflows.ts'

type Env = Readonly<Record<string, string | undefined>>

/**
 * Everything `polyship init` would do in `root`, computed without writing: the projects
 * found and every file it manages with its new text. INIT_* errors for a directory it
 * cannot set up.
 */
export async function planInit(root: string, env: Env): Promise<InitPlan> {
  await requireDirectory(root)
  const files = await listFiles(root, env)
  const detection = await detectProjects(files, (path) => readFile(join(root, path), 'utf8'))
  if (detection.projects.length === 0) {
    const skipped = detection.skipped.map((s) => `\n  ${s.path}: ${s.reason}`).join('')
    throw new InitError('INIT_NO_PROJECTS', `no releasable project found in ${root}${skipped}`, {
      hint: 'polyship releases Go modules with a main package, Cargo crates with a bin target, pyproject.toml projects, Helm charts and npm packages; run init in the repository root',
    })
  }
  return planFiles({
    detection,
    read: (path) =>
      readFile(join(root, path), 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined
        throw error
      }),
    workflows: await readWorkflowTemplates(await polyshipVersion()),
    rootName: packageName(basename(root)) || 'workspace',
    ...(await gitFacts(root, env)),
  })
}

/** Writes the files of a plan that change; returns them (none when the workspace is set up). */
export async function applyInitPlan(root: string, plan: InitPlan): Promise<PlannedFile[]> {
  const changed = plan.files.filter((file) => file.action !== 'unchanged')
  for (const file of changed) {
    await mkdir(dirname(join(root, file.path)), { recursive: true })
    await writeFile(join(root, file.path), file.text)
  }
  return changed
}

async function requireDirectory(root: string): Promise<void> {
  const stats = await stat(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined
    throw error
  })
  if (stats?.isDirectory() !== true) {
    throw new InitError('INIT_NOT_A_DIRECTORY', `${root} is not a directory`, {
      hint: 'run polyship init in the repository root, or pass --cwd <repository root>',
    })
  }
}
