import { PolyshipError } from '@polyship/core'

export type WheelErrorCode =
  /** pyproject.toml or Cargo.toml unreadable or unparseable, or without a project name. */
  | 'WHEEL_PYPROJECT_INVALID'
  /** No version polyship can find: not static, not in the backend's version file, not from a VCS plugin. */
  | 'WHEEL_VERSION_MISSING'
  /** A manifest or built file carries another version than the one being released. */
  | 'WHEEL_VERSION_MISMATCH'
  /** The Python distribution name differs from package.json's name and no mapping is declared. */
  | 'WHEEL_NAME_MISMATCH'
  | 'WHEEL_MATURIN_MISSING'
  | 'WHEEL_UV_MISSING'
  /** The build backend (through maturin or uv) failed; the message carries the tail of its output. */
  | 'WHEEL_BUILD_FAILED'
  /** Not a wheel or sdist we can read: bad file name, corrupt zip or tar, missing METADATA. */
  | 'WHEEL_ARCHIVE_INVALID'
  /** RECORD is missing, malformed, or disagrees with the wheel's contents. */
  | 'WHEEL_RECORD_INVALID'
  /** A platform tag the destination index refuses (PyPI takes no plain `linux_x86_64`). */
  | 'WHEEL_PLATFORM_REJECTED'
  | 'WHEEL_UPLOAD_FORBIDDEN'
  | 'WHEEL_UPLOAD_REJECTED'
  | 'WHEEL_INDEX_UNREACHABLE'
  /** `destinations.wheels.url` is not an absolute http(s) URL. */
  | 'WHEEL_INDEX_URL_INVALID'
  /** Credentials would travel over plain http to a host that is not loopback. */
  | 'WHEEL_INDEX_INSECURE'
  | 'WHEEL_INDEX_ERROR'
  | 'WHEEL_TRUSTED_PUBLISHING_FAILED'
  /** The index holds different bytes under a file name being published. */
  | 'WHEEL_CONFLICT'

export class WheelError extends PolyshipError<WheelErrorCode> {}

/** One file name the index holds with other bytes than the ones being published. */
export interface WheelConflict {
  readonly filename: string
  /** What the index holds; undefined when it refuses the name without listing it (a deleted file on PyPI). */
  readonly existing: `sha256:${string}` | undefined
  readonly wanted: `sha256:${string}`
}

/** WHEEL_CONFLICT, with every conflicting file. */
export class WheelConflictError extends WheelError {
  readonly conflicts: readonly WheelConflict[]

  constructor(index: string, conflicts: readonly WheelConflict[]) {
    const lines = conflicts.map((c) =>
      c.existing === undefined
        ? `${c.filename}: the index refuses the name (a file of that name was uploaded before, maybe deleted since), we have ${c.wanted}`
        : `${c.filename}: the index holds ${c.existing}, we have ${c.wanted}`,
    )
    super(
      'WHEEL_CONFLICT',
      `${index} already has different files under these names; nothing of this project was published:\n  ${lines.join('\n  ')}`,
      {
        hint: 'published files are immutable: release a new version (or rebuild exactly the published bytes); never overwrite',
      },
    )
    this.conflicts = conflicts
  }
}
