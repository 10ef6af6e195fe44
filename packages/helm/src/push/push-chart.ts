import { readFile } from 'node:fs/promises'
import type { ImageDestination } from '@polyship/core'
import {
  descriptorOf,
  type OciStore,
  type PublishOutcome,
  type RegistryClient,
  type RegistryClientOptions,
  repositoryStore,
  versionTag,
} from '@polyship/oci'
import { HelmError } from '../errors.ts'
import type { PackagedChart } from '../package/package-chart.ts'
import { chartManifest } from './chart-manifest.ts'

export interface PushChartOptions {
  /** A provenance file (`helm package --sign` output) pushed as the provenance layer. */
  readonly provenance?: string
  /** `error` (default) throws HELM_TAG_CONFLICT; `report` returns the conflict outcome. */
  readonly onConflict?: 'error' | 'report'
}

/**
 * Pushes a packaged chart as `helm push` would: config blob (Chart.yaml as JSON), the
 * .tgz layer, an optional provenance layer, Helm's annotations, tagged with the version
 * (`+` -> `_`). Publishing reconciles: the tag already on this manifest is `unchanged`
 * (nothing uploaded); another manifest under the tag is a `conflict`, and versions are
 * immutable, so nothing is written.
 */
export async function pushChart(
  chart: PackagedChart,
  store: OciStore,
  options: PushChartOptions = {},
): Promise<PublishOutcome> {
  const provenance = options.provenance === undefined ? undefined : await readFile(options.provenance)
  const manifest = chartManifest(chart, provenance)
  const tag = versionTag(chart.version)
  const descriptor = descriptorOf(manifest.content)
  const current = await store.resolve(tag)
  let outcome: PublishOutcome
  if (current !== undefined) {
    // Decided before any upload: an unchanged chart costs one request, a conflicting one writes nothing.
    const location = `${store.location}:${tag}`
    outcome =
      current.digest === descriptor.digest
        ? { status: 'unchanged', location, descriptor }
        : { status: 'conflict', location, descriptor, existing: current.digest }
  } else {
    const { config, chart: layer, provenance: signed } = manifest
    await Promise.all([
      store.pushBlob(config, config.bytes),
      store.pushBlob(layer, { path: layer.path }),
      ...(signed === undefined ? [] : [store.pushBlob(signed, signed.bytes)]),
    ])
    outcome = await store.putManifest(manifest.content, { tag })
  }
  if (outcome.status === 'conflict' && options.onConflict !== 'report') {
    throw new HelmError(
      'HELM_TAG_CONFLICT',
      `${outcome.location} already holds another chart (${outcome.existing}); this ${chart.name} ${chart.version} is ${outcome.descriptor.digest}. Nothing was pushed`,
      {
        hint: 'chart versions are immutable: release a new version (a changeset), or rebuild exactly the published chart (same sources, same SOURCE_DATE_EPOCH)',
      },
    )
  }
  return outcome
}

/**
 * The store a chart goes to for a configured destination: the repository
 * `<destination>/<chart name>` of a registry, or the OCI layout `<path>/<chart name>`.
 */
export function chartStore(
  destination: ImageDestination,
  chartName: string,
  options: {
    readonly baseDir: string
    readonly client?: RegistryClient
    readonly clientOptions?: RegistryClientOptions
  },
): OciStore {
  return repositoryStore(destination, chartName, options)
}
