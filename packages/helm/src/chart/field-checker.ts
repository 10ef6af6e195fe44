import { HelmError, type HelmErrorCode } from '../errors.ts'
import { formatPath, lineOf, type YamlPath, type YamlSource } from './yaml-source.ts'

/** Type checks that fail with the `file:line` of the offending value. */
export class Checker {
  readonly #source: YamlSource

  constructor(source: YamlSource) {
    this.#source = source
  }

  fail(code: HelmErrorCode, path: YamlPath, problem: string, options: { hint?: string } = {}): HelmError {
    const line = lineOf(this.#source, path)
    const file = this.#source.file
    return new HelmError(code, `${file}${line === undefined ? '' : `:${line}`}: ${problem}`, {
      file,
      ...(line === undefined ? {} : { line }),
      hint: options.hint ?? 'see https://helm.sh/docs/topics/charts/#the-chartyaml-file',
    })
  }

  #field(record: Record<string, unknown>, path: YamlPath): unknown {
    return record[path[path.length - 1] as string]
  }

  string(
    record: Record<string, unknown>,
    path: YamlPath,
    options: { required?: boolean } = {},
  ): string | undefined {
    const value = this.#field(record, path)
    if (value === undefined || value === null) {
      if (options.required) throw this.fail('HELM_CHART_INVALID', path, `${formatPath(path)} is required`)
      return undefined
    }
    if (typeof value !== 'string') {
      throw this.fail('HELM_CHART_INVALID', path, `${formatPath(path)} is ${describe(value)}, not a string`, {
        hint: `quote it (${formatPath(path)}: "${String(value)}"): Helm would silently rewrite it (1.10 becomes "1.1")`,
      })
    }
    return value
  }

  boolean(record: Record<string, unknown>, path: YamlPath): boolean | undefined {
    const value = this.#field(record, path)
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'boolean')
      throw this.fail('HELM_CHART_INVALID', path, `${formatPath(path)} must be true or false`)
    return value
  }

  list(record: Record<string, unknown>, path: YamlPath): unknown[] | undefined {
    const value = this.#field(record, path)
    if (value === undefined || value === null) return undefined
    if (!Array.isArray(value))
      throw this.fail('HELM_CHART_INVALID', path, `${formatPath(path)} must be a list`)
    return value
  }

  strings(record: Record<string, unknown>, path: YamlPath): string[] | undefined {
    return this.list(record, path)?.map((item, i) => {
      if (typeof item !== 'string') {
        throw this.fail(
          'HELM_CHART_INVALID',
          [...path, i],
          `${formatPath([...path, i])} is ${describe(item)}, not a string`,
        )
      }
      return item
    })
  }

  stringMap(record: Record<string, unknown>, path: YamlPath): Record<string, string> | undefined {
    const value = this.#field(record, path)
    if (value === undefined || value === null) return undefined
    if (!isRecord(value))
      throw this.fail('HELM_CHART_INVALID', path, `${formatPath(path)} must be a map of strings`)
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== 'string') {
        throw this.fail(
          'HELM_CHART_INVALID',
          [...path, key],
          `${formatPath([...path, key])} is ${describe(item)}, not a string`,
          {
            hint: 'quote annotation values',
          },
        )
      }
    }
    return value as Record<string, string>
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list'
  if (isRecord(value)) return 'a map'
  return `the ${typeof value} ${JSON.stringify(value)}`
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}
