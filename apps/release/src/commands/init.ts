import { resolve } from 'node:path'
import type { CliContext } from '../context.ts'
import { applyInitPlan, planInit } from '../init/init-workspace.ts'
import { renderInitPlan } from '../init/render-plan.ts'

export const initHelp = `Usage: polyship init [--dry-run] [--json] [--cwd DIR]

Turns an existing repository into a polyship workspace. Finds Go modules, Cargo crates
and workspaces, Python projects (any PEP 517 backend), Helm charts, Dockerfiles and npm
packages, shows a plan, then writes what each needs: a package.json with a "polyship"
field, pnpm-workspace.yaml entries, polyship.json, .changeset/config.json, the Nx plugin
in nx.json (when the repository uses Nx), a "release" script, dist/ in .gitignore, and
the workflows .github/workflows/polyship-ci.yml and polyship-release.yml.

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
  const plan = await planInit(root, context.env)
  const changes = plan.files.filter((file) => file.action !== 'unchanged').length
  if (options.json) {
    const files = plan.files.map(({ text: _, ...file }) => file)
    const written = !options.dryRun && changes > 0
    context.stdout.write(
      `${JSON.stringify({ root, dryRun: options.dryRun, written, ...plan, files }, null, 2)}\n`,
    )
  } else context.stdout.write(renderInitPlan(plan))
  if (!options.dryRun) await applyInitPlan(root, plan)
  if (!options.json) context.stdout.write(`\n${summary(changes, options.dryRun)}\n`)
  return 0
}

function summary(changes: number, dryRun: boolean): string {
  if (changes === 0) return 'Nothing to change: the workspace is already set up for polyship.'
  const files = `${changes} file${changes === 1 ? '' : 's'}`
  return dryRun
    ? `Dry run: ${files} would be written; nothing was.`
    : `Wrote ${files}. Next: pnpm install, then pnpm exec polyship plan.`
}
