import { CoreError, type CoreErrorCode } from './errors.ts'

/**
 * What gave out: the connection, the wait for a byte, the whole exchange, the size cap, the
 * TLS handshake; or a redirect polyship would not follow (too many or a loop, https to
 * http, a method or body that cannot follow, a Location that is no URL).
 */
export type NetFailure =
  | 'connect'
  | 'idle'
  | 'deadline'
  | 'size'
  | 'tls'
  | 'redirect-limit'
  | 'downgrade'
  | 'redirect-refused'
  | 'redirect-invalid'

const CODES = {
  connect: 'NET_TIMEOUT',
  idle: 'NET_TIMEOUT',
  deadline: 'NET_TIMEOUT',
  size: 'NET_TOO_LARGE',
  tls: 'NET_TLS_MISMATCH',
  'redirect-limit': 'NET_REDIRECT_LIMIT',
  downgrade: 'NET_REDIRECT_DOWNGRADE',
  'redirect-refused': 'NET_REDIRECT_REFUSED',
  'redirect-invalid': 'NET_REDIRECT_INVALID',
} as const satisfies Record<NetFailure, CoreErrorCode>

/**
 * A network exchange polyship gave up on: NET_TIMEOUT (connect, idle, deadline),
 * NET_TOO_LARGE (size cap), NET_TLS_MISMATCH or a NET_REDIRECT_* refusal; the message
 * names the host and what.
 */
export class NetError extends CoreError {
  readonly host: string
  readonly failure: NetFailure

  constructor(
    failure: NetFailure,
    host: string,
    message: string,
    options: { readonly hint?: string; readonly cause?: unknown } = {},
  ) {
    super(CODES[failure], message, { ...options })
    this.host = host
    this.failure = failure
  }

  /** Timeouts may be retried (within the retry budget); a size cap, a TLS mismatch or a refused redirect never. */
  get retryable(): boolean {
    return this.failure === 'connect' || this.failure === 'idle' || this.failure === 'deadline'
  }

  /** The same failure, saying how many tries and how long it took before polyship gave up. */
  gaveUp(tries: number, elapsed: string): NetError {
    if (tries <= 1) return this
    return new NetError(
      this.failure,
      this.host,
      `${this.message} (gave up after ${tries} tries in ${elapsed})`,
      {
        ...(this.hint === undefined ? {} : { hint: this.hint }),
        cause: this,
      },
    )
  }
}

export function isNetError(error: unknown): error is NetError {
  return error instanceof NetError
}
