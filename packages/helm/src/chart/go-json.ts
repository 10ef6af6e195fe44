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

function dependency(d: ChartDependency): GoValue {
  return {
    struct: [
      ['name', sanitize(d.name)],
      ...field('version', d.version === undefined ? undefined : sanitize(d.version)),
      ['repository', sanitize(d.repository)],
      ...field('condition', d.condition === undefined ? undefined : sanitize(d.condition)),
      ...field('tags', d.tags?.map(sanitize)),
      ...field('enabled', d.enabled),
      ...field('import-values', d.importValues?.map(goAny)),
      ...field('alias', d.alias),
    ],
  }
}

const clean = (text: string | undefined) => (text === undefined ? undefined : sanitize(text))

/**
 * The Helm OCI config blob (`application/vnd.cncf.helm.config.v1+json`): Chart.yaml
 * metadata as `helm push` marshals Helm's `chart.Metadata`, byte for byte.
 */
export function chartConfigJson(metadata: ChartMetadata): string {
  return goJson({
    struct: [
      ...field('name', clean(metadata.name)),
      ...field('home', clean(metadata.home)),
      ...field('sources', metadata.sources?.map(sanitize)),
      ...field('version', metadata.version),
      ...field('description', clean(metadata.description)),
      ...field('keywords', metadata.keywords?.map(sanitize)),
      ...field('maintainers', metadata.maintainers?.map(maintainer)),
      ...field('icon', clean(metadata.icon)),
      ...field('apiVersion', metadata.apiVersion),
      ...field('condition', clean(metadata.condition)),
      ...field('tags', clean(metadata.tags)),
      ...field('appVersion', clean(metadata.appVersion)),
      ...field('deprecated', metadata.deprecated),
      ...field('annotations', metadata.annotations === undefined ? undefined : { map: metadata.annotations }),
      ...field('kubeVersion', clean(metadata.kubeVersion)),
      ...field('dependencies', metadata.dependencies?.map(dependency)),
      ...field('type', metadata.type),
    ],
  })
}
