import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import type { CliContext } from '../context.ts'
import { detectProjects } from '../init/detect.ts'
import { InitError } from '../init/errors.ts'
import { gitFacts } from '../init/git-facts.ts'
import { type InitPlan, planFiles } from '../init/plan-files.ts'
import { packageName } from '../init/project.ts'
import { renderInitPlan } from '../init/render-plan.ts'
import { listFiles } from '../init/scan.ts'
import { polyshipVersion, readWorkflowTemplates } from '../init/workflows.ts'

export const initHelp = `Usage: polyship init [--dry-run] [--json] [--cwd DIR]

Turns an existing repository into a polyship workspace. Finds Go modules, Cargo crates
and workspaces, Python projects (any PEP 517 backend), Helm charts, Dockerfiles and npm
packages, shows a plan, then writes what each needs: a package.json with a "polyship"
field, pnpm-workspace.yaml entries, polyship.json, .changeset/config.json, the Nx plugin
in nx.json (when the repository uses Nx), a "release" script, and the GitHub workflows
.github/workflows/polyship-ci.yml and polyship-release.yml.

Existing files only gain what is missing; init never replaces what you wrote (it stops
with INIT_WOULD_OVERWRITE naming the file instead). Running it again changes nothing.

Options:
  --dry-run   show the plan and write nothing
  --json      print the plan as JSON

Example:
  pnpm add -D polyship && pnpm exec polyship init --dry-run
`

export const INIT_OPTIONS = { 'dry-run': { type: 'boolean', default: false } } as const

export async function initCommand(
  context: CliContext,
  options: { readonly cwd: string; readonly json: boolean; readonly dryRun: boolean },
): Promise<number> {
  const root = resolve(options.cwd)
  await requireDirectory(root)
  const plan = await planInit(root, context)
  const changed = plan.files.filter((file) => file.action !== 'unchanged')
  const write = !options.dryRun && changed.length > 0
  if (options.json) {
    const files = plan.files.map(({ text: _, ...file }) => file)
    context.stdout.write(
      `${JSON.stringify({ root, dryRun: options.dryRun, written: write, ...plan, files }, null, 2)}\n`,
    )
  } else context.stdout.write(renderInitPlan(plan))
  if (write) {
    for (const file of changed) {
      await mkdir(dirname(join(root, file.path)), { recursive: true })
      await writeFile(join(root, file.path), file.text)
    }
  }
  if (!options.json) context.stdout.write(`\n${summary(changed.length, options.dryRun)}\n`)
  return 0
}

function summary(changes: number, dryRun: boolean): string {
  if (changes === 0) return 'Nothing to change: the workspace is already set up for polyship.'
  const files = `${changes} file${changes === 1 ? '' : 's'}`
  return dryRun
    ? `Dry run: ${files} would be written; nothing was.`
    : `Wrote ${files}. Next: pnpm install, then pnpm exec polyship plan.`
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

/** Scan, detect, read the templates, plan every file: nothing is written here. */
async function planInit(root: string, context: CliContext): Promise<InitPlan> {
  const files = await listFiles(root, context.env)
  const read = (path: string) => readFile(join(root, path), 'utf8')
  const detection = await detectProjects(files, read)
  if (detection.projects.length === 0) {
    const skipped = detection.skipped.map((s) => `\n  ${s.path}: ${s.reason}`).join('')
    throw new InitError('INIT_NO_PROJECTS', `no releasable project found in ${root}${skipped}`, {
      hint: 'polyship releases Go modules with a main package, Cargo crates with a bin target, pyproject.toml projects, Helm charts and npm packages; run init in the repository root',
    })
  }
  const facts = await gitFacts(root, context.env)
  return planFiles({
    detection,
    read: (path) =>
      readFile(join(root, path), 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined
        throw error
      }),
    workflows: await readWorkflowTemplates(await polyshipVersion()),
    rootName: packageName(basename(root)) || 'workspace',
    ...facts,
  })
}
