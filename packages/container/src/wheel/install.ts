import { createHash } from 'node:crypto'
import { mkdir, open } from 'node:fs/promises'
import { join, posix } from 'node:path'
import {
  type ArchiveEntry,
  CoreError,
  openZip,
  wheelRecordHash,
  type ZipEntry,
  type ZipReader,
} from '@polyship/core'
import type { PythonSettings } from '../base/python.ts'
import { ContainerError } from '../errors.ts'
import { fileIn, fileNameProblem, imagePath } from '../layer/image-path.ts'
import { launcherScript, parseScriptEntryPoints } from './entry-points.ts'
import { formatRecord, newRecordHasher, parseRecord, type RecordRow } from './record.ts'
import type { WheelName } from './wheel-tags.ts'

/** Written into `<dist-info>/INSTALLER`, as pip writes `pip`. */
export const INSTALLER = 'polyship'

/**
 * Installs a wheel the way pip would, without pip or Python (PEP 427 / the binary
 * distribution format): root files into site-packages (purelib and platlib are the same
 * directory in an image), `.data/` purelib/platlib/scripts/headers/data to their schemes
 * (`#!python` in scripts rewritten to the image's interpreter), every file checked against
 * RECORD, a launcher per console/gui script, INSTALLER added and RECORD rewritten with the
 * installed paths. Files are extracted to `stagingDir`; returns the layer's entries.
 */
export async function installWheel(
  path: string,
  name: WheelName,
  python: PythonSettings,
  stagingDir: string,
): Promise<ArchiveEntry[]> {
  const where = name.filename
  await using zip = await openWheel(path, where)
  const distInfo = findDistInfo(zip, where)
  const wheelFile = parseWheelFile((await zip.read(zip.find(`${distInfo}/WHEEL`)!)).toString('utf8'), where)
  if (!/^1\.\d+$/.test(wheelFile.get('Wheel-Version') ?? '')) {
    throw invalid(where, `Wheel-Version ${wheelFile.get('Wheel-Version') ?? '(missing)'} is not 1.x`)
  }
  const recordEntry = zip.find(`${distInfo}/RECORD`)
  if (recordEntry === undefined) throw invalid(where, `${distInfo}/RECORD is missing`)
  const record = new Map(
    parseRecord((await zip.read(recordEntry)).toString('utf8')).map((row) => [row.path, row]),
  )
  const dataDir = `${distInfo.slice(0, -'.dist-info'.length)}.data`
  const prefix = posix.dirname(python.scriptsDir)
  const schemes: Readonly<Record<string, string>> = {
    purelib: python.sitePackages,
    platlib: python.sitePackages,
    scripts: python.scriptsDir,
    headers: `/${fileIn(`${prefix}/include/python${python.version}`, name.distribution, `${where}: distribution name`, 'rename the project in pyproject.toml to a valid Python project name and rebuild the wheel')}`,
    data: prefix,
  }
  await mkdir(stagingDir, { recursive: true })
  const entries: ArchiveEntry[] = []
  const installed: RecordRow[] = []
  const add = (
    absolute: string,
    entry: Omit<Extract<ArchiveEntry, { type: 'file' }>, 'path' | 'type'>,
    hash: string,
    size: number,
  ) => {
    entries.push({ type: 'file', path: imagePath(absolute, where), ...entry })
    installed.push({ path: posix.relative(python.sitePackages, absolute), hash, size: String(size) })
  }

  let index = 0
  for (const entry of zip.entries) {
    if (entry.name.endsWith('/')) continue
    const parts = safeParts(entry.name, where)
    if (parts[0] === distInfo && ['RECORD', 'RECORD.jws', 'RECORD.p7s'].includes(parts.slice(1).join('/')))
      continue
    if (entry.symlink) throw invalid(where, `${entry.name} is a symbolic link, which wheels cannot hold`)
    const row = record.get(entry.name)
    if (row === undefined || row.hash === '')
      throw invalid(where, `${entry.name} is not listed with a hash in RECORD`)
    let destination: string
    let scheme = 'purelib'
    if (parts[0] === dataDir) {
      scheme = parts[1] ?? ''
      const base = schemes[scheme]
      if (base === undefined || parts.length < 3)
        throw invalid(where, `${entry.name}: unknown .data scheme "${scheme}"`)
      destination = posix.join(base, ...parts.slice(2))
    } else destination = posix.join(python.sitePackages, ...parts)
    const staged = join(stagingDir, `f${index++}`)
    const { hash, size } = await extract(
      zip,
      entry,
      row,
      staged,
      scheme === 'scripts' ? python.interpreter : undefined,
      where,
    )
    const executable = scheme === 'scripts' || ((entry.mode ?? 0) & 0o111) !== 0
    add(destination, { source: staged, mode: executable ? 0o755 : 0o644 }, hash, size)
  }

  const entryPoints = zip.find(`${distInfo}/entry_points.txt`)
  if (entryPoints !== undefined) {
    for (const script of parseScriptEntryPoints((await zip.read(entryPoints)).toString('utf8'), where)) {
      const content = launcherScript(script, python.interpreter)
      add(
        `/${fileIn(python.scriptsDir, script.name, `${where}: console script`, 'rename the script in [project.scripts] of pyproject.toml and rebuild the wheel')}`,
        { content, mode: 0o755 },
        wheelRecordHash(content),
        Buffer.byteLength(content),
      )
    }
  }
  const installer = `${INSTALLER}\n`
  add(
    posix.join(python.sitePackages, distInfo, 'INSTALLER'),
    { content: installer },
    wheelRecordHash(installer),
    installer.length,
  )
  const recordPath = posix.join(python.sitePackages, distInfo, 'RECORD')
  const recordText = formatRecord([
    ...installed,
    { path: posix.relative(python.sitePackages, recordPath), hash: '', size: '' },
  ])
  entries.push({ type: 'file', path: imagePath(recordPath, where), content: recordText })
  return entries
}

async function openWheel(path: string, where: string): Promise<ZipReader> {
  try {
    return await openZip(path, where)
  } catch (cause) {
    if (cause instanceof CoreError) throw invalid(where, cause.message, cause)
    throw cause
  }
}

/** Streams one entry to `file`, checking it against its RECORD hash; `interpreter` rewrites a `#!python` line. */
async function extract(
  zip: ZipReader,
  entry: ZipEntry,
  row: RecordRow,
  file: string,
  interpreter: string | undefined,
  where: string,
): Promise<{ hash: string; size: number }> {
  const check = newRecordHasher(row.hash)
  if (check === undefined)
    throw invalid(where, `${entry.name}: RECORD hash "${row.hash}" uses an unknown algorithm`)
  const installed = createHash('sha256')
  let size = 0
  const handle = await open(file, 'w')
  try {
    let first = interpreter !== undefined
    for await (let chunk of zip.stream(entry)) {
      check.update(chunk)
      if (first) {
        first = false
        const rewritten = rewriteShebang(chunk, interpreter!)
        if (rewritten !== undefined) chunk = rewritten
      }
      installed.update(chunk)
      size += chunk.length
      await handle.write(chunk)
    }
  } catch (cause) {
    if (cause instanceof CoreError) throw invalid(where, cause.message, cause)
    throw cause
  } finally {
    await handle.close()
  }
  if (!check.matches()) throw invalid(where, `${entry.name} does not match its RECORD hash`)
  return { hash: wheelRecordHash(installed), size }
}

/** `#!python` / `#!pythonw` (the wheel spec's placeholder) becomes `#!<interpreter>`. */
function rewriteShebang(chunk: Buffer, interpreter: string): Buffer | undefined {
  const match = /^#!pythonw?(\r?\n)/.exec(chunk.subarray(0, 16).toString('latin1'))
  if (match === null) return undefined
  return Buffer.concat([Buffer.from(`#!${interpreter}${match[1]}`), chunk.subarray(match[0].length)])
}

function findDistInfo(zip: ZipReader, where: string): string {
  const dirs = new Set(
    zip.entries
      .map((e) => e.name.split('/'))
      .filter((p) => p.length === 2 && p[0]!.endsWith('.dist-info') && p[1] === 'WHEEL')
      .map((p) => p[0]!),
  )
  if (dirs.size !== 1)
    throw invalid(
      where,
      dirs.size === 0
        ? 'no *.dist-info/WHEEL file'
        : `several .dist-info directories: ${[...dirs].join(', ')}`,
    )
  return [...dirs][0]!
}

function parseWheelFile(text: string, where: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
  }
  if (fields.size === 0) throw invalid(where, 'WHEEL is empty')
  return fields
}

function safeParts(name: string, where: string): string[] {
  const parts = name.split('/')
  const problem = name.startsWith('/')
    ? 'it is absolute'
    : parts.map(fileNameProblem).find((p) => p !== undefined)
  if (problem !== undefined) {
    throw new ContainerError(
      'CONTAINER_PATH_ESCAPES',
      `${where}: entry ${JSON.stringify(name)} would be written outside site-packages or under another name (${problem})`,
      {
        hint: 'the wheel is malformed or hostile; rebuild it with a standard build backend (maturin, setuptools, hatchling)',
      },
    )
  }
  return parts
}

function invalid(where: string, problem: string, cause?: unknown): ContainerError {
  return new ContainerError('CONTAINER_WHEEL_INVALID', `${where}: ${problem}`, {
    hint: 'rebuild the wheel; a wheel must carry one .dist-info with WHEEL and a RECORD that lists every file with its hash',
    ...(cause === undefined ? {} : { cause }),
  })
}
