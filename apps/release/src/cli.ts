import { type ParseArgsConfig, parseArgs } from 'node:util'
import manifest from '../package.json' with { type: 'json' }
import type { CliContext } from './context.ts'
import type { CliError as CliErrorType } from './errors.ts'

// Nothing but this file and package.json loads for `polyship --version`, `--help` and `help`:
// core (its redactor, its errors), the context and the commands load on first real use.
let CliError: typeof CliErrorType
async function loadCliSupport(): Promise<void> {
  CliError ??= (await import('./errors.ts')).CliError
}

/** polyship's own version, from its package.json (changesets bumps it). */
export const VERSION: string = manifest.version

const HELP = `polyship ${VERSION}: release every format of a polyglot monorepo in one command

Usage: polyship <command> [options]
       polyship help [command]

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
  help      show this help, or a command's (the same as 'polyship <command> --help')

Options:
  --cwd DIR   workspace to work in (default: the current directory)
  --json      machine-readable output
  --debug     show full tool output and stack traces
  -h, --help  show help for a command
  --version   print polyship's version

Examples:
  polyship init --dry-run
  polyship plan --json
  polyship release --dry-run
  polyship help release

Environment (every command):
  GITHUB_ACTIONS     "true": errors are also written as workflow ::error annotations
  GITHUB_WORKSPACE   the root annotations name files relative to
  The value of every variable whose name looks secret (*TOKEN*, *SECRET*, *PASSWORD*,
  *PASSPHRASE*, *API_KEY*, *AUTH*, ...) is hidden from all output.

Exit codes:
  0   success
  1   failure: a coded error (error CODE: ...) naming what is wrong, with a hint
  2   usage error: unknown command, unknown option, wrong arguments (CLI_USAGE,
      CLI_UNKNOWN_COMMAND); nothing was done
  70  a bug in polyship

Run 'polyship help <command>' (or 'polyship <command> --help') for a command's options,
examples and the environment variables it reads.
`

/** Exit code of usage errors (a wrong command line), as shell builtins, grep, diff and Go's flag package use. */
export const USAGE_EXIT = 2

/** The codes of errors in the command line itself: exit USAGE_EXIT. */
const USAGE_CODES: ReadonlySet<string> = new Set(['CLI_USAGE', 'CLI_UNKNOWN_COMMAND'])

type EnvList = readonly (readonly [name: string, what: string])[]

const BUILD_ENV: EnvList = [
  ['SOURCE_DATE_EPOCH', 'timestamp of archives, wheels, SBOMs (default: the commit time)'],
  ['GOFLAGS', "kept beside polyship's -mod=readonly for go build"],
  ['RUSTFLAGS, CARGO_ENCODED_RUSTFLAGS', 'appended to for cargo builds'],
  ['CARGO_HOME', 'cargo home of Rust builds'],
  ['POLYSHIP_CACHE', 'tool cache (default: $XDG_CACHE_HOME/polyship, ~/.cache/polyship)'],
  ['MATURIN, ZIG_COMMAND', 'the maturin and zig commands for Rust wheels'],
  ['UV_PYTHON_DOWNLOADS', 'passed to uv (default: never)'],
  ['POLYSHIP_UV', "the uv command for Python images' dependencies (default: uv on PATH)"],
  ['TMPDIR', 'temporary files (a private keyring for POLYSHIP_GPG_KEY among them)'],
]

const REGISTRY_ENV: EnvList = [
  ['DOCKER_CONFIG', 'docker config.json directory (default: ~/.docker): registry credentials'],
  ['REGISTRY_AUTH_FILE', 'podman-style auth file, read before the docker config'],
  ['XDG_RUNTIME_DIR, XDG_CONFIG_HOME', "podman's containers/auth.json, read after docker's"],
  ['HELM_REGISTRY_CONFIG, HELM_CONFIG_HOME', "helm's registry config.json, read after podman's"],
  [
    'POLYSHIP_HTTP_CONNECT_TIMEOUT, POLYSHIP_HTTP_IDLE_TIMEOUT, POLYSHIP_HTTP_DEADLINE',
    'network limits per call (default 10 s, 30 s, 60 s; e.g. 200ms, 2m)',
  ],
  [
    'POLYSHIP_HTTP_MIN_RATE, POLYSHIP_HTTP_MAX_RESPONSE, POLYSHIP_HTTP_RETRY_TIME, POLYSHIP_HTTP_NOTICE',
    'bytes/s a transfer may slow to, answer size cap (64MiB), time for all retries (60 s), when to say it is waiting',
  ],
]

const SIGNING_ENV: EnvList = [
  ['POLYSHIP_SIGNING_KEY', 'the signing key (PEM), instead of a key file'],
  ['POLYSHIP_SIGNING_KEY_PASSPHRASE, COSIGN_PASSWORD', "the signing key's passphrase"],
  ['XDG_CONFIG_HOME', 'where the generated key lives (default: ~/.config/polyship/cosign.key)'],
  ['SIGSTORE_ID_TOKEN', 'keyless: the OIDC token to sign with'],
  ['POLYSHIP_GPG_KEY, POLYSHIP_GPG_PASSPHRASE', 'signing.gpg: an armoured secret key and its passphrase'],
  ['GNUPGHOME', 'signing.gpg without POLYSHIP_GPG_KEY: the keyring (default: ~/.gnupg)'],
  [
    'ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN',
    "keyless signing and PyPI trusted publishing: GitHub Actions' OIDC token",
  ],
]

/** What `--help` of each command adds: examples (when its help has none) and the environment it reads. */
const COMMAND_EXTRAS: Record<string, { readonly examples?: readonly string[]; readonly env: EnvList }> = {
  init: { env: [] },
  plan: { examples: ['polyship plan', 'polyship plan --json | jq ".projects[].name"'], env: [] },
  changeset: { env: [] },
  status: { examples: ['polyship status', 'polyship status --json'], env: [] },
  version: {
    examples: ['polyship version', 'polyship version --json'],
    env: [],
  },
  build: {
    examples: [
      'polyship build',
      'polyship build --only time-server-go --platform linux/arm64',
      'SOURCE_DATE_EPOCH=1700000000 polyship build',
    ],
    env: BUILD_ENV,
  },
  package: {
    examples: ['polyship package', 'polyship package --only fastjson,mcp-stack'],
    env: BUILD_ENV,
  },
  release: {
    examples: [
      'polyship release --dry-run',
      'polyship release --snapshot',
      'polyship release --registry ghcr.io/acme --github-release acme/tools',
      'polyship release --split --shard 1/3   then   polyship release --merge dist/shards',
    ],
    env: [
      ...BUILD_ENV,
      ['GITHUB_TOKEN', "GitHub releases (or the destination's tokenEnv); ghcr.io without other credentials"],
      ['GITHUB_ACTOR', 'user name for ghcr.io with GITHUB_TOKEN'],
      ['GITHUB_API_URL, GITHUB_SERVER_URL', 'GitHub Enterprise endpoints'],
      ...REGISTRY_ENV,
      ['PYPI_TOKEN', "PyPI upload token (or the destination's tokenEnv)"],
      [
        'TWINE_REPOSITORY_URL, TWINE_REPOSITORY, TWINE_USERNAME, TWINE_PASSWORD',
        'a pypi destination as twine reads them, after polyship.json, before ~/.pypirc',
      ],
      ['NPM_TOKEN, NODE_AUTH_TOKEN', 'npm token when no .npmrc line matches'],
      ['NPM_CONFIG_USERCONFIG', 'the user .npmrc (default: ~/.npmrc)'],
      ...SIGNING_ENV,
      ['GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_REF', 'SLSA provenance of CI builds: what was built'],
      [
        'GITHUB_WORKFLOW_REF, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT',
        'SLSA provenance: the workflow run that built it',
      ],
      ['GITHUB_OUTPUT, GITHUB_STEP_SUMMARY', 'outputs and the job summary, in GitHub Actions'],
      ['CHANGESETS_OUTPUT', 'file the written tags are appended to (changesets/action)'],
      ['MCP_REGISTRY_TOKEN', "the MCP registry's token (or destinations.mcpRegistry.tokenEnv)"],
    ],
  },
  verify: {
    env: [
      ...REGISTRY_ENV,
      ['GITHUB_TOKEN', 'ghcr.io without other credentials'],
      ['POLYSHIP_TUF_MIRROR', "the TUF mirror for Sigstore's trusted root"],
      ['XDG_CACHE_HOME', 'where the trusted root is cached (default: ~/.cache)'],
    ],
  },
}

/**
 * A command's full help: its own text, then examples (when the text has none) and the
 * environment variables it reads. `polyship help NAME` and `polyship NAME --help` print this.
 */
function commandHelp(name: string, command: Command): string {
  const extras = COMMAND_EXTRAS[name] ?? { env: [] }
  let text = command.help.replace(/\n+$/, '\n')
  if (!/^Examples?:/m.test(text)) {
    const examples = extras.examples ?? [`polyship ${name}`]
    text += `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n`
  }
  const column = 24
  const row = ([n, what]: readonly [string, string]): string =>
    n.length < column - 1 ? `  ${n.padEnd(column)}${what}` : `  ${n}\n  ${' '.repeat(column)}${what}`
  text +=
    extras.env.length === 0
      ? "\nEnvironment: none of its own (see 'polyship help' for the variables every command reads).\n"
      : `\nEnvironment:\n${extras.env.map(row).join('\n')}\n`
  return text
}

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
  const quick = bareGlobals(args)
  if (quick !== undefined) {
    // constant texts: nothing in them to redact
    given.stdout.write(quick.version ? `${VERSION}\n` : HELP)
    return quick.version || quick.help ? 0 : USAGE_EXIT
  }
  const { redactingContext } = await import('./context.ts')
  const context = redactingContext(given)
  let debug = args.includes('--debug')
  try {
    await loadCliSupport()
    const name = commandName(args)
    if (name === 'help') return await help(args, context)
    const command = name === undefined ? undefined : await loadCommand(name)
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
      context.stdout.write(commandHelp(name!, command))
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
    return await renderError(error, context, debug)
  }
}

/**
 * The flags of `polyship`, `polyship --version` and `polyship --help` when that is all the
 * command line holds (no command, no value), and a bare `polyship help`: answered before
 * anything else is loaded.
 */
function bareGlobals(args: readonly string[]): { version: boolean; help: boolean } | undefined {
  if (args.length === 1 && args[0] === 'help') return { version: false, help: true }
  const bare = new Set(['--version', '--help', '-h', '--json', '--debug'])
  if (!args.every((arg) => bare.has(arg))) return undefined
  return { version: args.includes('--version'), help: args.includes('--help') || args.includes('-h') }
}

async function loadCommand(name: string): Promise<Command> {
  const load = COMMANDS[name]
  if (load === undefined) {
    throw new CliError('CLI_UNKNOWN_COMMAND', `unknown command "${name}"`, {
      hint: `commands: ${Object.keys(COMMANDS).join(', ')}, help; run 'polyship help'`,
    })
  }
  return load()
}

/** `polyship help [command]`: the overview, or exactly what `polyship <command> --help` prints. */
async function help(args: readonly string[], context: CliContext): Promise<number> {
  const { positionals } = parse(args, {})
  const [, topic, ...rest] = positionals
  if (rest.length > 0) {
    throw new CliError(
      'CLI_USAGE',
      `help takes at most one command, got "${positionals.slice(1).join(' ')}"`,
      {
        hint: 'e.g. polyship help release',
      },
    )
  }
  if (topic === undefined || topic === 'help') {
    context.stdout.write(HELP)
    return 0
  }
  context.stdout.write(commandHelp(topic, await loadCommand(topic)))
  return 0
}

async function renderError(thrown: unknown, context: CliContext, debug: boolean): Promise<number> {
  const { isPolyshipError, redact, secretValues, writeFailure } = await import('@polyship/core')
  const { annotateError } = await import('./github-actions.ts')
  // a write the filesystem refused (ENOSPC, EROFS, EACCES) is the user's to fix, not a bug
  const error = isPolyshipError(thrown) ? thrown : (writeFailure(thrown) ?? thrown)
  annotateError(error, context)
  const secrets = secretValues(context.env)
  if (isPolyshipError(error)) {
    const lines = [`error ${error.code}: ${error.message}`]
    if (error.hint) lines.push(`  hint: ${error.hint}`)
    if (debug && error.cause) lines.push(`  cause: ${String((error.cause as Error).stack ?? error.cause)}`)
    context.stderr.write(`${redact(lines.join('\n'), secrets)}\n`)
    return USAGE_CODES.has(error.code) ? USAGE_EXIT : 1
  }
  context.stderr.write(
    `${redact(String((error as Error)?.stack ?? error), secrets)}\nthis is a bug in polyship; please report it\n`,
  )
  return 70
}
