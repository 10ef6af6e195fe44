import { loadWorkspace } from '@polyship/core'
import type { CliContext } from '../context.ts'
import { embeddedPullNote, resolveDestinations } from '../destinations.ts'
import { planWorkspace } from '../plan.ts'
import { renderTable } from '../table.ts'

export const planHelp = `Usage: polyship plan [--json] [--cwd DIR]

Lists every releasable project (a package.json with a "polyship" field), its current
version, and the artifacts a release would produce and where they would go.
`

export async function planCommand(
  context: CliContext,
  options: { json: boolean; cwd: string },
): Promise<number> {
  const workspace = await loadWorkspace(options.cwd)
  const plans = planWorkspace(workspace)
  if (options.json) {
    context.stdout.write(`${JSON.stringify({ root: workspace.root, projects: plans }, null, 2)}\n`)
    return 0
  }
  const rows = plans.flatMap((plan) =>
    plan.artifacts.map((artifact, i) => [
      i === 0 ? plan.name : '',
      i === 0 ? plan.version : '',
      artifact.kind,
      artifact.name,
      artifact.platforms.join(','),
      artifact.destination,
    ]),
  )
  context.stdout.write(
    renderTable(['project', 'version', 'kind', 'artifact', 'platforms', 'destination'], rows),
  )
  context.stdout.write(`\n${plans.length} projects, ${rows.length} artifacts\n`)
  const wires = workspace.projects.some((p) => Object.keys(p.config.chart?.images ?? {}).length > 0)
  const note = embeddedPullNote(resolveDestinations(workspace.config), wires)
  if (note !== undefined) context.stdout.write(`note: ${note}\n`)
  return 0
}
