export type { ChartDependency, ChartMaintainer, ChartMetadata, ChartYaml } from './chart/chart-yaml.ts'
export { parseChartYaml } from './chart/chart-yaml.ts'
export { chartConfigJson } from './chart/go-json.ts'
export { type IgnoreRules, parseHelmignore } from './chart/helmignore.ts'
export { MAX_CHART_BYTES, MAX_FILE_BYTES } from './chart/limits.ts'
export { type ChartSource, polyshipExcludes, type ReadChartOptions, readChart } from './chart/read-chart.ts'
export {
  parseValuesSchema,
  type ValuesIssue,
  type ValuesSchema,
  ValuesSchemaError,
  validateValues,
} from './chart/values.ts'
export { HelmError, type HelmErrorCode } from './errors.ts'
export {
  assertLintClean,
  formatFinding,
  type LintChartOptions,
  type LintFinding,
  type LintReport,
  type LintSeverity,
  lintChart,
} from './lint/lint-chart.ts'
export type { WorkspaceChart } from './package/dependencies.ts'
export {
  CHART_LAYER_MEDIA_TYPE,
  type PackageChartOptions,
  type PackagedChart,
  packageChart,
  type Subchart,
} from './package/package-chart.ts'
export { readPackagedChart } from './package/read-package.ts'
export {
  type FetchDependenciesOptions,
  fetchChartDependencies,
  fetchRemoteDependencies,
  LOCK_FILE,
  lockDigest,
  type RemoteDependency,
} from './package/remote.ts'
export {
  type ChartRelease,
  DEFAULT_IMAGE_KEYS,
  type ImageKeys,
  type ReleasedImage,
} from './package/wiring.ts'
export {
  type ChartManifest,
  chartAnnotations,
  chartManifest,
  HELM_MEDIA_TYPES,
} from './push/chart-manifest.ts'
export { chartStore, type PushChartOptions, pushChart } from './push/push-chart.ts'
