import { type ChildProcess, spawn } from 'node:child_process'
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

/** How a child ended: its output, and why it stopped when it did not exit with 0. */
interface Ended {
  readonly stdout: string
  readonly stderr: string
  /** Undefined when a signal ended it or it never started. */
  readonly exitCode: number | undefined
  readonly signal: NodeJS.Signals | undefined
  readonly timedOut: boolean
  /** Set when the child could not be started (ENOENT, EACCES). */
  readonly spawnError?: NodeJS.ErrnoException
}

/** A child killed with SIGTERM that is still running this long after gets SIGKILL. */
const FORCE_KILL_AFTER_MS = 5_000

/** Children still running, killed when polyship exits before them (a failed release's other compiles). */
const running = new Set<ChildProcess>()
let killOnExit = false

function watch(child: ChildProcess): void {
  running.add(child)
  child.once('close', () => running.delete(child))
  if (killOnExit) return
  killOnExit = true
  process.once('exit', () => {
    for (const orphan of running) orphan.kill('SIGKILL')
  })
}

/**
 * Spawns the tool, argv only, with exactly `env`; collects stdout and stderr as UTF-8 (decoded
 * whole, so a character split across chunks survives); SIGTERM at the time limit or on abort,
 * SIGKILL 5 s later if it still runs. node:child_process, not execa: this is all polyship
 * needs of a subprocess library, and execa's 111 modules cost ~70 ms of every process's
 * start-up (every command runs git), more than a `polyship plan` of a small workspace should take.
 */
function spawnTool(command: string, args: readonly string[], options: RunOptions): Promise<Ended> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: (options.env ?? process.env) as NodeJS.ProcessEnv,
      stdio: options.interactive
        ? 'inherit'
        : [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      windowsHide: true,
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk))
    let timedOut = false
    let forceKill: NodeJS.Timeout | undefined
    const stop = () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      forceKill ??= setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_AFTER_MS).unref()
    }
    const timer = setTimeout(() => {
      timedOut = true
      stop()
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS).unref()
    options.signal?.addEventListener('abort', stop, { once: true })
    if (options.signal?.aborted) stop()
    const settle = (ended: Omit<Ended, 'stdout' | 'stderr' | 'timedOut'>) => {
      clearTimeout(timer)
      clearTimeout(forceKill)
      options.signal?.removeEventListener('abort', stop)
      resolve({
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
        ...ended,
      })
    }
    child.once('error', (error: NodeJS.ErrnoException) => {
      // not started: no 'close' follows for certain; a running child's errors end in 'close'
      if (child.pid === undefined) settle({ exitCode: undefined, signal: undefined, spawnError: error })
    })
    child.once('close', (code, signal) =>
      settle({ exitCode: code ?? undefined, signal: signal ?? undefined }),
    )
    if (child.pid !== undefined) watch(child)
    if (child.stdin) {
      // a tool that exits without reading all its input is not an error of ours (EPIPE)
      child.stdin.on('error', () => {})
      child.stdin.end(options.input)
    }
  })
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
  const result = await spawnTool(command, args, options)
  const { stdout, stderr: stderrText } = result
  const clean = !result.timedOut && result.signal === undefined && result.spawnError === undefined
  if (clean && result.exitCode === 0) return { stdout, stderr: stderrText }
  if (clean && result.exitCode !== undefined && options.okExitCodes?.includes(result.exitCode)) {
    return { stdout, stderr: stderrText, exitCode: result.exitCode }
  }

  const where = options.cwd === undefined ? '' : ` (in ${options.cwd})`
  if (result.spawnError?.code === 'ENOENT') {
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
  const status =
    result.spawnError !== undefined
      ? `${result.spawnError.code ?? 'an error'} (${result.spawnError.message})`
      : result.exitCode === undefined
        ? `killed by ${result.signal}`
        : `exit code ${result.exitCode}`
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
