import type { ChartConfig, Digest } from '@polyship/core'
import { type Document, isMap } from 'yaml'
import { lineOf, nodeAt, type YamlSource } from '../chart/yaml-source.ts'
import { HelmError } from '../errors.ts'

/** An image published in this release, as a chart's values should reference it. */
export interface ReleasedImage {
  /** Repository without tag or digest: `ghcr.io/acme/time-server-go`. */
  readonly repository: string
  readonly tag: string
  /** Digest of the manifest or index that was pushed. */
  readonly digest: Digest
}

/** What a release knows about the workspace projects a chart refers to. */
export interface ChartRelease {
  /** Version of every workspace project in this release (released or not), by project name. */
  readonly versions: Readonly<Record<string, string>>
  /** Images published in this release (or already published at this version), by project name. */
  readonly images: Readonly<Record<string, ReleasedImage>>
}

/** Key names written under each mapped values path; `false` leaves that key alone. */
export interface ImageKeys {
  readonly repository: string | false
  readonly tag: string | false
  readonly digest: string | false
  /** Gets `<tag>@<digest>`. */
  readonly tagDigest: string | false
  /** Gets `<repository>:<tag>@<digest>`. */
  readonly reference: string | false
}

export const DEFAULT_IMAGE_KEYS: ImageKeys = {
  repository: 'repository',
  tag: 'tag',
  digest: 'digest',
  tagDigest: false,
  reference: false,
}

/**
 * Writes the released images into a copy of values.yaml: for each `polyship.chart.images`
 * entry (values path -> image project), the repository, tag and digest keys under that
 * path. Comments and layout are kept; the source document is not touched.
 * HELM_VALUES_PATH when a path is missing or not a map, HELM_IMAGE_MISSING when the
 * release has no image for the project.
 */
export function wireImages(
  values: YamlSource | undefined,
  config: ChartConfig,
  options: { readonly release: ChartRelease; readonly keys?: Partial<ImageKeys>; readonly chart: string },
): Document | undefined {
  const mappings = Object.entries(config.images ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  checkImagePaths(values, config, options.chart)
  if (mappings.length === 0 || values === undefined) return undefined
  const keys = imageKeysOf(config, options.keys)
  const document = values.document.clone()
  for (const [valuesPath, project] of mappings) {
    const path = imagePath(values, valuesPath, keys)
    const image = options.release.images[project]
    if (image === undefined) {
      throw new HelmError(
        'HELM_IMAGE_MISSING',
        `chart ${options.chart}: polyship.chart.images maps ${valuesPath} to ${project}, but this release has no image of ${project}`,
        {
          hint: `release ${project}'s image in the same run (polyship.image in its package.json), or remove the mapping`,
        },
      )
    }
    for (const [key, value] of [
      [keys.repository, image.repository],
      [keys.tag, image.tag],
      [keys.digest, image.digest],
      [keys.tagDigest, `${image.tag}@${image.digest}`],
      [keys.reference, `${image.repository}:${image.tag}@${image.digest}`],
    ] as const) {
      if (key !== false) document.setIn([...path, key], value)
    }
  }
  return document
}

/** The key names to write: `polyship.chart.imageKeys`, then `overrides`, over the defaults. */
export function imageKeysOf(config: ChartConfig, overrides: Partial<ImageKeys> = {}): ImageKeys {
  return { ...DEFAULT_IMAGE_KEYS, ...config.imageKeys, ...overrides }
}

/**
 * Checks that every `polyship.chart.images` path is a map in values.yaml (HELM_VALUES_PATH
 * at the line of the deepest existing ancestor otherwise).
 */
export function checkImagePaths(values: YamlSource | undefined, config: ChartConfig, chart: string): void {
  const paths = Object.keys(config.images ?? {})
  if (paths.length === 0) return
  if (values === undefined) {
    throw new HelmError(
      'HELM_VALUES_PATH',
      `chart ${chart} maps images into values, but it ships no values.yaml`,
      {
        hint: `add a values.yaml with the mapped paths (${paths.join(', ')})`,
      },
    )
  }
  const keys = imageKeysOf(config)
  for (const valuesPath of paths) imagePath(values, valuesPath, keys)
}

function imagePath(values: YamlSource, valuesPath: string, keys: ImageKeys): string[] {
  const path = valuesPath.split('.')
  if (isMap(nodeAt(values, path))) return path
  const line = lineOf(values, path)
  throw new HelmError(
    'HELM_VALUES_PATH',
    `${values.file}${line === undefined ? '' : `:${line}`}: ${valuesPath} (polyship.chart.images) is not a map in values.yaml`,
    {
      file: values.file,
      ...(line === undefined ? {} : { line }),
      hint: `declare ${valuesPath} in values.yaml as a map with ${[keys.repository, keys.tag, keys.digest].filter(Boolean).join(', ')} keys`,
    },
  )
}

/** The version `appVersionFrom` names, or HELM_IMAGE_MISSING when the release does not know the project. */
export function appVersionOf(config: ChartConfig, release: ChartRelease, chart: string): string | undefined {
  const from = config.appVersionFrom
  if (from === undefined) return undefined
  const version = release.versions[from]
  if (version === undefined) {
    throw new HelmError(
      'HELM_IMAGE_MISSING',
      `chart ${chart}: polyship.chart.appVersionFrom names ${from}, whose version this release does not know`,
      { hint: 'pass the versions of every workspace project to packaging, not only the released ones' },
    )
  }
  return version
}
