import { isAbsolute, join } from 'node:path'
import {
  buildSbom,
  type OsvDatabase,
  openOsvDatabase,
  parseMaxAge,
  type ScanFinding,
  type ScanTarget,
  scanSboms,
  severityRank,
} from '@polyship/attest'
import type { RecordedScan, Reporter, ScanConfig, ScanSeverity, Workspace } from '@polyship/core'
import { renderTable } from '../table.ts'
import type { Env, ReleaseContext } from './context.ts'
import { ReleaseError } from './errors.ts'
import type { ProjectRelease } from './release-set.ts'

const DEFAULT_FAIL_ON: ScanSeverity = 'high'
const DEFAULT_MAX_AGE = '7d'

/** What the vulnerability gate will do this run, decided (and the database checked) before building. */
export type ScanGate =
  | { readonly status: 'not-configured' }
  | { readonly status: 'skipped' }
  | {
      readonly status: 'on'
      readonly database: OsvDatabase
      /** `scan.database` as written in polyship.json: what the record names. */
      readonly label: string
      readonly failOn: ScanSeverity
      readonly ignore: ReadonlySet<string>
    }

/**
 * Opens the gate of polyship.json's `scan`: the database must exist, be readable and be
 * younger than `maxAge` (ATTEST_SCAN_DB_*), or the release stops before the first build.
 */
export async function openScanGate(
  workspace: Workspace,
  options: { readonly skip: boolean; readonly now: Date },
): Promise<ScanGate> {
  const config: ScanConfig | undefined = workspace.config.scan
  if (config === undefined) return { status: 'not-configured' }
  if (options.skip) return { status: 'skipped' }
  const path = isAbsolute(config.database) ? config.database : join(workspace.root, config.database)
  const database = await openOsvDatabase(path, {
    maxAgeMs: parseMaxAge(config.maxAge ?? DEFAULT_MAX_AGE, 'polyship.json: scan.maxAge'),
    now: options.now,
    field: 'polyship.json: scan.database',
  })
  return {
    status: 'on',
    database,
    label: config.database,
    failOn: config.failOn ?? DEFAULT_FAIL_ON,
    ignore: new Set(config.ignore ?? []),
  }
}

/** Every SBOM this run will publish, CycloneDX, byte for byte as the attest step builds it. */
export async function scanTargets(
  releases: readonly ProjectRelease[],
  context: ReleaseContext,
): Promise<ScanTarget[]> {
  const targets: ScanTarget[] = []
  for (const release of releases) {
    const { epoch } = context.stampOf(release.project)
    const inputs = [
      ...release.files.flatMap((f) => (f.sbom === undefined ? [] : [{ artifact: f.name, sbom: f.sbom }])),
      ...(release.image ? [{ artifact: release.image.repository, sbom: release.image.sbom }] : []),
      ...(release.chart ? [{ artifact: release.chart.chart.name, sbom: release.chart.sbom }] : []),
    ]
    for (const input of inputs) {
      const sbom = await buildSbom(input.sbom.subject, input.sbom.components, { epoch })
      targets.push({ artifact: input.artifact, bytes: sbom.bytes })
    }
  }
  return targets
}

const ignored = (finding: ScanFinding, ignore: ReadonlySet<string>) =>
  ignore.has(finding.advisory) || finding.aliases.some((a) => ignore.has(a))

/** The findings table: artifact, package, version, advisory, severity, fixed in. */
export function findingsTable(findings: readonly ScanFinding[]): string {
  return renderTable(
    ['artifact', 'package', 'version', 'advisory', 'severity', 'fixed in'],
    findings.map((f) => [
      f.artifact,
      f.package,
      f.version,
      [f.advisory, ...f.aliases].join(' '),
      f.severity,
      f.fixedIn.join(', ') || '(no fix)',
    ]),
  )
}

/**
 * The vulnerability gate: scans every SBOM of the run and stops it (RELEASE_VULNERABLE, with
 * the findings table) when a finding is at or above `failOn` and not in `ignore`. Findings
 * below it are reported as warnings. Runs after the SBOM inputs are assembled and before
 * any destination is asked or written.
 */
export async function runScanGate(
  gate: ScanGate,
  releases: readonly ProjectRelease[],
  context: ReleaseContext,
  services: { readonly env: Env; readonly reporter: Reporter },
): Promise<RecordedScan> {
  switch (gate.status) {
    case 'not-configured':
      return { status: 'not-configured' }
    case 'skipped':
      services.reporter.emit({
        type: 'log',
        level: 'warn',
        message: 'vulnerability scan skipped (--skip scan); the release record says so',
      })
      return { status: 'skipped', reason: '--skip scan' }
    case 'on':
      break
  }
  const report = await scanSboms(await scanTargets(releases, context), gate.database, {
    env: services.env,
  })
  const threshold = severityRank(gate.failOn)
  const blocking = report.findings.filter(
    (f) => severityRank(f.severity) >= threshold && !ignored(f, gate.ignore),
  )
  if (blocking.length > 0) {
    throw new ReleaseError(
      'RELEASE_VULNERABLE',
      `${blocking.length} ${blocking.length === 1 ? 'finding' : 'findings'} at or above ${gate.failOn} in this release's SBOMs (${report.scanner}, ${gate.database.path}); nothing was published:\n${findingsTable(blocking)}`,
      {
        hint: 'upgrade each package to a fixed-in version and release again; an advisory that does not apply goes in polyship.json scan.ignore',
      },
    )
  }
  if (report.findings.length > 0) {
    services.reporter.emit({
      type: 'log',
      level: 'warn',
      message: `vulnerability findings below ${gate.failOn} or ignored:\n${findingsTable(report.findings)}`,
    })
  }
  return {
    status: 'passed',
    scanner: report.scanner,
    database: gate.label,
    failOn: gate.failOn,
    findings: report.findings.length,
  }
}
