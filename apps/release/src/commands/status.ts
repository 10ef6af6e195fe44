import type { CliContext } from '../context.ts'
import { renderTable } from '../table.ts'

export const statusHelp = `Usage: polyship status [--json] [--cwd DIR]

Shows the pending release: every project the changesets would bump, from which
version to which, the tag it will carry, and the changesets asking for it
(none for a project bumped because a dependency changed), then every current
version not yet released to its destinations (what \`polyship release\` would
publish, judged as it judges it). Writes nothing.
`

export async function statusCommand(
  context: CliContext,
  options: { json: boolean; cwd: string },
): Promise<number> {
  // Loaded on demand: the changesets libraries are not worth their start-up cost to other commands.
  const { releaseStatus } = await import('@polyship/versioning')
  const { loadWorkspace } = await import('@polyship/core')
  const { workspaceReleaseState } = await import('../release/released.ts')
  const status = await releaseStatus(options.cwd)
  const states = await workspaceReleaseState(await loadWorkspace(options.cwd), context.env)
  const unreleased = states.filter((s) => s.released === undefined && s.destinations.length > 0)
  if (options.json) {
    context.stdout.write(`${JSON.stringify({ ...status, projects: states }, null, 2)}\n`)
    return 0
  }
  const writeUnreleased = () => {
    context.stdout.write(
      `\nnot yet released to their destinations (polyship release publishes them):\n${renderTable(
        ['project', 'version', 'destinations'],
        unreleased.map((s) => [s.project, s.version, s.destinations.join(', ')]),
      )}`,
    )
  }
  if (!status.pending) {
    if (unreleased.length === 0) {
      context.stdout.write('No pending changesets: nothing to release.\n')
      return 0
    }
    context.stdout.write('No pending changesets.\n')
    writeUnreleased()
    return 0
  }
  if (status.preMode !== undefined) context.stdout.write(`pre-release mode: ${status.preMode}\n\n`)
  const rows = status.releases.map((r) => [
    r.name,
    r.type,
    `${r.oldVersion} -> ${r.newVersion}`,
    r.tag,
    r.changesets.length === 0 ? '(dependency bumped)' : r.changesets.join(', '),
  ])
  context.stdout.write(renderTable(['project', 'bump', 'version', 'tag', 'changesets'], rows))
  context.stdout.write(
    `\n${status.releases.length} projects to release from ${status.changesets.length} changesets\n`,
  )
  if (unreleased.length > 0) writeUnreleased()
  return 0
}
