import { access, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { hasTool, run } from '@polyship/core'
import { lowestVersion } from '../chart/constraint.ts'
import { parseHelmignore } from '../chart/helmignore.ts'
import { type ChartSource, HELMIGNORE_FILE, readChart } from '../chart/read-chart.ts'
import { lineOf } from '../chart/yaml-source.ts'
import { HelmError, type HelmErrorCode } from '../errors.ts'
import { type PackageChartOptions, type PackagedChart, packageChart } from '../package/package-chart.ts'
import { checkImagePaths } from '../package/wiring.ts'

export type LintSeverity = 'error' | 'warning' | 'info'

export interface LintFinding {
  readonly severity: LintSeverity
  /** Who found it. */
  readonly source: 'polyship' | 'helm lint' | 'helm template'
  readonly message: string
  readonly code?: HelmErrorCode
  readonly file?: string
  readonly line?: number
}

export interface LintReport {
  /** The chart directory. */
  readonly chart: string
  readonly findings: readonly LintFinding[]
  /** Whether `helm lint` and `helm template` ran on the packaged chart. */
  readonly helm: 'ran' | 'not-installed' | 'disabled'
  /** No errors, and with `strict` (the default) no warnings either. */
  readonly ok: boolean
}

export interface LintChartOptions extends Omit<PackageChartOptions, 'outDir'> {
  /** `auto` (default) runs helm when it is on PATH; `required` makes a missing helm an error; `off` skips it. */
  readonly helm?: 'auto' | 'required' | 'off'
  /** The helm executable (default `helm`). */
  readonly helmCommand?: string
  /** `--kube-version` for `helm template` (default: the lowest version Chart.yaml's kubeVersion admits). */
  readonly kubeVersion?: string
  /** Warnings fail the lint too (default true, as `helm lint --strict`). */
  readonly strict?: boolean
}

const HELM_LINE = /^\[(INFO|WARNING|ERROR)\] (?:([^:\s][^:]*?): )?(.*)$/

/**
 * Lints a chart as it would ship: our own checks always (everything packaging checks,
 * plus .helmignore coverage, unknown Chart.yaml fields, values paths of
 * `polyship.chart.images`), then the real `helm lint --strict` and `helm template` on the
 * packaged .tgz (values wired, versions set) when helm is installed.
 */
export async function lintChart(dir: string, options: LintChartOptions = {}): Promise<LintReport> {
  const findings: LintFinding[] = []
  const work = await mkdtemp(join(tmpdir(), 'polyship-helm-lint-'))
  try {
    let packaged: PackagedChart
    try {
      const source = await readChart(dir, options.cwd === undefined ? {} : { cwd: options.cwd })
      findings.push(...(await sourceFindings(source, options)))
      packaged = await packageChart(dir, { ...options, outDir: work })
    } catch (error) {
      if (!(error instanceof HelmError)) throw error
      findings.push(fromError(error))
      return report(dir, findings, 'disabled', options)
    }
    const mode = options.helm ?? 'auto'
    const helm = options.helmCommand ?? 'helm'
    if (mode === 'off') return report(dir, findings, 'disabled', options)
    if (!(await hasTool(helm, ['version', '--short']))) {
      findings.push({
        severity: mode === 'required' ? 'error' : 'info',
        source: 'polyship',
        message: `${helm} is not installed: helm lint and helm template were skipped`,
      })
      return report(dir, findings, 'not-installed', options)
    }
    findings.push(
      ...(await helmLint(helm, packaged)),
      ...(await helmTemplate(helm, packaged, options.kubeVersion)),
    )
    return report(dir, findings, 'ran', options)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** Throws HELM_LINT_FAILED listing the errors (and, for a strict report, the warnings). */
export function assertLintClean(lint: LintReport): void {
  if (lint.ok) return
  const failing = lint.findings.filter((f) => f.severity !== 'info')
  const first = failing.find((f) => f.file !== undefined)
  throw new HelmError(
    'HELM_LINT_FAILED',
    `chart ${lint.chart} failed lint:\n  ${failing.map(formatFinding).join('\n  ')}`,
    {
      ...(first?.file === undefined ? {} : { file: first.file }),
      ...(first?.line === undefined ? {} : { line: first.line }),
      hint: 'fix the findings above; `helm lint --strict` and `helm template` run on the chart as it would ship',
    },
  )
}

export function formatFinding(finding: LintFinding): string {
  const where =
    finding.file === undefined
      ? ''
      : `${finding.file}${finding.line === undefined ? '' : `:${finding.line}`}: `
  return `[${finding.severity}] (${finding.source}) ${where}${finding.message}`
}

function report(
  chart: string,
  findings: LintFinding[],
  helm: LintReport['helm'],
  options: LintChartOptions,
): LintReport {
  const strict = options.strict ?? true
  const ok = !findings.some((f) => f.severity === 'error' || (strict && f.severity === 'warning'))
  return { chart, findings, helm, ok }
}

function fromError(error: HelmError): LintFinding {
  return {
    severity: 'error',
    source: 'polyship',
    message: error.message,
    code: error.code,
    ...(error.file === undefined ? {} : { file: error.file }),
    ...(error.line === undefined ? {} : { line: error.line }),
  }
}

async function sourceFindings(source: ChartSource, options: LintChartOptions): Promise<LintFinding[]> {
  const findings: LintFinding[] = []
  const chartFile = source.chart.source.file
  for (const field of source.chart.unknownFields) {
    const line = lineOf(source.chart.source, [field])
    findings.push({
      severity: 'warning',
      source: 'polyship',
      message: `unknown field ${field}: Helm ignores it (field names are case-sensitive)`,
      file: chartFile,
      ...(line === undefined ? {} : { line }),
    })
  }
  const rules = parseHelmignore(
    source.hasHelmignore ? await readFile(join(source.dir, HELMIGNORE_FILE), 'utf8') : '',
    HELMIGNORE_FILE,
  )
  for (const [name, isDirectory] of [
    ['package.json', false],
    ['node_modules', true],
  ] as const) {
    const present = await access(join(source.dir, name)).then(
      () => true,
      () => false,
    )
    if (present && !rules.ignores(name, isDirectory)) {
      findings.push({
        severity: 'warning',
        source: 'polyship',
        message: `${name}${isDirectory ? '/' : ''} is not in .helmignore: polyship leaves it out, but \`helm package\` of this directory would ship it`,
        file: join(dirname(chartFile), HELMIGNORE_FILE),
      })
    }
  }
  if (options.config !== undefined) {
    try {
      checkImagePaths(source.values, options.config, source.chart.metadata.name)
    } catch (error) {
      if (!(error instanceof HelmError)) throw error
      findings.push(fromError(error))
    }
  }
  return findings
}

async function helmLint(helm: string, chart: PackagedChart): Promise<LintFinding[]> {
  const result = await run(helm, ['lint', '--strict', chart.file], { okExitCodes: [1] })
  const findings: LintFinding[] = []
  for (const line of result.stdout.split('\n')) {
    const match = HELM_LINE.exec(line.trim())
    if (match === null) continue
    const [, level, file, message] = match
    findings.push({
      severity: level === 'ERROR' ? 'error' : level === 'WARNING' ? 'warning' : 'info',
      source: 'helm lint',
      message: message!,
      ...(file === undefined ? {} : { file: `${chart.name}/${file}` }),
    })
  }
  if (result.exitCode === 1 && !findings.some((f) => f.severity !== 'info')) {
    findings.push({
      severity: 'error',
      source: 'helm lint',
      message: (result.stderr || result.stdout).trim(),
    })
  }
  return findings
}

async function helmTemplate(
  helm: string,
  chart: PackagedChart,
  kubeVersion: string | undefined,
): Promise<LintFinding[]> {
  const kube =
    kubeVersion ??
    (chart.metadata.kubeVersion === undefined ? undefined : lowestVersion(chart.metadata.kubeVersion))
  const args = ['template', chart.name, chart.file, ...(kube === undefined ? [] : ['--kube-version', kube])]
  const result = await run(helm, args, { okExitCodes: [1] })
  if (result.exitCode !== 1) return []
  return [
    { severity: 'error', source: 'helm template', message: result.stderr.trim().replace(/^Error: /, '') },
  ]
}
