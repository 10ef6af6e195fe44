import { isSemver } from '@polyship/core'
import { toRange } from './constraint.ts'
import { Checker, isRecord, optional } from './field-checker.ts'
import { parseYamlSource, plainValue, type YamlSource } from './yaml-source.ts'

export interface ChartMaintainer {
  readonly name?: string
  readonly email?: string
  readonly url?: string
}

export interface ChartDependency {
  readonly name: string
  /** A version or constraint (`^1.2.0`). */
  readonly version?: string
  /** `file://../sibling`, `https://...`, `oci://...`, or empty (vendored in charts/). */
  readonly repository: string
  readonly condition?: string
  readonly tags?: readonly string[]
  readonly enabled?: boolean
  readonly importValues?: readonly unknown[]
  readonly alias?: string
}

/**
 * Chart.yaml, checked. Field names follow Helm's `chart.Metadata`. For an apiVersion v1
 * chart, `dependencies` come from requirements.yaml, as Helm's loader reads them.
 */
export interface ChartMetadata {
  readonly apiVersion: 'v1' | 'v2'
  readonly name: string
  /** Strict SemVer 2. */
  readonly version: string
  readonly appVersion?: string
  readonly description?: string
  readonly home?: string
  readonly icon?: string
  readonly sources?: readonly string[]
  readonly keywords?: readonly string[]
  readonly maintainers?: readonly ChartMaintainer[]
  readonly condition?: string
  readonly tags?: string
  readonly deprecated?: boolean
  readonly annotations?: Readonly<Record<string, string>>
  readonly kubeVersion?: string
  readonly dependencies?: readonly ChartDependency[]
  readonly type?: 'application' | 'library'
}

/** A parsed Chart.yaml: the checked metadata plus the document (for edits and line numbers). */
export interface ChartYaml {
  readonly metadata: ChartMetadata
  readonly source: YamlSource
  /** Where `dependencies` are written: Chart.yaml, or requirements.yaml for a v1 chart. */
  readonly dependencySource: YamlSource
  /** Top-level keys Helm does not know (ignored by Helm; reported by lint). */
  readonly unknownFields: readonly string[]
}

const KNOWN_FIELDS = new Set([
  'apiVersion',
  'name',
  'version',
  'kubeVersion',
  'description',
  'type',
  'keywords',
  'home',
  'sources',
  'dependencies',
  'maintainers',
  'icon',
  'appVersion',
  'deprecated',
  'annotations',
  'condition',
  'tags',
])

/** Lowercase OCI path component: the chart name becomes a repository name and the archive's top directory. */
const CHART_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/
const ALIAS = /^[a-zA-Z0-9_-]+$/
/** OCI tags are at most 128 characters. */
const MAX_VERSION_LENGTH = 128

/**
 * Parses and checks Chart.yaml text (pure; `file` is for messages). Every problem is a
 * HelmError naming `file:line`: HELM_YAML_INVALID, HELM_CHART_INVALID, HELM_NAME_INVALID,
 * HELM_VERSION_INVALID.
 */
export function parseChartYaml(text: string, file: string): ChartYaml {
  const source = parseYamlSource(text, file)
  const value: unknown = plainValue(source)
  const check = new Checker(source)
  if (!isRecord(value)) throw check.fail('HELM_CHART_INVALID', [], 'Chart.yaml must be a YAML map of fields')

  const apiVersion = value.apiVersion
  if (apiVersion !== 'v2' && apiVersion !== 'v1') {
    const shown = apiVersion === undefined ? 'missing' : JSON.stringify(apiVersion)
    throw check.fail('HELM_CHART_INVALID', ['apiVersion'], `apiVersion is ${shown}, not v1 or v2`, {
      hint: 'set apiVersion: v2 (Helm 3 charts)',
    })
  }
  if (apiVersion === 'v1') {
    // What `helm lint` refuses in a v1 chart: these fields exist only in apiVersion v2.
    for (const field of ['dependencies', 'type'] as const) {
      if (value[field] !== undefined) {
        throw check.fail(
          'HELM_CHART_INVALID',
          [field],
          `${field} is not valid in a Chart.yaml with apiVersion v1`,
          {
            hint:
              field === 'dependencies'
                ? 'list v1 dependencies in requirements.yaml, or set apiVersion: v2'
                : 'remove type, or set apiVersion: v2',
          },
        )
      }
    }
  }
  const name = check.string(value, ['name'], { required: true })!
  if (!CHART_NAME.test(name)) {
    throw check.fail(
      'HELM_NAME_INVALID',
      ['name'],
      `chart name "${name}" is not a lowercase name (a-z, 0-9, separated by - . _)`,
      {
        hint: 'chart names become OCI repository names: lowercase letters and digits, words joined by dashes',
      },
    )
  }
  const version = value.version
  if (typeof version !== 'string' || !isSemver(version) || version.length > MAX_VERSION_LENGTH) {
    throw check.fail(
      'HELM_VERSION_INVALID',
      ['version'],
      `version ${version === undefined ? 'is missing' : JSON.stringify(version)} is not SemVer 2 (MAJOR.MINOR.PATCH[-pre][+build])`,
      {
        hint: 'Helm and OCI tags need strict SemVer: write version: 1.2.3 (no v prefix, three numbers, quoted if YAML would read a number)',
      },
    )
  }
  const type = check.string(value, ['type'])
  if (type !== undefined && type !== 'application' && type !== 'library') {
    throw check.fail('HELM_CHART_INVALID', ['type'], `type "${type}" is neither application nor library`)
  }
  const kubeVersion = check.string(value, ['kubeVersion'])
  if (kubeVersion !== undefined && toRange(kubeVersion) === undefined) {
    throw check.fail(
      'HELM_CHART_INVALID',
      ['kubeVersion'],
      `kubeVersion "${kubeVersion}" is not a SemVer constraint`,
      {
        hint: 'write a constraint such as ">=1.27.0-0"',
      },
    )
  }
  const metadata: ChartMetadata = {
    apiVersion,
    name,
    version,
    ...optional('appVersion', check.string(value, ['appVersion'])),
    ...optional('description', check.string(value, ['description'])),
    ...optional('home', check.string(value, ['home'])),
    ...optional('icon', check.string(value, ['icon'])),
    ...optional('sources', check.strings(value, ['sources'])),
    ...optional('keywords', check.strings(value, ['keywords'])),
    ...optional('maintainers', maintainersOf(check, value)),
    ...optional('condition', check.string(value, ['condition'])),
    ...optional('tags', check.string(value, ['tags'])),
    ...optional('deprecated', check.boolean(value, ['deprecated'])),
    ...optional('annotations', check.stringMap(value, ['annotations'])),
    ...optional('kubeVersion', kubeVersion),
    ...optional('dependencies', dependenciesOf(check, value)),
    ...optional('type', type as 'application' | 'library' | undefined),
  }
  const unknownFields = Object.keys(value).filter((key) => !KNOWN_FIELDS.has(key))
  return { metadata, source, dependencySource: source, unknownFields }
}

/** requirements.yaml of an apiVersion v1 chart: its `dependencies`, checked like Chart.yaml's. */
export function parseRequirementsYaml(
  text: string,
  file: string,
): { dependencies: ChartDependency[] | undefined; source: YamlSource } {
  const source = parseYamlSource(text, file)
  const value: unknown = plainValue(source)
  const check = new Checker(source)
  if (value === null || value === undefined) return { dependencies: undefined, source }
  if (!isRecord(value)) throw check.fail('HELM_CHART_INVALID', [], 'requirements.yaml must be a YAML map')
  return { dependencies: dependenciesOf(check, value), source }
}

function maintainersOf(check: Checker, value: Record<string, unknown>): ChartMaintainer[] | undefined {
  const list = check.list(value, ['maintainers'])
  return list?.map((item, i) => {
    const path = ['maintainers', i]
    if (!isRecord(item))
      throw check.fail('HELM_CHART_INVALID', path, 'a maintainer must be a map with name, email, url')
    const name = check.string(item, [...path, 'name'])
    if (name === undefined || name === '')
      throw check.fail('HELM_CHART_INVALID', path, 'each maintainer needs a name')
    return {
      name,
      ...optional('email', check.string(item, [...path, 'email'])),
      ...optional('url', check.string(item, [...path, 'url'])),
    }
  })
}

function dependenciesOf(check: Checker, value: Record<string, unknown>): ChartDependency[] | undefined {
  const list = check.list(value, ['dependencies'])
  if (list === undefined) return undefined
  const seen = new Map<string, number>()
  return list.map((item, i) => {
    const path = ['dependencies', i]
    if (!isRecord(item))
      throw check.fail(
        'HELM_CHART_INVALID',
        path,
        'a dependency must be a map with name, version, repository',
      )
    const name = check.string(item, [...path, 'name'], { required: true })!
    const alias = check.string(item, [...path, 'alias'])
    if (alias !== undefined && !ALIAS.test(alias)) {
      throw check.fail(
        'HELM_CHART_INVALID',
        [...path, 'alias'],
        `dependency alias "${alias}" may only hold letters, digits, - and _`,
      )
    }
    const version = check.string(item, [...path, 'version'])
    if (version !== undefined && toRange(version) === undefined) {
      throw check.fail(
        'HELM_CHART_INVALID',
        [...path, 'version'],
        `dependency ${name}: version "${version}" is not a version or SemVer range`,
      )
    }
    const key = alias ?? name
    if (seen.has(key)) {
      throw check.fail(
        'HELM_CHART_INVALID',
        path,
        `two dependencies are named "${key}" (the other is dependencies[${seen.get(key)}])`,
        {
          hint: 'give one of them an alias',
        },
      )
    }
    seen.set(key, i)
    const importValues = item['import-values']
    if (importValues !== undefined && !Array.isArray(importValues)) {
      throw check.fail('HELM_CHART_INVALID', [...path, 'import-values'], 'import-values must be a list')
    }
    return {
      name,
      repository: check.string(item, [...path, 'repository']) ?? '',
      ...optional('version', version),
      ...optional('condition', check.string(item, [...path, 'condition'])),
      ...optional('tags', check.strings(item, [...path, 'tags'])),
      ...optional('enabled', check.boolean(item, [...path, 'enabled'])),
      ...optional('importValues', importValues as unknown[] | undefined),
      ...optional('alias', alias),
    }
  })
}
