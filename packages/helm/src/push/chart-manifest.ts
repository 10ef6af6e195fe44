import { type Digest, sha256 } from '@polyship/core'
import type { Descriptor, ManifestContent } from '@polyship/oci'
import type { ChartMetadata } from '../chart/chart-yaml.ts'
import { type GoValue, goJson, sanitizeMetadata } from '../chart/go-json.ts'
import { CHART_LAYER_MEDIA_TYPE, type PackagedChart } from '../package/package-chart.ts'

/** Helm's OCI media types (helm.sh/helm/v3/pkg/registry/constants.go). */
export const HELM_MEDIA_TYPES = {
  config: 'application/vnd.cncf.helm.config.v1+json',
  chart: CHART_LAYER_MEDIA_TYPE,
  provenance: 'application/vnd.cncf.helm.chart.provenance.v1.prov',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
} as const

/** Chart annotations `helm push` never lets a Chart.yaml annotation override. */
const IMMUTABLE_ANNOTATIONS = new Set(['org.opencontainers.image.version', 'org.opencontainers.image.title'])

/** The pieces of a chart's OCI manifest, each blob with the bytes or file to push. */
export interface ChartManifest {
  readonly content: ManifestContent
  readonly config: Descriptor & { readonly bytes: Uint8Array }
  readonly chart: Descriptor & { readonly path: string }
  readonly provenance: (Descriptor & { readonly bytes: Uint8Array }) | undefined
}

/** `1700000000` -> `2023-11-14T22:13:20Z` (Go's time.RFC3339 in UTC). */
export function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/**
 * The annotations `helm push` sets: description, title, version, url, created, source
 * (first of `sources`), authors (maintainers as `name (email)`, comma separated), then
 * Chart.yaml annotations, which may override all but title and version.
 */
export function chartAnnotations(chart: ChartMetadata, created: string): Record<string, string> {
  const metadata = sanitizeMetadata(chart)
  const out: Record<string, string> = {}
  const add = (key: string, value: string | undefined) => {
    if (value !== undefined && value.trim() !== '') out[`org.opencontainers.image.${key}`] = value
  }
  add('description', metadata.description)
  add('title', metadata.name)
  add('version', metadata.version)
  add('url', metadata.home)
  add('created', created)
  add('source', metadata.sources?.[0])
  if (metadata.maintainers !== undefined && metadata.maintainers.length > 0) {
    add(
      'authors',
      metadata.maintainers.map((m) => `${m.name ?? ''}${m.email ? ` (${m.email})` : ''}`).join(', '),
    )
  }
  for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
    if (!IMMUTABLE_ANNOTATIONS.has(key)) out[key] = value
  }
  return out
}

function descriptorJson(d: Descriptor): GoValue {
  return {
    struct: [
      ['mediaType', d.mediaType],
      ['digest', d.digest],
      ['size', d.size],
    ],
  }
}

/**
 * The OCI manifest `helm push` writes for this package, byte for byte (Go field order,
 * sorted annotation keys, layers sorted by digest, no `mediaType` field), so pushing the
 * same .tgz with polyship or Helm gives the same manifest digest.
 */
export function chartManifest(chart: PackagedChart, provenance?: Uint8Array): ChartManifest {
  const config = {
    mediaType: HELM_MEDIA_TYPES.config,
    digest: sha256(chart.config),
    size: chart.config.length,
    bytes: chart.config,
  }
  const layer = {
    mediaType: HELM_MEDIA_TYPES.chart,
    digest: chart.digest,
    size: chart.size,
    path: chart.file,
  }
  const prov =
    provenance === undefined
      ? undefined
      : {
          mediaType: HELM_MEDIA_TYPES.provenance,
          digest: sha256(provenance),
          size: provenance.length,
          bytes: provenance,
        }
  const layers: Descriptor[] = [layer, ...(prov === undefined ? [] : [prov])].sort((a, b) =>
    compareDigest(a.digest, b.digest),
  )
  const annotations = chartAnnotations(chart.metadata, rfc3339(chart.created))
  const json = goJson({
    struct: [
      ['schemaVersion', 2],
      ['config', descriptorJson(config)],
      ['layers', layers.map(descriptorJson)],
      ['annotations', { map: annotations }],
    ],
  })
  return {
    content: { bytes: new TextEncoder().encode(json), mediaType: HELM_MEDIA_TYPES.manifest },
    config,
    chart: layer,
    provenance: prov,
  }
}

function compareDigest(a: Digest, b: Digest): number {
  return a < b ? -1 : a > b ? 1 : 0
}
