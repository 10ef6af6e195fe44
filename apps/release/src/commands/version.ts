import type { Reporter } from '@polyship/core'
import type { CliContext } from '../context.ts'
import { renderTable } from '../table.ts'

export const versionHelp = `Usage: polyship version [--json] [--cwd DIR]

Applies pending changesets: bumps package.json versions (and dependents), writes
changelogs, deletes the consumed changesets, then writes each new version into the
project's native manifests (Cargo.toml + Cargo.lock, pyproject.toml, Chart.yaml, Go
version files), changing nothing but version values. With nothing pending it says so
and exits 0. This is the version script of the "Version Packages" pull request.
`

export async function versionCommand(
  context: CliContext,
  options: { json: boolean; cwd: string },
): Promise<number> {
  const reporter: Reporter = {
    emit(event) {
      if (event.type === 'log' && event.level === 'warn') context.stderr.write(`warning: ${event.message}\n`)
    },
  }
  // Loaded on demand: the changesets libraries are not worth their start-up cost to other commands.
  const { versionWorkspace } = await import('@polyship/versioning')
  const result = await versionWorkspace(options.cwd, { reporter })
  if (options.json) {
    context.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
    return 0
  }
  if (result.status === 'nothing-pending') {
    context.stdout.write('No pending changesets: nothing to version.\n')
    return 0
  }
  const rows = result.releases.map((r) => [r.name, r.type, r.oldVersion, r.newVersion, r.tag])
  context.stdout.write(renderTable(['project', 'bump', 'from', 'to', 'tag'], rows))
  context.stdout.write(
    `\n${result.files.length} files changed:\n${result.files.map((f) => `  ${f}\n`).join('')}`,
  )
  return 0
}
