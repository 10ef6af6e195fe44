import { CoreError } from './errors.ts'
import { redact, secretValues } from './redact.ts'

export interface RunOptions {
  readonly cwd?: string
  /** The complete environment of the child; defaults to this process's. Nothing is merged in. */
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly input?: string | Uint8Array
  /** Kill the child after this many milliseconds (default: 30 minutes). */
  readonly timeoutMs?: number
  /** Extra literal secrets to keep out of error messages (secret-looking env values are added). */
  readonly secrets?: readonly string[]
  /** Return bytes instead of text on stdout. */
  readonly binary?: boolean
  readonly signal?: AbortSignal
  /** Exit codes besides 0 that are results, not failures (e.g. a linter's 1 = findings); see `RunResult.exitCode`. */
  readonly okExitCodes?: readonly number[]
  /** Hand the terminal to the tool (stdin, stdout, stderr inherited): for interactive tools only. */
  readonly interactive?: boolean
}

export interface RunResult {
  readonly stdout: string
  readonly stderr: string
  /** Set when the tool exited with one of `okExitCodes` (undefined means 0). */
  readonly exitCode?: number
}

const STDERR_TAIL_LINES = 20
const DEFAULT_TIMEOUT_MS = 30 * 60_000

/** Quotes argv the way a POSIX shell would need it, for messages only. */
export function formatCommand(command: string, args: readonly string[]): string {
  return [command, ...args]
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`))
    .join(' ')
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

/**
 * The one boundary through which polyship runs external tools: argv only, never a shell;
 * errors carry the escaped command, the exit code and the tail of stderr, with credentials
 * redacted (URL userinfo, auth headers, values of secret-looking env vars).
 */
export async function run(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const env = options.env ?? process.env
  const secrets = [...(options.secrets ?? []), ...secretValues(env), ...secretValues(process.env)]
  const shown = redact(formatCommand(command, args), secrets)
  // Loaded on first use: execa costs ~150 ms of start-up that commands without tools never need.
  const { execa } = await import('execa')
  const result = await execa(command, args, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.interactive
      ? { stdio: 'inherit' as const }
      : options.input === undefined
        ? { stdin: 'ignore' as const }
        : { input: options.input }),
    ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
    env: env as Record<string, string>,
    extendEnv: false,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    reject: false,
    stripFinalNewline: false,
  })
  // Inherited streams are not captured: execa reports them as undefined.
  const stdout = result.stdout ?? ''
  const stderrText = result.stderr ?? ''
  if (!result.failed) return { stdout, stderr: stderrText }
  if (
    result.exitCode !== undefined &&
    !result.timedOut &&
    result.signal === undefined &&
    options.okExitCodes?.includes(result.exitCode)
  ) {
    return { stdout, stderr: stderrText, exitCode: result.exitCode }
  }

  const where = options.cwd === undefined ? '' : ` (in ${options.cwd})`
  if (
    (result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' &&
    result.exitCode === undefined
  ) {
    throw new CoreError('SUBPROCESS_NOT_FOUND', `${command}: command not found, running: ${shown}${where}`, {
      hint: `install ${command} or put it on PATH (tools/bootstrap.sh --test installs the tools polyship's tests use)`,
    })
  }
  if (result.timedOut) {
    throw new CoreError(
      'SUBPROCESS_TIMEOUT',
      `timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms: ${shown}${where}`,
      {
        hint: 'the tool hung or the machine is overloaded; re-run with --debug to see its output',
      },
    )
  }
  const status = result.exitCode === undefined ? `killed by ${result.signal}` : `exit code ${result.exitCode}`
  // Some tools (helm lint) print the finding on stdout and only a summary on stderr: show both.
  const stderr = redact(
    tail([stdout, stderrText].filter((t) => t.trim() !== '').join('\n'), STDERR_TAIL_LINES),
    secrets,
  )
  throw new SubprocessError(`${shown} failed with ${status}${where}${stderr ? `:\n${stderr}` : ''}`, {
    command: shown,
    exitCode: result.exitCode,
    stderrTail: stderr,
  })
}

/** A failed tool run; `command` and `stderrTail` are already redacted. */
export class SubprocessError extends CoreError {
  readonly command: string
  readonly exitCode: number | undefined
  readonly stderrTail: string

  constructor(
    message: string,
    details: { command: string; exitCode: number | undefined; stderrTail: string },
  ) {
    super('SUBPROCESS_FAILED', message, {
      hint: 'read the tool output above; re-run with --debug for all of it',
    })
    this.command = details.command
    this.exitCode = details.exitCode
    this.stderrTail = details.stderrTail
  }
}

/** Whether a tool is on PATH (runs `<tool> --version`). */
export async function hasTool(
  command: string,
  versionArgs: readonly string[] = ['--version'],
): Promise<boolean> {
  try {
    await run(command, versionArgs, { timeoutMs: 30_000 })
    return true
  } catch (error) {
    if (error instanceof CoreError) return false
    throw error
  }
}
