import { PolyshipError } from '@polyship/core'

export type HelmErrorCode =
  /** No Chart.yaml in the chart directory, or the directory itself is missing. */
  | 'HELM_CHART_MISSING'
  /** Chart.yaml, values.yaml or a dependency's YAML does not parse. */
  | 'HELM_YAML_INVALID'
  /** Chart.yaml parses but a field has the wrong type or value (apiVersion, type, kubeVersion, dependencies...). */
  | 'HELM_CHART_INVALID'
  /** The chart name is not usable as an archive and OCI repository name. */
  | 'HELM_NAME_INVALID'
  /** Chart.yaml `name` differs from the chart directory's name. */
  | 'HELM_NAME_MISMATCH'
  /** Chart.yaml `version` is not strict SemVer 2. */
  | 'HELM_VERSION_INVALID'
  /** values.schema.json is not JSON or not a usable JSON Schema. */
  | 'HELM_SCHEMA_INVALID'
  /** values.yaml (as shipped) fails values.schema.json. */
  | 'HELM_VALUES_SCHEMA'
  /** A values path of `polyship.chart.images` is missing from values.yaml or is not a map. */
  | 'HELM_VALUES_PATH'
  /** A .helmignore line is not a valid pattern. */
  | 'HELM_IGNORE_INVALID'
  /** A file (or symlink target) lies outside the chart directory. */
  | 'HELM_PATH_ESCAPES'
  /** A file Helm cannot load: device, socket, fifo, dangling symlink, unreadable. */
  | 'HELM_FILE_INVALID'
  /** A dependency is neither a workspace chart, a `file://` chart nor vendored in charts/. */
  | 'HELM_DEPENDENCY_MISSING'
  /** Chart.lock is missing, unreadable, out of sync with Chart.yaml, or lacks a dependency. */
  | 'HELM_DEPENDENCY_LOCK'
  /** A sibling chart's released version does not satisfy the dependency's version range. */
  | 'HELM_DEPENDENCY_VERSION'
  | 'HELM_DEPENDENCY_CYCLE'
  /** The chart maps a values path to an image (or takes appVersion from a project) this release does not provide. */
  | 'HELM_IMAGE_MISSING'
  /** A file or the whole chart passes the limits Helm enforces when loading a chart. */
  | 'HELM_TOO_LARGE'
  /** A packaged chart archive that Helm would not load (no Chart.yaml under `<name>/`, corrupt gzip/tar). */
  | 'HELM_ARCHIVE_INVALID'
  /** Our own lint checks or `helm lint --strict` / `helm template` found errors. */
  | 'HELM_LINT_FAILED'
  /** The destination already holds a different chart under this version's tag. */
  | 'HELM_TAG_CONFLICT'

/**
 * Every coded failure of the helm package. `file` and `line` (1-based) point at the
 * input at fault when there is one; the message starts with `file:line` too.
 */
export class HelmError extends PolyshipError<HelmErrorCode> {
  readonly file: string | undefined
  readonly line: number | undefined

  constructor(
    code: HelmErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; file?: string; line?: number } = {},
  ) {
    super(code, message, {
      ...(options.hint === undefined ? {} : { hint: options.hint }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    })
    this.file = options.file
    this.line = options.line
  }
}

/** `file:line` when the line is known, else `file`. */
export function at(file: string, line: number | undefined): string {
  return line === undefined ? file : `${file}:${line}`
}
