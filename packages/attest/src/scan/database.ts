import { mkdir, mkdtemp, open, readdir, rm, stat, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { AttestError } from '../errors.ts'

/** One ecosystem's OSV export, `<ecosystem>/all.zip` as osv.dev publishes it. */
export interface EcosystemDatabase {
  /** The OSV ecosystem name (`Go`, `crates.io`, `PyPI`, `npm`). */
  readonly ecosystem: string
  readonly file: string
  /** When the export was written (its mtime): what `maxAge` is measured against. */
  readonly modified: Date
}

/** An offline OSV database, checked: every ecosystem's zip readable and young enough. */
export interface OsvDatabase {
  /** As configured, for messages and the release record. */
  readonly path: string
  readonly ecosystems: readonly EcosystemDatabase[]
}

/** `7d`, `12h` -> milliseconds. */
export function parseMaxAge(text: string, field: string): number {
  const match = /^([1-9][0-9]*)([dh])$/.exec(text)
  if (match === null) {
    throw new AttestError('ATTEST_INPUT_INVALID', `${field}: "${text}" is not an age`, {
      hint: 'write a whole number of days or hours: "7d", "36h"',
    })
  }
  return Number(match[1]) * (match[2] === 'd' ? 86_400_000 : 3_600_000)
}

/** The subdirectory of `OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY` osv-scanner reads: v2.5 and later first. */
const CACHE_DIRS = ['osv-scalibr', 'osv-scanner'] as const

const ZIP_MAGIC = 0x04034b50
const EMPTY_ZIP_MAGIC = 0x06054b50

async function zipAt(file: string, ecosystem: string): Promise<EcosystemDatabase> {
  let modified: Date
  const head = Buffer.alloc(4)
  try {
    modified = (await stat(file)).mtime
    const handle = await open(file, 'r')
    try {
      await handle.read(head, 0, 4, 0)
    } finally {
      await handle.close()
    }
  } catch (cause) {
    throw new AttestError('ATTEST_SCAN_DB_UNREADABLE', `cannot read the OSV database ${file}`, {
      hint: 'check the file permissions of scan.database, or download the export again',
      cause,
    })
  }
  const magic = head.readUInt32LE(0)
  if (magic !== ZIP_MAGIC && magic !== EMPTY_ZIP_MAGIC) {
    throw new AttestError('ATTEST_SCAN_DB_UNREADABLE', `${file} is not a zip archive`, {
      hint: `an ecosystem's OSV export is the all.zip osv.dev publishes (https://osv-vulnerabilities.storage.googleapis.com/${ecosystem}/all.zip)`,
    })
  }
  return { ecosystem, file, modified }
}

async function directories(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)
}

/** `<dir>/<ecosystem>/all.zip` for every ecosystem directory that holds one. */
async function ecosystemsIn(dir: string): Promise<EcosystemDatabase[]> {
  const found: EcosystemDatabase[] = []
  for (const name of (await directories(dir)).sort()) {
    const file = join(dir, name, 'all.zip')
    const exists = await stat(file).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false
        throw error
      },
    )
    if (exists) found.push(await zipAt(file, name))
  }
  return found
}

/**
 * Opens the offline OSV database of `scan.database`: a directory of `<ecosystem>/all.zip`,
 * osv-scanner's own cache directory (`osv-scalibr/<ecosystem>/all.zip` inside it, as
 * `--download-offline-databases` writes it; `osv-scanner/` for releases before 2.5), or one `<ecosystem>/all.zip`. Refuses a database
 * that is missing, unreadable, empty, or older than `maxAgeMs`, before anything is built.
 */
export async function openOsvDatabase(
  path: string,
  options: { readonly maxAgeMs: number; readonly now: Date; readonly field?: string },
): Promise<OsvDatabase> {
  const field = options.field ?? 'scan.database'
  let info: Awaited<ReturnType<typeof stat>>
  try {
    info = await stat(path)
  } catch (cause) {
    throw new AttestError('ATTEST_SCAN_DB_MISSING', `${field}: no vulnerability database at ${path}`, {
      hint: 'download the OSV exports of your ecosystems (osv-scanner --download-offline-databases, or https://osv-vulnerabilities.storage.googleapis.com/<ecosystem>/all.zip into <dir>/<ecosystem>/), or release with --skip scan',
      cause,
    })
  }
  let ecosystems: EcosystemDatabase[]
  if (info.isFile()) {
    ecosystems = [await zipAt(path, basename(dirname(path)))]
  } else {
    try {
      ecosystems = await ecosystemsIn(path)
      // osv-scanner's own cache: <dir>/osv-scalibr/ (v2.5+), <dir>/osv-scanner/ before
      for (const cache of CACHE_DIRS) {
        if (ecosystems.length === 0 && (await directories(path)).includes(cache))
          ecosystems = await ecosystemsIn(join(path, cache))
      }
    } catch (cause) {
      if (cause instanceof AttestError) throw cause
      throw new AttestError('ATTEST_SCAN_DB_UNREADABLE', `${field}: cannot read the directory ${path}`, {
        hint: 'check its permissions',
        cause,
      })
    }
  }
  if (ecosystems.length === 0) {
    throw new AttestError('ATTEST_SCAN_DB_MISSING', `${field}: ${path} holds no <ecosystem>/all.zip`, {
      hint: "put each ecosystem's OSV export at <dir>/<ecosystem>/all.zip (e.g. Go/all.zip, crates.io/all.zip, PyPI/all.zip)",
    })
  }
  const stale = ecosystems.filter((e) => options.now.getTime() - e.modified.getTime() > options.maxAgeMs)
  if (stale.length > 0) {
    const days = (e: EcosystemDatabase) =>
      ((options.now.getTime() - e.modified.getTime()) / 86_400_000).toFixed(1)
    throw new AttestError(
      'ATTEST_SCAN_DB_STALE',
      `${field}: ${stale.map((e) => `${e.file} is ${days(e)} days old`).join('; ')}, older than scan.maxAge allows`,
      {
        hint: 'download the OSV exports again (a stale database misses new advisories), or raise scan.maxAge',
      },
    )
  }
  return { path, ecosystems }
}

/** The OSV ecosystem a package URL's packages are published in; undefined when the scanner has none. */
export function ecosystemOfPurl(purl: string): string | undefined {
  const type = /^pkg:([a-z0-9.+-]+)\//i.exec(purl)?.[1]?.toLowerCase()
  switch (type) {
    case 'golang':
      return 'Go'
    case 'cargo':
      return 'crates.io'
    case 'pypi':
      return 'PyPI'
    case 'npm':
      return 'npm'
    case 'maven':
      return 'Maven'
    case 'nuget':
      return 'NuGet'
    case 'gem':
      return 'RubyGems'
    default:
      return undefined
  }
}

/**
 * A directory in the layout osv-scanner reads with `--offline-vulnerabilities`
 * (`<dir>/osv-scalibr/<ecosystem>/all.zip` since v2.5; the docs still say `osv-scanner/`), linking to the configured exports so nothing is
 * copied and the user's database is never written. `dispose` removes the links.
 */
export async function stageForOsvScanner(
  database: OsvDatabase,
): Promise<{ readonly dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'polyship-osv-db-'))
  for (const e of database.ecosystems) {
    await mkdir(join(dir, CACHE_DIRS[0], e.ecosystem), { recursive: true })
    await symlink(resolve(e.file), join(dir, CACHE_DIRS[0], e.ecosystem, 'all.zip'))
  }
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) }
}
