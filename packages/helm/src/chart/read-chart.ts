import { readFile, stat } from 'node:fs/promises'
import { basename, isAbsolute, join, relative, resolve } from 'node:path'
import { HelmError } from '../errors.ts'
import { type ChartYaml, parseChartYaml, parseRequirementsYaml } from './chart-yaml.ts'
import { type ChartFile, listChartFiles } from './files.ts'
import { type IgnoreRules, parseHelmignore } from './helmignore.ts'
import { parseValuesSchema, type ValuesSchema, validateValues } from './values.ts'
import { lineOf, parseYamlSource, type YamlSource } from './yaml-source.ts'

/** A chart directory, read and checked: what packaging starts from. */
export interface ChartSource {
  /** Absolute chart directory. */
  readonly dir: string
  readonly chart: ChartYaml
  /** values.yaml, when the chart has one. */
  readonly values: YamlSource | undefined
  /** values.schema.json, when the chart has one. */
  readonly schema: ValuesSchema | undefined
  /** Every file the chart ships, sorted, after .helmignore and polyship's exclusions. */
  readonly files: readonly ChartFile[]
  /** Whether the directory has a .helmignore (lint warns when it lacks polyship's exclusions). */
  readonly hasHelmignore: boolean
}

export interface ReadChartOptions {
  /** Paths in messages are shown relative to this directory (default: the process's). */
  readonly cwd?: string
}

export const CHART_FILE = 'Chart.yaml'
export const VALUES_FILE = 'values.yaml'
export const SCHEMA_FILE = 'values.schema.json'
export const HELMIGNORE_FILE = '.helmignore'
/** Where an apiVersion v1 chart lists its dependencies. */
export const REQUIREMENTS_FILE = 'requirements.yaml'

/**
 * Files polyship never ships, whatever .helmignore says: `node_modules/` at any depth
 * (pnpm links workspace dependencies there, pointing outside the chart) and the chart's
 * top-level `package.json` (the project manifest polyship and changesets read). Everything
 * else, CHANGELOG.md included, follows .helmignore exactly as `helm package` does.
 */
export function polyshipExcludes(path: string, isDirectory: boolean): boolean {
  return (isDirectory && basename(path) === 'node_modules') || path === 'package.json'
}

/**
 * Reads a chart directory and checks it: Chart.yaml (HELM_YAML_INVALID, HELM_CHART_INVALID,
 * HELM_VERSION_INVALID, HELM_NAME_INVALID, HELM_NAME_MISMATCH when `name` differs from the
 * directory), .helmignore, the files (HELM_PATH_ESCAPES, HELM_FILE_INVALID, HELM_TOO_LARGE),
 * values.yaml against values.schema.json (HELM_VALUES_SCHEMA). Errors name `file:line`.
 */
export async function readChart(dir: string, options: ReadChartOptions = {}): Promise<ChartSource> {
  const root = resolve(dir)
  const cwd = options.cwd ?? process.cwd()
  const show = (path: string) => {
    const rel = relative(cwd, path)
    return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel
  }
  const chartFile = join(root, CHART_FILE)
  const chartText = await readOptional(chartFile)
  if (chartText === undefined) {
    const exists = await stat(root).then(
      (s) => s.isDirectory(),
      () => false,
    )
    throw new HelmError(
      'HELM_CHART_MISSING',
      exists ? `${show(chartFile)} does not exist` : `${show(root)} is not a directory`,
      {
        file: show(chartFile),
        hint: 'point polyship.chart.path at the directory holding Chart.yaml',
      },
    )
  }
  const chart = await withRequirements(parseChartYaml(chartText, show(chartFile)), root, show)
  if (chart.metadata.name !== basename(root)) {
    const line = lineOf(chart.source, ['name'])
    throw new HelmError(
      'HELM_NAME_MISMATCH',
      `${show(chartFile)}:${line}: name is "${chart.metadata.name}" but the chart directory is "${basename(root)}"`,
      {
        file: show(chartFile),
        ...(line === undefined ? {} : { line }),
        hint: `Helm requires the chart's directory to carry its name: rename the directory or set name: ${basename(root)}`,
      },
    )
  }
  const ignoreText = await readOptional(join(root, HELMIGNORE_FILE))
  const rules: IgnoreRules = parseHelmignore(ignoreText ?? '', show(join(root, HELMIGNORE_FILE)))
  const files = await listChartFiles(root, { rules, exclude: polyshipExcludes, show })
  const shipped = new Set(files.map((file) => file.path))

  const values = shipped.has(VALUES_FILE)
    ? parseYamlSource(await readFile(join(root, VALUES_FILE), 'utf8'), show(join(root, VALUES_FILE)))
    : undefined
  const schema = shipped.has(SCHEMA_FILE)
    ? parseValuesSchema(await readFile(join(root, SCHEMA_FILE), 'utf8'), show(join(root, SCHEMA_FILE)))
    : undefined
  if (values !== undefined && schema !== undefined) validateValues(values, schema)
  return { dir: root, chart, values, schema, files, hasHelmignore: ignoreText !== undefined }
}

/** A v1 chart's dependencies, from requirements.yaml (Helm's loader does the same). */
async function withRequirements(
  chart: ChartYaml,
  root: string,
  show: (path: string) => string,
): Promise<ChartYaml> {
  if (chart.metadata.apiVersion !== 'v1') return chart
  const file = join(root, REQUIREMENTS_FILE)
  const text = await readOptional(file)
  if (text === undefined) return chart
  const { dependencies, source } = parseRequirementsYaml(text, show(file))
  const metadata = dependencies === undefined ? chart.metadata : { ...chart.metadata, dependencies }
  return { ...chart, metadata, dependencySource: source }
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw error
  }
}
