import { CoreError } from './errors.ts'

/** What gave out: the connection, the wait for a byte, the whole exchange, the size cap, the TLS handshake. */
export type NetFailure = 'connect' | 'idle' | 'deadline' | 'size' | 'tls'

/**
 * A network exchange polyship gave up on: NET_TIMEOUT (connect, idle, deadline),
 * NET_TOO_LARGE (size cap) or NET_TLS_MISMATCH; the message names the host and what.
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
    super(
      failure === 'size' ? 'NET_TOO_LARGE' : failure === 'tls' ? 'NET_TLS_MISMATCH' : 'NET_TIMEOUT',
      message,
      {
        ...options,
      },
    )
    this.host = host
    this.failure = failure
  }

  /** Timeouts may be retried (within the retry budget); a size cap or a TLS mismatch never. */
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
