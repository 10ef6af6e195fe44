import { existsSync, mkdirSync, rmdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { CoreError } from '../errors.ts'

const REASONS: Readonly<Record<string, { readonly what: string; readonly hint: string }>> = {
  ENOSPC: {
    what: 'no space left on the device',
    hint: 'free space on that filesystem (or point outDir or the destination at a disk with room) and run again: the interrupted write left nothing a re-run would take for complete',
  },
  EDQUOT: {
    what: 'the disk quota is exhausted',
    hint: 'raise the quota or free space (or point outDir or the destination elsewhere) and run again: the interrupted write left nothing a re-run would take for complete',
  },
  EROFS: {
    what: 'the filesystem is read-only',
    hint: 'mount it writable, or set outDir (and the embedded destinations) in polyship.json to a writable directory, and run again',
  },
  EACCES: {
    what: 'permission denied',
    hint: 'let this user write there (chmod/chown), or set outDir (and the embedded destinations) in polyship.json to a writable directory',
  },
  EPERM: {
    what: 'the operation is not permitted',
    hint: 'let this user write there (chmod/chown, chattr -i), or set outDir (and the embedded destinations) in polyship.json to a writable directory',
  },
  EFBIG: {
    what: 'the file is larger than the filesystem allows',
    hint: 'point outDir or the destination at a filesystem that takes large files',
  },
}

/**
 * FS_WRITE_FAILED naming `path` for an error that is the filesystem refusing a write (no
 * space, read-only, no permission), else undefined. `path` defaults to the one the error
 * carries; `what` says what was being written.
 */
export function writeFailure(error: unknown, path?: string, what?: string): CoreError | undefined {
  if (!(error instanceof Error)) return undefined
  const errno = error as NodeJS.ErrnoException & { dest?: string }
  // copyfile, link and rename carry the source in `path` and the target in `dest`
  const where = path ?? errno.dest ?? errno.path
  const code = errno.code === 'ENOENT' && errno.syscall === 'mkdir' ? mkdirReason(errno.path) : errno.code
  const reason = code === undefined ? undefined : REASONS[code]
  if (reason === undefined || where === undefined) return undefined
  return new CoreError(
    'FS_WRITE_FAILED',
    `cannot write ${where}${what === undefined ? '' : ` (${what})`}: ${reason.what} (${code})`,
    { hint: reason.hint, cause: error },
  )
}

/**
 * Node's recursive mkdir answers ENOENT on a read-only filesystem: making the first missing
 * level alone tells the real reason (EROFS, EACCES), or ENOENT when it was one.
 */
function mkdirReason(dir: string | undefined): string | undefined {
  if (dir === undefined) return 'ENOENT'
  let missing = dir
  while (!existsSync(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing)
  try {
    mkdirSync(missing)
    rmdirSync(missing)
    return 'ENOENT'
  } catch (real) {
    return (real as NodeJS.ErrnoException).code
  }
}

/** Rethrows a filesystem refusal as FS_WRITE_FAILED (see `writeFailure`), anything else as is. */
export function throwWriteFailure(error: unknown, path?: string, what?: string): never {
  throw writeFailure(error, path, what) ?? error
}
