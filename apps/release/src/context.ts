import { redact, registerSecrets, secretValues } from '@polyship/core'

/** An output stream as commands see it: text in, optionally a terminal. */
export interface OutputStream {
  write(text: string): unknown
  readonly isTTY?: boolean
}

/** What a command needs from the outside world; tests pass literals. */
export interface CliContext {
  readonly stdout: OutputStream
  readonly stderr: OutputStream
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
}

const REDACTING = Symbol('polyship.redacting')

function text(chunk: unknown): string {
  if (typeof chunk === 'string') return chunk
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8')
  return String(chunk)
}

/**
 * `stream` with every write passed through core's redactor first. The result is a proxy, so
 * a terminal keeps everything listr2's live renderer reads from it (columns, `on('resize')`);
 * a `write` assigned to it (listr2 hijacking output while it renders) is kept on the proxy
 * and sees the redacted text, never replacing the real stream's method.
 */
function redactingStream<S extends OutputStream>(stream: S): S {
  if ((stream as { [REDACTING]?: true })[REDACTING]) return stream
  const redactingWrite = (chunk: unknown, ...rest: unknown[]) => {
    // an encoding argument describes the chunk we replaced by a string; keep only a callback
    const callback = rest.find((arg) => typeof arg === 'function')
    return (stream.write as (...args: unknown[]) => unknown).call(
      stream,
      redact(text(chunk)),
      ...(callback === undefined ? [] : [callback]),
    )
  }
  let assigned: unknown
  return new Proxy(stream, {
    get(target, property) {
      if (property === REDACTING) return true
      if (property === 'write') return assigned ?? redactingWrite
      const value = Reflect.get(target, property, target) as unknown
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
    set(target, property, value) {
      if (property !== 'write') return Reflect.set(target, property, value, target)
      assigned = value === redactingWrite ? undefined : value
      return true
    },
  })
}

/**
 * The context with stdout and stderr redacted: whatever a command, listr2, an error line or a
 * `--debug` trace writes passes through core's redactor, which hides every credential
 * registered so far (secret-looking variables of `env` are registered here) plus URL userinfo
 * and auth header values. The one place output leaves polyship.
 */
export function redactingContext(context: CliContext): CliContext {
  // guessed from names (GIT_AUTHOR_NAME matches AUTH): hidden from output, not refused in records
  registerSecrets(secretValues(context.env), { refuse: false })
  return { ...context, stdout: redactingStream(context.stdout), stderr: redactingStream(context.stderr) }
}
