import { type ParseArgsConfig, parseArgs } from 'node:util'
import { isPolyshipError, redact, secretValues, writeFailure } from '@polyship/core'
import manifest from '../package.json' with { type: 'json' }
import { type CliContext, redactingContext } from './context.ts'
import { CliError } from './errors.ts'
import { annotateError } from './github-actions.ts'

/** polyship's own version, from its package.json (changesets bumps it). */
export const VERSION: string = manifest.version

const HELP = `polyship ${VERSION}: release every format of a polyglot monorepo in one command

Usage: polyship <command> [options]

Commands:
  init      set up an existing repository: detect its projects, write the config polyship needs
  plan      list releasable projects, their versions and the artifacts they produce
  changeset record a change to release (which projects to bump, the changelog entry)
  status    show pending changesets: which projects a release would bump, to which versions
  version   apply pending changesets and write versions into every native manifest
  build     compile binaries and wheels into dist/build (the Nx target polyship-build)
  package   assemble archives, images and charts into dist/package (polyship-package)
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

const GLOBAL_OPTIONS = {
  cwd: { type: 'string' },
  json: { type: 'boolean', default: false },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false },
} as const

type Options = NonNullable<ParseArgsConfig['options']>
type Globals = { readonly cwd: string; readonly json: boolean; readonly debug: boolean }

/** A command: its help, its own flags, how many positionals it takes, and how it runs. */
interface Command {
  readonly help: string
  readonly options: Options
  /** How many positional arguments it takes at most. */
  readonly positionals: number
  run(
    context: CliContext,
    flags: Record<string, unknown>,
    positionals: readonly string[],
    globals: Globals,
  ): Promise<number>
}

/** Commands load their module only when used, so `polyship plan` never pays for sigstore or changesets. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  init: async () => {
    const m = await import('./commands/init.ts')
    return {
      help: m.initHelp,
      options: m.INIT_OPTIONS,
      positionals: 0,
      run: (c, f, _p, g) => m.initCommand(c, { cwd: g.cwd, json: g.json, dryRun: f['dry-run'] === true }),
    }
  },
  plan: async () => {
    const m = await import('./commands/plan.ts')
    return { help: m.planHelp, options: {}, positionals: 0, run: (c, _f, _p, g) => m.planCommand(c, g) }
  },
  status: async () => {
    const m = await import('./commands/status.ts')
    return { help: m.statusHelp, options: {}, positionals: 0, run: (c, _f, _p, g) => m.statusCommand(c, g) }
  },
  version: async () => {
    const m = await import('./commands/version.ts')
    return { help: m.versionHelp, options: {}, positionals: 0, run: (c, _f, _p, g) => m.versionCommand(c, g) }
  },
  build: async () => {
    const m = await import('./commands/release.ts')
    return {
      help: m.buildHelp,
      options: m.BUILD_OPTIONS,
      positionals: 0,
      run: (c, f, _p, g) => m.buildCommand(c, f, g),
    }
  },
  package: async () => {
    const m = await import('./commands/release.ts')
    return {
      help: m.packageHelp,
      options: m.PACKAGE_OPTIONS,
      positionals: 0,
      run: (c, f, _p, g) => m.packageCommand(c, f, g),
    }
  },
  release: async () => {
    const m = await import('./commands/release.ts')
    return {
      help: m.releaseHelp,
      options: m.RELEASE_OPTIONS,
      positionals: 0,
      run: (c, f, _p, g) => m.releaseCommand(c, f, g),
    }
  },
  changeset: async () => {
    const m = await import('./commands/changeset.ts')
    return {
      help: m.changesetHelp,
      options: m.CHANGESET_OPTIONS,
      positionals: 3,
      run: (c, f, p, g) => m.changesetCommand(c, f, p, g),
    }
  },
  verify: async () => {
    const m = await import('./commands/verify.ts')
    return {
      help: m.verifyHelp,
      options: m.VERIFY_OPTIONS,
      positionals: 1,
      run: (c, f, p, g) =>
        m.verifyCommand(c, {
          cwd: g.cwd,
          json: g.json,
          ...(p[0] === undefined ? {} : { target: p[0] }),
          ...(f.key === undefined ? {} : { key: f.key as string[] }),
          ...(f['certificate-identity'] === undefined
            ? {}
            : { certificateIdentity: f['certificate-identity'] as string }),
          ...(f['certificate-identity-regexp'] === undefined
            ? {}
            : { certificateIdentityRegexp: f['certificate-identity-regexp'] as string }),
          ...(f['certificate-oidc-issuer'] === undefined
            ? {}
            : { certificateOidcIssuer: f['certificate-oidc-issuer'] as string }),
          ...(f['trusted-root'] === undefined ? {} : { trustedRoot: f['trusted-root'] as string }),
        }),
    }
  },
}

function parse(args: readonly string[], options: Options) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...GLOBAL_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '')
    throw new CliError('CLI_USAGE', message, { hint: "run 'polyship <command> --help' for the options" })
  }
}

/** The command word: the first argument that is neither a flag nor the value of --cwd. */
function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--cwd') i++
    else if (!arg.startsWith('-')) return arg
  }
  return undefined
}

/**
 * Runs the CLI; returns the exit code. Errors are rendered here and nowhere else. Everything
 * written to the context's stdout and stderr goes through core's redactor.
 */
export async function main(args: readonly string[], given: CliContext): Promise<number> {
  const context = redactingContext(given)
  let debug = args.includes('--debug')
  try {
    const name = commandName(args)
    const load = name === undefined ? undefined : COMMANDS[name]
    if (name !== undefined && load === undefined) {
      throw new CliError('CLI_UNKNOWN_COMMAND', `unknown command "${name}"`, {
        hint: `commands: ${Object.keys(COMMANDS).join(', ')}`,
      })
    }
    const command = await load?.()
    const { values, positionals } = parse(args, command?.options ?? {})
    debug = values.debug === true
    if (values.version) {
      context.stdout.write(`${VERSION}\n`)
      return 0
    }
    if (command === undefined) {
      context.stdout.write(HELP)
      return values.help ? 0 : 2
    }
    if (values.help) {
      context.stdout.write(command.help)
      return 0
    }
    const rest = positionals.slice(1)
    if (rest.length > command.positionals) {
      throw new CliError(
        'CLI_USAGE',
        `${name} takes ${command.positionals === 0 ? 'no arguments' : `at most ${command.positionals} argument(s)`}, got "${rest.join(' ')}"`,
        {
          hint: command.help.split('\n')[0] ?? '',
        },
      )
    }
    const globals = {
      cwd: (values.cwd as string | undefined) ?? context.cwd,
      json: values.json === true,
      debug,
    }
    return await command.run(context, values, rest, globals)
  } catch (error) {
    return renderError(error, context, debug)
  }
}

function renderError(thrown: unknown, context: CliContext, debug: boolean): number {
  // a write the filesystem refused (ENOSPC, EROFS, EACCES) is the user's to fix, not a bug
  const error = isPolyshipError(thrown) ? thrown : (writeFailure(thrown) ?? thrown)
  annotateError(error, context)
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
