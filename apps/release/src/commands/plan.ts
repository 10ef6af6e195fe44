import { loadWorkspace } from '@polyship/core'
import type { CliContext } from '../context.ts'
import { embeddedPullNote, resolveDestinations } from '../destinations.ts'
import { planWorkspace } from '../plan.ts'
import { renderTable } from '../table.ts'

export const planHelp = `Usage: polyship plan [--json] [--cwd DIR]

Lists every releasable project (a package.json with a "polyship" field), its current
version, and the artifacts a release would produce and where they would go, and which
versions are already released there (\`polyship release\` leaves those out). Binary
targets are checked against this machine's toolchains (nothing is compiled): a target a
release here would skip (no cross linker, no standard library, no zig) is marked, with why.
A project polyship cannot build is refused here, as \`polyship release\` refuses it before compiling.
`

export async function planCommand(
  context: CliContext,
  options: { json: boolean; cwd: string },
): Promise<number> {
  const workspace = await loadWorkspace(options.cwd)
  const [{ validateProjects }, { workspaceReleaseState }] = await Promise.all([
    import('../release/validate.ts'),
    import('../release/released.ts'),
  ])
  // Checking the projects, what is released (git, the record) and the toolchain probes are
  // independent reads: asked at once, so one's subprocesses overlap the others' work. A
  // project that is refused is still reported first, as its own error.
  const validated = validateProjects(workspace.projects, workspace)
  const released = workspaceReleaseState(workspace, context.env)
  const planning = planWorkspace(workspace, context.env)
  for (const pending of [released, planning]) pending.catch(() => undefined)
  await validated
  const [states, planned] = await Promise.all([released, planning])
  const releasedOf = (name: string) => states.find((s) => s.project === name)?.released
  const plans = planned.map((plan) => {
    const released = releasedOf(plan.name)
    return released === undefined ? plan : { ...plan, released }
  })
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
      `${artifact.platforms.join(',')}${artifact.skipped === undefined ? '' : ' (skipped here)'}`,
      artifact.destination,
    ]),
  )
  context.stdout.write(
    renderTable(['project', 'version', 'kind', 'artifact', 'platforms', 'destination'], rows),
  )
  const skipped = plans.flatMap((plan) => plan.artifacts.filter((a) => a.skipped !== undefined))
  const notes = [
    ...plans.flatMap((plan) =>
      (plan.binaries?.length ?? 0) > 1
        ? [`${plan.name}: each archive holds ${plan.binaries!.join(', ')}`]
        : [],
    ),
    ...skipped.map((a) => `${a.project}: ${a.name} will be skipped: ${a.skipped}`),
    ...plans.flatMap((plan) => (plan.problems ?? []).map((p) => `${plan.name}: cannot build here: ${p}`)),
  ]
  if (notes.length > 0) context.stdout.write(`\n${notes.join('\n')}\n`)
  context.stdout.write(
    `\n${plans.length} projects, ${rows.length} artifacts${skipped.length === 0 ? '' : `, ${skipped.length} skipped on this machine`}\n`,
  )
  const wires = workspace.projects.some((p) => Object.keys(p.config.chart?.images ?? {}).length > 0)
  const note = embeddedPullNote(resolveDestinations(workspace.config), wires)
  if (note !== undefined) context.stdout.write(`note: ${note}\n`)
  for (const { released: r } of states)
    if (r !== undefined)
      context.stdout.write(
        `${r.tag} is already released there (${r.source}, commit ${r.commit.slice(0, 12)}): polyship release leaves it out\n`,
      )
  return 0
}
