import { parseChartYaml } from '@polyship/helm'
import { parsing } from './manifest-error.ts'
import { dirOf, type NativeProject, type ReadText, type SkippedManifest } from './project.ts'

/**
 * Helm charts: every Chart.yaml, except charts vendored under another chart's `charts/`
 * (they are packaged inside their parent).
 */
export async function detectCharts(
  files: readonly string[],
  read: ReadText,
): Promise<{ projects: NativeProject[]; skipped: SkippedManifest[] }> {
  const chartFiles = files.filter((f) => f === 'Chart.yaml' || f.endsWith('/Chart.yaml'))
  const chartDirs = new Set(chartFiles.map(dirOf))
  const projects: NativeProject[] = []
  const skipped: SkippedManifest[] = []
  for (const file of chartFiles) {
    const dir = dirOf(file)
    const parent = dirOf(dir)
    if (parent.endsWith('/charts') || parent === 'charts') {
      const owner = dirOf(parent)
      if (chartDirs.has(owner)) {
        skipped.push({
          path: file,
          reason: `a dependency vendored in the chart at ${owner}: packaged with it`,
        })
        continue
      }
    }
    const text = await read(file)
    const { metadata } = parsing(file, () => parseChartYaml(text, file))
    projects.push({
      dir,
      kind: 'chart',
      nativeName: metadata.name,
      version: metadata.version,
      manifest: file,
      config: { chart: {} },
      ...(metadata.description === undefined ? {} : { description: metadata.description }),
      notes: ['to wire the images it deploys, map values paths to image projects in polyship.chart.images'],
    })
  }
  return { projects, skipped }
}
