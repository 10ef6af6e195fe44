import { readFile } from 'node:fs/promises'
import { basename, posix, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { sha256 } from '@polyship/core'
import { parseChartYaml } from '../chart/chart-yaml.ts'
import { checkChartSize, checkFileSize, MAX_CHART_BYTES } from '../chart/limits.ts'
import { HelmError } from '../errors.ts'
import { type PackagedChart, packagedChart } from './package-chart.ts'

const BLOCK = 512

interface TarFile {
  readonly path: string
  readonly data: Buffer
  readonly mtime: number
}

/**
 * Reads a chart package made elsewhere (by `packageChart` in another CI job, or by
 * `helm package`) so it can be pushed: checks it the way Helm's loader does (every entry
 * under one `<name>/` directory, no absolute or `..` paths, Helm's size limits, a valid
 * Chart.yaml) and derives the OCI config blob. `created` is the Chart.yaml entry's mtime.
 */
export async function readPackagedChart(
  file: string,
  options: { readonly project?: string } = {},
): Promise<PackagedChart> {
  const path = resolve(file)
  const bytes = await readFile(path)
  const bad = (problem: string, cause?: unknown) =>
    new HelmError('HELM_ARCHIVE_INVALID', `${file}: ${problem}`, {
      file,
      hint: 'package the chart again (polyship or helm package); Helm would refuse this archive',
      ...(cause === undefined ? {} : { cause }),
    })
  let tar: Buffer
  try {
    // Headers and padding add at most a few blocks per file on top of Helm's limit.
    tar = gunzipSync(bytes, { maxOutputLength: MAX_CHART_BYTES + 16 * 1024 * 1024 })
  } catch (error) {
    if (error instanceof RangeError) {
      throw new HelmError('HELM_TOO_LARGE', `${file} decompresses to more than Helm's 100 MiB chart limit`, {
        file,
      })
    }
    throw bad('not a gzip archive', error)
  }
  const files = tarFiles(tar, bad)
  const top = files[0]?.path.split('/')[0]
  if (top === undefined) throw bad('no files in chart archive')
  for (const entry of files) {
    const clean = posix.normalize(entry.path)
    if (
      entry.path.startsWith('/') ||
      clean.startsWith('../') ||
      clean.split('/')[0] !== top ||
      clean === top
    ) {
      throw bad(`entry "${entry.path}" is not inside ${top}/`)
    }
    checkFileSize(`${file}!${entry.path}`, entry.data.length)
  }
  checkChartSize(
    basename(file),
    files.map((entry) => ({ size: entry.data.length })),
  )
  const chartYaml = files.find((entry) => entry.path === `${top}/Chart.yaml`)
  if (chartYaml === undefined) throw bad(`no ${top}/Chart.yaml`)
  const { metadata } = parseChartYaml(chartYaml.data.toString('utf8'), `${file}!${chartYaml.path}`)
  if (metadata.name !== top)
    throw bad(`Chart.yaml names ${metadata.name} but the archive's directory is ${top}/`)
  return packagedChart(metadata, {
    file: path,
    digest: sha256(bytes),
    size: bytes.length,
    created: chartYaml.mtime,
    project: options.project,
  })
}

/** Regular files of a tar (USTAR, PAX `path`/`size`/`mtime` records, GNU long names). */
function tarFiles(tar: Buffer, bad: (problem: string) => HelmError): TarFile[] {
  const files: TarFile[] = []
  let pax: Record<string, string> = {}
  let longName: string | undefined
  for (let offset = 0; offset + BLOCK <= tar.length; ) {
    const header = tar.subarray(offset, offset + BLOCK)
    if (header.every((byte) => byte === 0)) break
    const field = (start: number, length: number) => {
      const raw = header.subarray(start, start + length)
      const end = raw.indexOf(0)
      return raw.subarray(0, end === -1 ? length : end).toString('utf8')
    }
    const number = (start: number, length: number) => {
      const text = field(start, length).trim()
      const value = text === '' ? 0 : Number.parseInt(text, 8)
      if (Number.isNaN(value)) throw bad(`corrupt tar header at byte ${offset}`)
      return value
    }
    const type = field(156, 1) || '0'
    const size = pax.size === undefined ? number(124, 12) : Number(pax.size)
    const prefix = field(345, 155)
    const name = pax.path ?? longName ?? (prefix === '' ? field(0, 100) : `${prefix}/${field(0, 100)}`)
    const dataStart = offset + BLOCK
    if (dataStart + size > tar.length) throw bad(`truncated tar entry ${name}`)
    const data = tar.subarray(dataStart, dataStart + size)
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK
    if (type === 'x') {
      pax = parsePax(data)
      continue
    }
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '')
      continue
    }
    if (type === '0' || type === '7') {
      const mtime = pax.mtime === undefined ? number(136, 12) : Math.floor(Number(pax.mtime))
      files.push({ path: name.replaceAll('\\', '/'), data: Buffer.from(data), mtime })
    }
    pax = {}
    longName = undefined
  }
  return files
}

/** `"<length> <key>=<value>\n"` records. */
function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {}
  for (let offset = 0; offset < data.length; ) {
    const space = data.indexOf(0x20, offset)
    const length = space === -1 ? Number.NaN : Number(data.subarray(offset, space).toString('latin1'))
    if (!Number.isInteger(length) || length <= 0) break
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8')
    const equals = record.indexOf('=')
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1)
    offset += length
  }
  return records
}
