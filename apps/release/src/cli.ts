import { parseArgs } from 'node:util'
import { isPolyshipError, redact, secretValues } from '@polyship/core'
import { planCommand, planHelp } from './commands/plan.ts'
import { statusCommand, statusHelp } from './commands/status.ts'
import { versionCommand, versionHelp } from './commands/version.ts'
import type { CliContext } from './context.ts'
import { CliError } from './errors.ts'

const VERSION = '0.1.0'

const HELP = `polyship ${VERSION}: release every format of a polyglot monorepo in one command

Usage: polyship <command> [options]

Commands:
  plan      list releasable projects, their versions and the artifacts they produce
  status    show pending changesets: which projects a release would bump, to which versions
  version   apply pending changesets and write versions into every native manifest
  release   build, package, sign, attest and publish everything not yet published
  verify    check signatures, SBOMs and provenance of a release from the outside

Options:
  --cwd DIR   workspace to work in (default: the current directory)
  --json      machine-readable output
  --debug     show full tool output and stack traces
  -h, --help  show help for a command
  --version   print polyship's version

Run 'polyship <command> --help' for a command's options.
`

const COMMANDS: Record<string, { help: string; implemented: boolean }> = {
  plan: { help: planHelp, implemented: true },
  status: { help: statusHelp, implemented: true },
  version: { help: versionHelp, implemented: true },
  release: {
    help: 'Usage: polyship release [options]\n\nBuilds, packages, attests and publishes unpublished projects.\n',
    implemented: false,
  },
  verify: {
    help: 'Usage: polyship verify <release.json|reference|file>\n\nVerifies signatures, SBOMs and provenance.\n',
    implemented: false,
  },
}

const GLOBAL_OPTIONS = {
  cwd: { type: 'string' },
  json: { type: 'boolean', default: false },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false },
} as const

function parse(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], options: GLOBAL_OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '')
    throw new CliError('CLI_USAGE', message, { hint: "run 'polyship --help' for the options" })
  }
}

/** Runs the CLI; returns the exit code. Errors are rendered here and nowhere else. */
export async function main(args: readonly string[], context: CliContext): Promise<number> {
  let debug = args.includes('--debug')
  try {
    const { values, positionals } = parse(args)
    debug = values.debug
    const [command, ...rest] = positionals
    if (values.version) {
      context.stdout.write(`${VERSION}\n`)
      return 0
    }
    if (command === undefined) {
      context.stdout.write(HELP)
      return values.help ? 0 : 2
    }
    const spec = COMMANDS[command]
    if (spec === undefined) {
      throw new CliError('CLI_UNKNOWN_COMMAND', `unknown command "${command}"`, {
        hint: `commands: ${Object.keys(COMMANDS).join(', ')}`,
      })
    }
    if (values.help) {
      context.stdout.write(spec.help)
      return 0
    }
    if (rest.length > 0 && (command === 'plan' || command === 'status' || command === 'version')) {
      throw new CliError('CLI_USAGE', `${command} takes no arguments, got "${rest.join(' ')}"`, {
        hint: spec.help.split('\n')[0] ?? '',
      })
    }
    const cwd = values.cwd ?? context.cwd
    switch (command) {
      case 'plan':
        return await planCommand(context, { json: values.json, cwd })
      case 'status':
        return await statusCommand(context, { json: values.json, cwd })
      case 'version':
        return await versionCommand(context, { json: values.json, cwd })
      default:
        context.stderr.write(
          `polyship ${command} is not implemented yet (see README.md, "What works today").\n`,
        )
        return 3
    }
  } catch (error) {
    return renderError(error, context, debug)
  }
}

function renderError(error: unknown, context: CliContext, debug: boolean): number {
  const secrets = secretValues(context.env)
  if (isPolyshipError(error)) {
    const lines = [`error ${error.code}: ${error.message}`]
    if (error.hint) lines.push(`  hint: ${error.hint}`)
    if (debug && error.cause) lines.push(`  cause: ${String((error.cause as Error).stack ?? error.cause)}`)
    context.stderr.write(`${redact(lines.join('\n'), secrets)}\n`)
    return 1
  }
  context.stderr.write(
    `${redact(String((error as Error)?.stack ?? error), secrets)}\nthis is a bug in polyship; please report it\n`,
  )
  return 70
}
