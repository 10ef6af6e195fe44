import type { CliContext } from '../context.ts'
import { renderTable } from '../table.ts'

export const statusHelp = `Usage: polyship status [--json] [--cwd DIR]

Shows the pending release: every project the changesets would bump, from which
version to which, the tag it will carry, and the changesets asking for it
(none for a project bumped because a dependency changed). Writes nothing.
`

export async function statusCommand(
  context: CliContext,
  options: { json: boolean; cwd: string },
): Promise<number> {
  // Loaded on demand: the changesets libraries are not worth their start-up cost to other commands.
  const { releaseStatus } = await import('@polyship/versioning')
  const status = await releaseStatus(options.cwd)
  if (options.json) {
    context.stdout.write(`${JSON.stringify(status, null, 2)}\n`)
    return 0
  }
  if (!status.pending) {
    context.stdout.write('No pending changesets: nothing to release.\n')
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
  return 0
}
