import { HelmError } from '../errors.ts'

/**
 * Helm's loader limits (helm.sh/helm/v3/pkg/chart/loader, `MaxDecompressedFileSize` and
 * `MaxDecompressedChartSize`): a file over 5 MiB, or files adding up to 100 MiB or more,
 * and `helm pull`/`install`/`template` refuse the chart. We refuse it before publishing.
 */
export const MAX_FILE_BYTES = 5 * 1024 * 1024
export const MAX_CHART_BYTES = 100 * 1024 * 1024

export function checkFileSize(path: string, size: number): void {
  if (size > MAX_FILE_BYTES) {
    throw new HelmError(
      'HELM_TOO_LARGE',
      `${path} is ${size} bytes; Helm refuses chart files over ${MAX_FILE_BYTES} bytes (5 MiB)`,
      {
        file: path,
        hint: 'leave it out with .helmignore, or ship the data another way (an image, a ConfigMap built at deploy time)',
      },
    )
  }
}

/** `files` are every file of the packaged chart, subcharts included. */
export function checkChartSize(chart: string, files: readonly { readonly size: number }[]): void {
  const total = files.reduce((sum, file) => sum + file.size, 0)
  if (total >= MAX_CHART_BYTES) {
    throw new HelmError(
      'HELM_TOO_LARGE',
      `chart ${chart} holds ${total} bytes of files; Helm refuses charts of ${MAX_CHART_BYTES} bytes (100 MiB) or more once decompressed`,
      { hint: 'exclude large files with .helmignore; charts should carry manifests, not data' },
    )
  }
}
