import { readFile } from 'node:fs/promises'
import { join, posix, resolve } from 'node:path'
import {
  type ArchiveEntry,
  type Artifact,
  type ChartConfig,
  type Digest,
  digestFile,
  sourceDateEpoch,
  writeArchive,
} from '@polyship/core'
import type { RegistryClient } from '@polyship/oci'
import type { Document } from 'yaml'
import { type ChartMetadata, parseChartYaml } from '../chart/chart-yaml.ts'
import { satisfiesConstraint } from '../chart/constraint.ts'
import { chartConfigJson } from '../chart/go-json.ts'
import { checkChartSize } from '../chart/limits.ts'
import { CHART_FILE, type ChartSource, readChart, VALUES_FILE } from '../chart/read-chart.ts'
import { validateValues } from '../chart/values.ts'
import { lineOf, parseYamlSource, stringifyYaml } from '../chart/yaml-source.ts'
import { at, HelmError } from '../errors.ts'
import { resolveDependencies, type WorkspaceChart } from './dependencies.ts'
import { fetchRemoteDependencies } from './remote.ts'
import { appVersionOf, type ChartRelease, type ImageKeys, wireImages } from './wiring.ts'

/** Media type of a packaged chart, as Helm pushes it. */
export const CHART_LAYER_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip'

export interface PackageChartOptions {
  /** Directory the `<name>-<version>.tgz` is written to. */
  readonly outDir: string
  /** The project's `polyship.chart` (values wiring, appVersionFrom). */
  readonly config?: ChartConfig
  /** Chart version to package (default: Chart.yaml's); written into the packaged Chart.yaml. */
  readonly version?: string
  /** Versions and images of this release. Without it, values and appVersion ship as they are in git. */
  readonly release?: ChartRelease
  /** Charts of the workspace that `file://` dependencies may point at, with their release versions. */
  readonly workspaceCharts?: readonly WorkspaceChart[]
  /** Key names written under each mapped values path (default repository, tag, digest). */
  readonly imageKeys?: Partial<ImageKeys>
  /** Recorded on the artifact (default: the chart name). */
  readonly project?: string
  /** Read for SOURCE_DATE_EPOCH (default: the process's environment). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Paths in messages are shown relative to this directory. */
  readonly cwd?: string
  /** Where dependencies from chart repositories are downloaded to (default `<outDir>/.chart-dependencies`). */
  readonly dependencyDir?: string
  /** Client for `oci://` dependencies (default: one of its own). */
  readonly registry?: RegistryClient
}

/** A chart packaged inside another one (under its charts/), as its SBOM lists it. */
export interface Subchart {
  readonly name: string
  readonly version: string
  /** Where it comes from: `file://../x`, `https://charts.example.com`, `oci://ghcr.io/acme/charts`, or '' (vendored). */
  readonly repository: string
  /** Digest of the vendored .tgz (remote and vendored .tgz dependencies). */
  readonly digest?: Digest
  /** Charts packaged inside it. */
  readonly subcharts: readonly Subchart[]
}

/** A reproducible chart package on disk, ready to push. */
export interface PackagedChart {
  readonly name: string
  readonly version: string
  readonly appVersion: string | undefined
  /** Absolute path of `<name>-<version>.tgz`. */
  readonly file: string
  readonly digest: Digest
  readonly size: number
  /** Chart.yaml as packaged (version, appVersion and dependency versions of this release). */
  readonly metadata: ChartMetadata
  /** The Helm OCI config blob: Chart.yaml as `helm push` marshals it. */
  readonly config: Uint8Array
  /** Entry mtime in seconds (SOURCE_DATE_EPOCH); also the OCI `created` annotation. */
  readonly created: number
  readonly artifact: Artifact
  /** The charts packaged under charts/ (sibling, vendored and fetched dependencies), for the SBOM. */
  readonly subcharts: readonly Subchart[]
}

/** A chart's files relative to its own root, with Chart.yaml and values.yaml as packaged. */
interface ChartTree {
  readonly metadata: ChartMetadata
  readonly entries: readonly (ArchiveEntry & { readonly type: 'file' })[]
  readonly sizes: readonly { readonly size: number }[]
  readonly subcharts: readonly Subchart[]
}

/**
 * Packages a chart directory into `<outDir>/<name>-<version>.tgz`: the files Helm would
 * ship (.helmignore, polyship's exclusions), Chart.yaml with this release's version and
 * appVersion, values.yaml with the released images' repository/tag/digest (comments kept;
 * the chart in git is not modified), `file://` sibling charts under `charts/<name>/`.
 * Every entry sits under `<name>/`, sorted, mode 0644, mtime SOURCE_DATE_EPOCH: the same
 * inputs give the same bytes.
 */
export async function packageChart(dir: string, options: PackageChartOptions): Promise<PackagedChart> {
  const tree = await chartTree(
    resolve(dir),
    {
      ...options,
      dependencyDir: options.dependencyDir ?? join(resolve(options.outDir), '.chart-dependencies'),
    },
    [],
  )
  const { metadata } = tree
  checkChartSize(`${metadata.name}-${metadata.version}`, tree.sizes)
  const created = sourceDateEpoch(options.env ?? process.env)
  const file = resolve(options.outDir, `${metadata.name}-${metadata.version}.tgz`)
  const { digest, size } = await writeArchive(
    file,
    tree.entries.map((entry) => ({ ...entry, path: `${metadata.name}/${entry.path}` })),
    { format: 'tar.gz', mtime: created },
  )
  return packagedChart(metadata, {
    file,
    digest,
    size,
    created,
    project: options.project,
    subcharts: tree.subcharts,
  })
}

/**
 * The PackagedChart of a `.tgz` on disk whose Chart.yaml is `metadata`: the Helm OCI
 * config blob derived from it and the artifact to record (project defaults to the chart name).
 */
export function packagedChart(
  metadata: ChartMetadata,
  archive: {
    readonly file: string
    readonly digest: Digest
    readonly size: number
    readonly created: number
    readonly project?: string | undefined
    readonly subcharts?: readonly Subchart[]
  },
): PackagedChart {
  const { file, digest, size, created } = archive
  return {
    name: metadata.name,
    version: metadata.version,
    appVersion: metadata.appVersion,
    file,
    digest,
    size,
    metadata,
    config: new TextEncoder().encode(chartConfigJson(metadata)),
    created,
    subcharts: archive.subcharts ?? [],
    artifact: {
      kind: 'chart',
      name: metadata.name,
      project: archive.project ?? metadata.name,
      version: metadata.version,
      path: file,
      digest,
      size,
      mediaType: CHART_LAYER_MEDIA_TYPE,
      extra: { ...(metadata.appVersion === undefined ? {} : { appVersion: metadata.appVersion }) },
    },
  }
}

async function chartTree(
  dir: string,
  options: Omit<PackageChartOptions, 'outDir'>,
  parents: readonly string[],
): Promise<ChartTree> {
  const source = await readChart(dir, options.cwd === undefined ? {} : { cwd: options.cwd })
  const { siblings, remote, replaced } = await resolveDependencies(source, options.workspaceCharts ?? [])
  const fetched = await fetchRemoteDependencies(source, remote, {
    dependencyDir: options.dependencyDir ?? join(dir, '.chart-dependencies'),
    ...(options.registry === undefined ? {} : { registry: options.registry }),
    ...(options.env === undefined ? {} : { env: options.env }),
  })
  const chartFile = source.chart.source.file
  const chartDoc = source.chart.source.document.clone()
  if (options.version !== undefined) chartDoc.set('version', options.version)
  const appVersion =
    options.release && options.config
      ? appVersionOf(options.config, options.release, source.chart.metadata.name)
      : undefined
  if (appVersion !== undefined) chartDoc.set('appVersion', appVersion)
  const chartText = stringifyYaml(chartDoc)
  const metadata = parseChartYaml(chartText, `${chartFile} (as packaged)`).metadata

  let valuesText: string | undefined
  const wired: Document | undefined =
    options.release && options.config
      ? wireImages(source.values, options.config, {
          release: options.release,
          chart: metadata.name,
          ...(options.imageKeys === undefined ? {} : { keys: options.imageKeys }),
        })
      : undefined
  if (wired !== undefined && source.values !== undefined) {
    valuesText = stringifyYaml(wired)
    if (source.schema !== undefined) {
      validateValues(
        parseYamlSource(valuesText, source.values.file),
        source.schema,
        ' (as packaged, with the released images)',
      )
    }
  }

  const entries: (ArchiveEntry & { type: 'file' })[] = [
    { type: 'file', path: CHART_FILE, content: chartText },
  ]
  const sizes: { size: number }[] = [{ size: Buffer.byteLength(chartText) }]
  const subcharts: Subchart[] = await vendoredSubcharts(source, replaced)
  for (const file of source.files) {
    if (file.path === CHART_FILE || replaced.has(file.path)) continue
    if (file.path === VALUES_FILE && valuesText !== undefined) {
      entries.push({ type: 'file', path: VALUES_FILE, content: valuesText })
      sizes.push({ size: Buffer.byteLength(valuesText) })
      continue
    }
    entries.push({ type: 'file', path: file.path, source: file.source, mode: 0o644 })
    sizes.push(file)
  }

  for (const sibling of siblings) {
    const { dependency } = sibling
    const dependencyFile = source.chart.dependencySource.file
    const line = lineOf(source.chart.dependencySource, ['dependencies', sibling.index])
    if (parents.includes(sibling.dir) || sibling.dir === dir) {
      throw new HelmError(
        'HELM_DEPENDENCY_CYCLE',
        `${at(dependencyFile, line)}: ${dependency.name} (${dependency.repository}) depends back on ${metadata.name}`,
        {
          file: dependencyFile,
          ...(line === undefined ? {} : { line }),
          hint: 'charts may not depend on each other in a cycle',
        },
      )
    }
    const { version: _, config: __, ...inherited } = options
    const subtree = await chartTree(
      sibling.dir,
      sibling.workspace === undefined
        ? inherited
        : { ...inherited, config: sibling.workspace.config, version: sibling.workspace.version },
      [...parents, dir],
    )
    if (subtree.metadata.name !== dependency.name) {
      throw new HelmError(
        'HELM_DEPENDENCY_MISSING',
        `${at(dependencyFile, line)}: dependency ${dependency.name} points at ${dependency.repository}, which holds chart ${subtree.metadata.name}`,
        {
          file: dependencyFile,
          ...(line === undefined ? {} : { line }),
          hint: 'make the dependency name equal the chart name there',
        },
      )
    }
    if (
      dependency.version !== undefined &&
      !satisfiesConstraint(subtree.metadata.version, dependency.version)
    ) {
      const versionLine = lineOf(source.chart.dependencySource, ['dependencies', sibling.index, 'version'])
      throw new HelmError(
        'HELM_DEPENDENCY_VERSION',
        `${at(dependencyFile, versionLine)}: dependency ${dependency.name} asks for ${dependency.version}, but ${dependency.repository} is released as ${subtree.metadata.version}`,
        {
          file: dependencyFile,
          ...(versionLine === undefined ? {} : { line: versionLine }),
          hint: 'widen the version range (`polyship version` updates it when the sibling is released in the same run)',
        },
      )
    }
    for (const entry of subtree.entries)
      entries.push({ ...entry, path: posix.join('charts', dependency.name, entry.path) })
    sizes.push(...subtree.sizes)
    subcharts.push({
      name: subtree.metadata.name,
      version: subtree.metadata.version,
      repository: dependency.repository,
      subcharts: subtree.subcharts,
    })
  }
  for (const remote of fetched) {
    const path = `charts/${remote.dependency.name}-${remote.version}.tgz`
    entries.push({ type: 'file', path, source: remote.file, mode: 0o644 })
    sizes.push({ size: remote.size })
    subcharts.push({
      name: remote.dependency.name,
      version: remote.version,
      repository: remote.dependency.repository,
      digest: remote.digest,
      subcharts: [],
    })
  }
  return { metadata, entries, sizes, subcharts }
}

/**
 * Charts vendored in charts/, as shipped: `<name>-<version>.tgz` (what `helm dependency
 * build` writes, with the file's digest) or an unpacked `<name>/` (its Chart.yaml version).
 */
async function vendoredSubcharts(source: ChartSource, replaced: ReadonlySet<string>): Promise<Subchart[]> {
  const found: Subchart[] = []
  for (const dependency of source.chart.metadata.dependencies ?? []) {
    if (dependency.repository.startsWith('file://')) continue
    const prefix = `charts/${dependency.name}-`
    const file = source.files.find(
      (f) =>
        !replaced.has(f.path) &&
        f.path.startsWith(prefix) &&
        f.path.endsWith('.tgz') &&
        !f.path.slice(prefix.length).includes('/'),
    )
    const unpacked = source.files.find((f) => f.path === `charts/${dependency.name}/${CHART_FILE}`)
    if (file !== undefined) {
      found.push({
        name: dependency.name,
        version: file.path.slice(prefix.length, -'.tgz'.length),
        repository: dependency.repository,
        digest: (await digestFile(file.source)).digest,
        subcharts: [],
      })
    } else if (unpacked !== undefined) {
      const { metadata } = parseChartYaml(await readFile(unpacked.source, 'utf8'), unpacked.source)
      found.push({
        name: metadata.name,
        version: metadata.version,
        repository: dependency.repository,
        subcharts: [],
      })
    }
  }
  return found
}
