import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type ChartConfig, isSemver } from '@polyship/core'
import type { ChartDependency } from '../chart/chart-yaml.ts'
import type { ChartSource } from '../chart/read-chart.ts'
import { lineOf } from '../chart/yaml-source.ts'
import { at, HelmError } from '../errors.ts'

/** A chart of the workspace, which other charts may depend on through `file://`. */
export interface WorkspaceChart {
  /** The releasing project (package.json `name`). */
  readonly project: string
  /** Absolute chart directory. */
  readonly dir: string
  /** Its version in this release. */
  readonly version: string
  readonly config: ChartConfig
}

/** A `file://` dependency: packaged from its directory into `charts/<name>/`. */
export interface SiblingDependency {
  readonly index: number
  readonly dependency: ChartDependency
  /** Absolute chart directory. */
  readonly dir: string
  /** Set when the directory is a workspace chart project (released version, own values wiring). */
  readonly workspace: WorkspaceChart | undefined
}

export interface ResolvedDependencies {
  readonly siblings: readonly SiblingDependency[]
  /** Dependencies from chart repositories (`https://`, `oci://`) not vendored in charts/: fetched per Chart.lock. */
  readonly remote: readonly { readonly index: number; readonly dependency: ChartDependency }[]
  /** Stale copies of sibling charts under charts/ (from `helm dependency build`), left out of the package. */
  readonly replaced: ReadonlySet<string>
}

/**
 * Resolves Chart.yaml dependencies: `file://` ones must point at a chart directory (a
 * sibling, packaged fresh at its released version); one vendored under charts/
 * (`<name>-<version>.tgz` or `<name>/`) ships as it is; any other one comes from its chart
 * repository (`remote`, fetched by `fetchRemoteDependencies`). HELM_DEPENDENCY_MISSING for
 * a dependency with no repository and no vendored copy, at the dependency's line.
 */
export async function resolveDependencies(
  source: ChartSource,
  workspaceCharts: readonly WorkspaceChart[],
): Promise<ResolvedDependencies> {
  const siblings: SiblingDependency[] = []
  const remote: { index: number; dependency: ChartDependency }[] = []
  const replaced = new Set<string>()
  const dependencies = source.chart.metadata.dependencies ?? []
  for (const [index, dependency] of dependencies.entries()) {
    const vendored = source.files.filter((file) => isVendoredCopy(file.path, dependency.name))
    const line = lineOf(source.chart.dependencySource, ['dependencies', index, 'repository'])
    const file = source.chart.dependencySource.file
    if (dependency.repository.startsWith('file://')) {
      const dir = resolve(source.dir, dependency.repository.slice('file://'.length))
      const isChart = await stat(join(dir, 'Chart.yaml')).then(
        (s) => s.isFile(),
        () => false,
      )
      if (!isChart) {
        throw new HelmError(
          'HELM_DEPENDENCY_MISSING',
          `${at(file, line)}: dependency ${dependency.name} points at ${dependency.repository}, but ${dir} holds no Chart.yaml`,
          {
            file,
            ...(line === undefined ? {} : { line }),
            hint: 'point file:// at the sibling chart directory, relative to this chart (file://../<chart>)',
          },
        )
      }
      for (const copy of vendored) replaced.add(copy.path)
      siblings.push({
        index,
        dependency,
        dir,
        workspace: workspaceCharts.find((chart) => resolve(chart.dir) === dir),
      })
    } else if (vendored.length === 0 && dependency.repository !== '') {
      remote.push({ index, dependency })
    } else if (vendored.length === 0) {
      throw new HelmError(
        'HELM_DEPENDENCY_MISSING',
        `${at(file, line)}: dependency ${dependency.name} has no repository and is not in charts/`,
        {
          file,
          ...(line === undefined ? {} : { line }),
          hint: 'for a chart of this workspace write repository: file://../<chart>; for a remote chart its https:// or oci:// repository (with Chart.lock from `helm dependency update`)',
        },
      )
    }
  }
  return { siblings, remote, replaced }
}

/** `charts/<name>-<semver>.tgz` or anything under `charts/<name>/`. */
function isVendoredCopy(path: string, name: string): boolean {
  if (path.startsWith(`charts/${name}/`)) return true
  const prefix = `charts/${name}-`
  return (
    path.startsWith(prefix) && path.endsWith('.tgz') && isSemver(path.slice(prefix.length, -'.tgz'.length))
  )
}
