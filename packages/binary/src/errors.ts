import { CoreError, PolyshipError, SubprocessError } from '@polyship/core'

export type BinaryErrorCode =
  /** go, cargo or rustc is absent, or older than go.mod's `go` line / Cargo.toml's `rust-version`. */
  | 'BINARY_TOOLCHAIN_MISSING'
  /** A platform the toolchain cannot target at all (Go's `go tool dist list`, or no Rust triple for it). */
  | 'BINARY_PLATFORM_UNSUPPORTED'
  /** The compiler failed; the message carries the tail of its output. */
  | 'BINARY_BUILD_FAILED'
  /** A release build was asked for a clean tree and the project has uncommitted changes (or no git). */
  | 'BINARY_DIRTY_TREE'
  /** No `polyship.binary` of this toolchain, no go.mod / Cargo.toml / Cargo.lock, no such bin target, a missing archive file. */
  | 'BINARY_PROJECT_INVALID'
  /** Cargo.toml's version is not the version being released (native manifests not synced). */
  | 'BINARY_VERSION_MISMATCH'
  /** Every configured platform was skipped on this machine; nothing to release. */
  | 'BINARY_NOTHING_BUILT'

export class BinaryError extends PolyshipError<BinaryErrorCode> {}

/**
 * Turns a failed compiler run into BINARY_BUILD_FAILED with its stderr tail (a missing
 * compiler into BINARY_TOOLCHAIN_MISSING); other errors pass through. `envShown` prefixes
 * the command in the hint (`GOOS=linux GOARCH=arm64 `) so it can be pasted into a shell.
 */
export function buildFailed(error: unknown, what: string, envShown = ''): unknown {
  if (error instanceof SubprocessError) {
    return new BinaryError(
      'BINARY_BUILD_FAILED',
      `${what} (exit code ${error.exitCode ?? '?'}):\n${error.stderrTail}`,
      {
        cause: error,
        hint: `fix the error above; reproduce with: ${envShown}${error.command}`,
      },
    )
  }
  if (error instanceof CoreError && error.code === 'SUBPROCESS_NOT_FOUND') {
    return new BinaryError('BINARY_TOOLCHAIN_MISSING', `${what}: ${error.message}`, {
      cause: error,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
    })
  }
  return error
}
