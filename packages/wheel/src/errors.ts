import { PolyshipError } from '@polyship/core'
import type { HeldCopy } from './publish/held-copy.ts'

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
  /** A .pypirc that cannot be read or parsed, or whose repository has no upload URL. */
  | 'WHEEL_PYPIRC_INVALID'
  /** The repository named by `destinations.wheels.repository` or $TWINE_REPOSITORY is not in the .pypirc. */
  | 'WHEEL_PYPIRC_REPOSITORY_MISSING'
  | 'WHEEL_TRUSTED_PUBLISHING_FAILED'
  /** The index holds different bytes under a file name being published. */
  | 'WHEEL_CONFLICT'
  /** The index refused the PEP 740 attestations sent with an upload; the message says what was published before. */
  | 'WHEEL_ATTESTATION_REJECTED'
  /** The PEP 740 attestation of a file could not be signed; nothing was uploaded. */
  | 'WHEEL_ATTESTATION_FAILED'

export class WheelError extends PolyshipError<WheelErrorCode> {}

/** One file name the index holds with other bytes than the ones being published. */
export interface WheelConflict {
  readonly filename: string
  /** What the index holds; undefined when it refuses the name without listing it (a deleted file on PyPI). */
  readonly existing: `sha256:${string}` | undefined
  readonly wanted: `sha256:${string}`
  /** Where the index keeps it (a URL or a path). */
  readonly location?: string
  /** What the held file is, next to ours: empty, a truncated copy, or another file (see `heldCopyOf`). */
  readonly copy?: HeldCopy
  /** The project and version the file belongs to, for the removal command. */
  readonly project?: string
  readonly version?: string
}

/**
 * WHEEL_CONFLICT, with every conflicting file. A held file that is empty or a truncated
 * copy of ours is an upload cut off by a killed run, not another release: the message says
 * exactly what the index holds and the hint how to remove it, since a re-run alone never
 * gets past it.
 */
export class WheelConflictError extends WheelError {
  readonly conflicts: readonly WheelConflict[]

  constructor(index: string, conflicts: readonly WheelConflict[]) {
    const interrupted = conflicts.filter((c) => c.copy?.kind === 'empty' || c.copy?.kind === 'truncated')
    super(
      'WHEEL_CONFLICT',
      interrupted.length === conflicts.length
        ? `${index} holds a broken copy of ${conflicts.length === 1 ? 'a file' : 'files'} being published, left by an upload that was cut off (a killed or failed run); nothing of this project was published:\n  ${conflicts.map(describe).join('\n  ')}`
        : `${index} already has different files under these names; nothing of this project was published:\n  ${conflicts.map(describe).join('\n  ')}`,
      {
        hint:
          interrupted.length > 0
            ? wayOut(index, interrupted)
            : 'published files are immutable: release a new version (or rebuild exactly the published bytes); never overwrite',
      },
    )
    this.conflicts = conflicts
  }
}

const bytes = (n: number) => `${n} byte${n === 1 ? '' : 's'}`

function describe(c: WheelConflict): string {
  if (c.existing === undefined)
    return `${c.filename}: the index refuses the name (a file of that name was uploaded before, maybe deleted since), we have ${c.wanted}`
  switch (c.copy?.kind) {
    case 'empty':
      return `${c.filename}: the index holds an empty file (0 bytes) under this name; this build's file is ${bytes(c.copy.wantedSize)} (${c.wanted})`
    case 'truncated':
      return `${c.filename}: the index holds a truncated copy of this build's file: the first ${c.copy.size} of ${bytes(c.copy.wantedSize)}`
    case 'different':
      return c.copy.size === undefined
        ? `${c.filename}: the index holds ${c.existing}, we have ${c.wanted} (${bytes(c.copy.wantedSize)})`
        : `${c.filename}: the index holds ${c.existing} (${bytes(c.copy.size)}), we have ${c.wanted} (${bytes(c.copy.wantedSize)})`
    case undefined:
      return `${c.filename}: the index holds ${c.existing}, we have ${c.wanted}`
  }
}

/** How to remove broken copies from `index`, for the index at hand. */
function wayOut(index: string, broken: readonly WheelConflict[]): string {
  const names = broken.map((c) => c.filename).join(', ')
  if (index.startsWith('file:')) {
    const paths = broken.map((c) => c.location ?? c.filename).join(' ')
    return `delete the broken file${broken.length === 1 ? '' : 's'} (rm ${paths}) and run again: the file is published again whole`
  }
  if (/^https:\/\/(upload\.)?(test\.)?pypi\.org\//.test(index))
    return `PyPI never takes a file name twice, even deleted: remove ${names} in the project's PyPI settings and release a new version (a .post1 or the next patch)`
  const first = broken[0]!
  const removal =
    first.project === undefined || first.version === undefined
      ? ''
      : ` (pypiserver started with removal allowed: curl -u <user> -F :action=remove_pkg -F name=${first.project} -F version=${first.version} ${index}, which removes every file of that version; the run uploads them again)`
  return `delete ${names} from the index${removal}, or remove it from the directory the index serves, then run again: the file is uploaded again whole`
}
