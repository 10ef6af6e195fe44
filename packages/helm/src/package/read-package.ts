import { readFile } from 'node:fs/promises'
import { basename, posix, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { isPolyshipError, scanTar, sha256 } from '@polyship/core'
import { parseChartYaml } from '../chart/chart-yaml.ts'
import { checkChartSize, checkFileSize, MAX_CHART_BYTES } from '../chart/limits.ts'
import { HelmError } from '../errors.ts'
import { type PackagedChart, packagedChart } from './package-chart.ts'

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
  const files = await tarFiles(tar, file, bad)
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

/** Regular files of a chart's tar, in archive order, through core's one tar reader. */
async function tarFiles(tar: Buffer, file: string, bad: (problem: string, cause?: unknown) => HelmError) {
  try {
    const scan = await scanTar([tar], { keep: () => true, maxKept: MAX_CHART_BYTES, where: file })
    return scan.members
      .filter((member) => member.type === 'file')
      .map((member) => ({
        path: member.path.replaceAll('\\', '/'),
        data: scan.contents.get(member.path) ?? Buffer.alloc(0),
        mtime: member.mtime,
      }))
  } catch (error) {
    throw bad(isPolyshipError(error) ? error.message.replace(`${file} is `, '') : 'corrupt tar', error)
  }
}
