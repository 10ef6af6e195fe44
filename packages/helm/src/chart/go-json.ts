import type { ChartDependency, ChartMaintainer, ChartMetadata } from './chart-yaml.ts'

/**
 * JSON as Go's encoding/json writes it, so the bytes (and digests) match what Helm
 * pushes: struct fields in declaration order (callers pass them as ordered entries),
 * map keys sorted, and `<`, `>`, `&`, U+2028, U+2029 escaped as \u003c... .
 */
export type GoValue =
  | string
  | number
  | boolean
  | null
  | readonly GoValue[]
  | { readonly struct: readonly (readonly [string, GoValue])[] }
  | { readonly map: Readonly<Record<string, GoValue>> }

export function goJson(value: GoValue): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return goString(value)
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`
  if ('struct' in value) return `{${value.struct.map(([k, v]) => `${goString(k)}:${goJson(v)}`).join(',')}}`
  const map = (value as { readonly map: Readonly<Record<string, GoValue>> }).map
  const keys = Object.keys(map).sort(compareBytes)
  return `{${keys.map((k) => `${goString(k)}:${goJson(map[k]!)}`).join(',')}}`
}

/** Go sorts map keys by their UTF-8 bytes. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

function goString(text: string): string {
  return JSON.stringify(text.toWellFormed()).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** Anything from YAML (import-values items) as Go's `interface{}` would marshal it. */
export function goAny(value: unknown): GoValue {
  if (value === null || value === undefined) return null
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value
  if (Array.isArray(value)) return value.map(goAny)
  if (value instanceof Date) return value.toISOString()
  return { map: Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, goAny(v)])) }
}

/**
 * Go's `unicode.IsSpace` runes become a space and non-printable runes are dropped, as
 * Helm's `Metadata.Validate` does to the strings it loads.
 */
export function sanitize(text: string): string {
  return text.replace(/\p{White_Space}/gu, ' ').replace(/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu, '')
}

type Field = readonly [string, GoValue]

/** `omitempty`: Go leaves out empty strings, false, and empty lists and maps. */
function field(name: string, value: GoValue | undefined): Field[] {
  if (value === undefined || value === '' || value === false || value === null) return []
  if (Array.isArray(value)) return value.length === 0 ? [] : [[name, value]]
  if (typeof value === 'object' && 'map' in value && Object.keys(value.map).length === 0) return []
  return [[name, value]]
}

function maintainer(m: ChartMaintainer): GoValue {
  return { struct: [...field('name', m.name), ...field('email', m.email), ...field('url', m.url)] }
}

/** A `chart.Dependency` as Go marshals it (Chart.lock digests hash these). */
export function goDependency(d: ChartDependency): GoValue {
  return {
    struct: [
      ['name', d.name],
      ...field('version', d.version),
      ['repository', d.repository],
      ...field('condition', d.condition),
      ...field('tags', d.tags),
      ...field('enabled', d.enabled),
      ...field('import-values', d.importValues?.map(goAny)),
      ...field('alias', d.alias),
    ],
  }
}

/** Chart metadata as Helm holds it after loading: `Metadata.Validate` sanitizes these strings. */
export function sanitizeMetadata(metadata: ChartMetadata): ChartMetadata {
  const m = metadata
  return {
    ...m,
    name: sanitize(m.name),
    ...(m.description === undefined ? {} : { description: sanitize(m.description) }),
    ...(m.home === undefined ? {} : { home: sanitize(m.home) }),
    ...(m.icon === undefined ? {} : { icon: sanitize(m.icon) }),
    ...(m.condition === undefined ? {} : { condition: sanitize(m.condition) }),
    ...(m.tags === undefined ? {} : { tags: sanitize(m.tags) }),
    ...(m.appVersion === undefined ? {} : { appVersion: sanitize(m.appVersion) }),
    ...(m.kubeVersion === undefined ? {} : { kubeVersion: sanitize(m.kubeVersion) }),
    ...(m.sources === undefined ? {} : { sources: m.sources.map(sanitize) }),
    ...(m.keywords === undefined ? {} : { keywords: m.keywords.map(sanitize) }),
    ...(m.maintainers === undefined
      ? {}
      : {
          maintainers: m.maintainers.map((x) => ({
            ...(x.name === undefined ? {} : { name: sanitize(x.name) }),
            ...(x.email === undefined ? {} : { email: sanitize(x.email) }),
            ...(x.url === undefined ? {} : { url: sanitize(x.url) }),
          })),
        }),
    ...(m.dependencies === undefined
      ? {}
      : {
          dependencies: m.dependencies.map((d) => ({
            ...d,
            name: sanitize(d.name),
            repository: sanitize(d.repository),
            ...(d.version === undefined ? {} : { version: sanitize(d.version) }),
            ...(d.condition === undefined ? {} : { condition: sanitize(d.condition) }),
            ...(d.tags === undefined ? {} : { tags: d.tags.map(sanitize) }),
          })),
        }),
  }
}

/**
 * The Helm OCI config blob (`application/vnd.cncf.helm.config.v1+json`): Chart.yaml
 * metadata as `helm push` marshals Helm's `chart.Metadata`, byte for byte.
 */
export function chartConfigJson(metadata: ChartMetadata): string {
  const m = sanitizeMetadata(metadata)
  return goJson({
    struct: [
      ...field('name', m.name),
      ...field('home', m.home),
      ...field('sources', m.sources),
      ...field('version', m.version),
      ...field('description', m.description),
      ...field('keywords', m.keywords),
      ...field('maintainers', m.maintainers?.map(maintainer)),
      ...field('icon', m.icon),
      ...field('apiVersion', m.apiVersion),
      ...field('condition', m.condition),
      ...field('tags', m.tags),
      ...field('appVersion', m.appVersion),
      ...field('deprecated', m.deprecated),
      ...field('annotations', m.annotations === undefined ? undefined : { map: m.annotations }),
      ...field('kubeVersion', m.kubeVersion),
      ...field('dependencies', m.dependencies?.map(goDependency)),
      ...field('type', m.type),
    ],
  })
}
