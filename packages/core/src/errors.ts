/**
 * Base of every coded polyship error. Each package declares its own subclass with a
 * code union (`OciError`, `BinaryError`, ...); the CLI prints `code`, `message` and
 * `hint` and exits non-zero. Programmer bugs stay plain `Error`.
 */
export class PolyshipError<Code extends string = string> extends Error {
  readonly code: Code
  /** What the user should do about it, one sentence. */
  readonly hint: string | undefined
  /** The file (and line) at fault, when the error is about one: CI annotates it. */
  readonly source: SourceLocation | undefined

  constructor(
    code: Code,
    message: string,
    options: { hint?: string; cause?: unknown; source?: SourceLocation } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.hint = options.hint
    this.source = options.source
  }
}

/** A place in a file: an absolute path, and a 1-based line and column when known. */
export interface SourceLocation {
  readonly file: string
  readonly line?: number
  readonly column?: number
}

export type CoreErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'CONFIG_URL_CREDENTIALS'
  | 'DIGEST_INVALID'
  | 'DIGEST_MISMATCH'
  | 'PLATFORM_INVALID'
  | 'SUBPROCESS_FAILED'
  | 'SUBPROCESS_NOT_FOUND'
  | 'SUBPROCESS_TIMEOUT'
  | 'ARCHIVE_INVALID_ENTRY'
  | 'ARCHIVE_TOO_LARGE'
  | 'ARCHIVE_CORRUPT'
  | 'ARCHIVE_UNSUPPORTED'
  | 'RECORD_INVALID'
  | 'SECRET_IN_OUTPUT'
  /** A network exchange timed out (connect, idle, deadline): see NetError. */
  | 'NET_TIMEOUT'
  | 'NET_TOO_LARGE'
  | 'NET_TLS_MISMATCH'
  /** A redirect polyship does not follow: too many or a loop, https to http, a method or body that cannot follow, no URL. */
  | 'NET_REDIRECT_LIMIT'
  | 'NET_REDIRECT_DOWNGRADE'
  | 'NET_REDIRECT_REFUSED'
  | 'NET_REDIRECT_INVALID'
  /** A file could not be written: no space (ENOSPC, EDQUOT), a read-only filesystem (EROFS), no permission. */
  | 'FS_WRITE_FAILED'

export class CoreError extends PolyshipError<CoreErrorCode> {}

export function isPolyshipError(error: unknown): error is PolyshipError {
  return error instanceof PolyshipError
}

/** Exhaustiveness guard for `switch` over a discriminated union. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`)
}
