import {
  CoreError,
  type CoreErrorCode,
  openZip,
  readTarGz,
  type TarListing,
  type ZipEntry,
  type ZipReader,
} from '@polyship/core'
import { WheelError } from '../errors.ts'

const ZIP_ERRORS: ReadonlySet<CoreErrorCode> = new Set([
  'ARCHIVE_CORRUPT',
  'ARCHIVE_UNSUPPORTED',
  'ARCHIVE_TOO_LARGE',
])

/**
 * core's zip reader with its archive errors (corrupt, unsupported, zip64) turned into
 * WHEEL_ARCHIVE_INVALID, the code wheel's callers handle; the message still names the file.
 * Close it (or `await using`) when done.
 */
export async function openWheelZip(path: string): Promise<ZipReader> {
  const zip = await openZip(path).catch(rethrow)
  return {
    path: zip.path,
    entries: zip.entries,
    find: (name) => zip.find(name),
    read: (entry) => zip.read(entry).catch(rethrow),
    stream: (entry) => wheelStream(zip, entry),
    close: () => zip.close(),
    [Symbol.asyncDispose]: () => zip.close(),
  }
}

async function* wheelStream(zip: ZipReader, entry: ZipEntry): AsyncGenerator<Buffer> {
  try {
    yield* zip.stream(entry)
  } catch (error) {
    rethrow(error)
  }
}

/** core's .tar.gz reader (sdists) with the same error translation. */
export async function readSdistTar(path: string, want: (name: string) => boolean): Promise<TarListing> {
  return readTarGz(path, want).catch(rethrow)
}

function rethrow(error: unknown): never {
  if (!(error instanceof CoreError) || !ZIP_ERRORS.has(error.code)) throw error
  throw new WheelError('WHEEL_ARCHIVE_INVALID', error.message, {
    hint: 'rebuild the file; a truncated download or a partial copy leaves a corrupt file',
    cause: error,
  })
}
