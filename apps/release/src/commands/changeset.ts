import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { run } from '@polyship/core'
import type { CliContext } from '../context.ts'
import { CliError } from '../errors.ts'

export const changesetHelp = `Usage: polyship changeset [--bump PROJECT=TYPE]... [-m SUMMARY] [--empty] [--cwd DIR]
       polyship changeset pre enter TAG | pre exit

Records a change to release: writes .changeset/<id>.md naming the projects to bump
(major, minor or patch; a bare PROJECT means patch) and the summary for their
changelogs. Without --bump on a terminal it asks, as \`changeset add\` does; without
a terminal (CI, scripts) --bump and -m are required. \`pre enter/exit\` switch
pre-release mode. polyship brings changesets with it: nothing else to install.

Examples:
  polyship changeset --bump time-server-go=minor -m "Serve the time zone too"
  polyship changeset --bump fastjson --bump charts-app=patch -m "Fix parsing of big numbers"
  polyship changeset --empty                 a change that releases nothing
`

export const CHANGESET_OPTIONS = {
  bump: { type: 'string', multiple: true },
  message: { type: 'string', short: 'm' },
  empty: { type: 'boolean', default: false },
} as const

interface ChangesetFlags {
  readonly bump?: readonly string[]
  readonly message?: string
  readonly empty?: boolean
}

export async function changesetCommand(
  context: CliContext,
  flags: ChangesetFlags,
  positionals: readonly string[],
  options: { cwd: string; json: boolean },
): Promise<number> {
  const { addChangeset, parseBump } = await import('@polyship/versioning')
  if (positionals[0] === 'pre') return changesetsCli(['pre', ...positionals.slice(1)], options.cwd, context)
  if (positionals.length > 0) {
    throw new CliError('CLI_USAGE', `unknown changeset action "${positionals.join(' ')}"`, {
      hint: 'polyship changeset --bump PROJECT=TYPE -m SUMMARY, or polyship changeset pre enter TAG | pre exit',
    })
  }
  const releases = (flags.bump ?? []).map(parseBump)
  if (releases.length === 0 && !flags.empty) {
    if (context.stdout.isTTY && context.stderr.isTTY && context.env.CI !== 'true') {
      return changesetsCli(['add'], options.cwd, context)
    }
    throw new CliError('CLI_USAGE', 'no terminal to ask which projects to bump', {
      hint: 'pass --bump PROJECT=major|minor|patch (repeatable) and -m "summary", or --empty',
    })
  }
  const id = await addChangeset(options.cwd, { releases, summary: flags.message ?? '' })
  const file = `.changeset/${id}.md`
  context.stdout.write(options.json ? `${JSON.stringify({ file, releases })}\n` : `wrote ${file}\n`)
  return 0
}

/** The changesets CLI polyship depends on, given the terminal (its prompts are interactive). */
async function changesetsCli(args: readonly string[], cwd: string, context: CliContext): Promise<number> {
  const manifest = createRequire(import.meta.url).resolve('@changesets/cli/package.json')
  const bin = join(dirname(manifest), 'bin.js')
  const result = await run(process.execPath, [bin, ...args], {
    cwd,
    env: context.env,
    interactive: true,
    okExitCodes: [1],
  })
  return result.exitCode ?? 0
}
