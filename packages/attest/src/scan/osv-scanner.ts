import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { AttestError } from '../errors.ts'
import { ecosystemOfPurl, type OsvDatabase, stageForOsvScanner } from './database.ts'
import { type Severity, severityFromLabel, severityFromScore } from './severity.ts'

/** One artifact's CycloneDX SBOM, as released. */
export interface ScanTarget {
  /** How the findings table names the artifact (`time-server-go_linux_amd64.tar.gz`). */
  readonly artifact: string
  readonly bytes: Uint8Array
}

/** One advisory affecting one package of one artifact. */
export interface ScanFinding {
  readonly artifact: string
  readonly package: string
  readonly ecosystem: string
  readonly version: string
  /** The advisory id osv-scanner groups the rest under, then its aliases. */
  readonly advisory: string
  readonly aliases: readonly string[]
  readonly severity: Severity
  /** Versions that fix it in this package's ecosystem, lowest first; empty when none is known. */
  readonly fixedIn: readonly string[]
  readonly summary?: string
}

export interface ScanReport {
  /** `osv-scanner <version>`, for the record. */
  readonly scanner: string
  readonly findings: readonly ScanFinding[]
  /** Packages the scanner matched per artifact: what shows it read every SBOM. */
  readonly packages: Readonly<Record<string, number>>
}

export interface ScanOptions {
  readonly env?: Readonly<Record<string, string | undefined>>
  /** The osv-scanner executable (default `osv-scanner` on PATH). */
  readonly command?: string
}

interface OsvEvent {
  readonly introduced?: string
  readonly fixed?: string
}
interface OsvVulnerability {
  readonly id: string
  readonly aliases?: readonly string[]
  readonly summary?: string
  readonly database_specific?: { readonly severity?: unknown }
  readonly affected?: readonly {
    readonly package?: { readonly name?: string; readonly ecosystem?: string }
    readonly ranges?: readonly { readonly events?: readonly OsvEvent[] }[]
  }[]
}
interface OsvScannerOutput {
  readonly results?: readonly {
    readonly source: { readonly path: string }
    readonly packages?: readonly {
      readonly package: { readonly name: string; readonly version: string; readonly ecosystem: string }
      readonly vulnerabilities?: readonly OsvVulnerability[]
      readonly groups?: readonly {
        readonly ids: readonly string[]
        readonly aliases?: readonly string[]
        readonly max_severity?: string
      }[]
    }[]
  }[]
}

interface CycloneDxComponents {
  readonly components?: readonly {
    readonly name?: string
    readonly version?: string
    readonly purl?: string
  }[]
}

const parseSbom = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as CycloneDxComponents

/** `pkg:golang/golang.org/x/text@v0.3.7` -> `golang.org/x/text`: the name an advisory uses. */
function purlName(purl: string): string {
  const path = purl.replace(/^pkg:[^/]+\//, '').split(/[@?#]/)[0]!
  return path.split('/').map(decodeURIComponent).join('/')
}

/**
 * Full package names by `name@version` as osv-scanner reports them: it takes a CycloneDX
 * component's `name`, which for Go modules is the last path element (`text`, group
 * `golang.org/x`), so the table names the module from the purl instead.
 */
function fullNames(bytes: Uint8Array): Map<string, string> {
  const names = new Map<string, string>()
  for (const c of parseSbom(bytes).components ?? []) {
    if (c.purl !== undefined && c.name !== undefined)
      names.set(`${c.name}@${c.version ?? ''}`, purlName(c.purl))
  }
  return names
}

/** The ecosystems an SBOM's components are published in (those the scanner can match). */
export function sbomEcosystems(bytes: Uint8Array): Set<string> {
  const document = parseSbom(bytes)
  const found = new Set<string>()
  for (const component of document.components ?? []) {
    const ecosystem = component.purl === undefined ? undefined : ecosystemOfPurl(component.purl)
    if (ecosystem !== undefined) found.add(ecosystem)
  }
  return found
}

/**
 * Refuses SBOMs with packages of an ecosystem the database has no export of: the scanner
 * would match nothing there and the gate would pass without having looked.
 */
export function assertDatabaseCovers(targets: readonly ScanTarget[], database: OsvDatabase): void {
  const held = new Set(database.ecosystems.map((e) => e.ecosystem))
  const missing = new Map<string, string[]>()
  for (const target of targets) {
    for (const ecosystem of sbomEcosystems(target.bytes)) {
      if (!held.has(ecosystem)) missing.set(ecosystem, [...(missing.get(ecosystem) ?? []), target.artifact])
    }
  }
  if (missing.size === 0) return
  const lines = [...missing].map(([ecosystem, artifacts]) => `${ecosystem} (${artifacts.join(', ')})`)
  throw new AttestError(
    'ATTEST_SCAN_DB_INCOMPLETE',
    `the vulnerability database ${database.path} has no export of ${lines.join('; ')}`,
    {
      hint: `add <database>/${[...missing.keys()][0]}/all.zip (from https://osv-vulnerabilities.storage.googleapis.com/${[...missing.keys()][0]}/all.zip), or release with --skip scan`,
    },
  )
}

function fixedVersions(vulnerability: OsvVulnerability, name: string, ecosystem: string): string[] {
  const fixed = new Set<string>()
  for (const affected of vulnerability.affected ?? []) {
    if (affected.package?.name !== name || affected.package.ecosystem !== ecosystem) continue
    for (const range of affected.ranges ?? [])
      for (const event of range.events ?? []) if (event.fixed !== undefined) fixed.add(event.fixed)
  }
  return [...fixed].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
}

/** The group's severity: GitHub's label when an advisory has one, else the CVSS score osv-scanner computed. */
function groupSeverity(
  vulnerabilities: readonly OsvVulnerability[],
  maxSeverity: string | undefined,
): Severity {
  const labels = vulnerabilities
    .map((v) => severityFromLabel(v.database_specific?.severity))
    .filter((s) => s !== undefined)
  const order = ['low', 'medium', 'high', 'critical'] as const
  if (labels.length > 0) return order[Math.max(...labels.map((s) => order.indexOf(s)))]!
  const score = Number(maxSeverity)
  return maxSeverity === undefined || maxSeverity === '' || Number.isNaN(score)
    ? 'unknown'
    : severityFromScore(score)
}

/**
 * Parses osv-scanner's `--format json` output; `artifactOf` maps a scanned file back to its
 * artifact, `nameOf` a reported package to its full name (default: as reported).
 */
export function parseOsvScannerOutput(
  text: string,
  artifactOf: (path: string) => string,
  nameOf: (path: string, name: string, version: string) => string = (_, name) => name,
): { findings: ScanFinding[]; packages: Record<string, number> } {
  let output: OsvScannerOutput
  try {
    output = JSON.parse(text) as OsvScannerOutput
  } catch (cause) {
    throw new AttestError('ATTEST_SCAN_FAILED', 'osv-scanner printed no JSON report', {
      hint: 'run it by hand with the same arguments to see why (--debug shows them)',
      cause,
    })
  }
  const findings: ScanFinding[] = []
  const packages: Record<string, number> = {}
  for (const result of output.results ?? []) {
    const artifact = artifactOf(result.source.path)
    packages[artifact] = (packages[artifact] ?? 0) + (result.packages?.length ?? 0)
    for (const entry of result.packages ?? []) {
      const { version, ecosystem } = entry.package
      const name = nameOf(result.source.path, entry.package.name, version)
      for (const group of entry.groups ?? []) {
        const members = (entry.vulnerabilities ?? []).filter((v) => group.ids.includes(v.id))
        const [advisory, ...others] = group.ids
        if (advisory === undefined) continue
        const aliases = [...new Set([...others, ...(group.aliases ?? [])])].filter((a) => a !== advisory)
        const summary = members.find((v) => v.summary)?.summary
        findings.push({
          artifact,
          package: name,
          ecosystem,
          version,
          advisory,
          aliases: aliases.sort(),
          severity: groupSeverity(members, group.max_severity),
          fixedIn: [...new Set(members.flatMap((v) => fixedVersions(v, name, ecosystem)))],
          ...(summary === undefined ? {} : { summary }),
        })
      }
    }
  }
  findings.sort(
    (a, b) =>
      a.artifact.localeCompare(b.artifact) ||
      a.package.localeCompare(b.package) ||
      a.advisory.localeCompare(b.advisory),
  )
  return { findings, packages }
}

/** `osv-scanner <version>` as the binary reports it. */
export async function osvScannerVersion(options: ScanOptions = {}): Promise<string> {
  const { stdout } = await run(options.command ?? 'osv-scanner', ['--version'], {
    ...(options.env === undefined ? {} : { env: options.env }),
  })
  const version = /version:\s*(\S+)/.exec(stdout)?.[1]
  return version === undefined ? 'osv-scanner' : `osv-scanner ${version}`
}

/**
 * Scans CycloneDX SBOMs with osv-scanner against the offline database, in one run, never
 * touching the network (`--offline-vulnerabilities`; the database is only read). Every SBOM
 * with packages of an OSV ecosystem must show up in the report with them, or the scan is
 * refused as not done (ATTEST_SCAN_FAILED), so a format the scanner stopped reading cannot
 * pass the gate silently.
 */
export async function scanSboms(
  targets: readonly ScanTarget[],
  database: OsvDatabase,
  options: ScanOptions = {},
): Promise<ScanReport> {
  assertDatabaseCovers(targets, database)
  const command = options.command ?? 'osv-scanner'
  const work = await mkdtemp(join(tmpdir(), 'polyship-scan-'))
  const staged = await stageForOsvScanner(database)
  try {
    const files = new Map<string, string>()
    const names = new Map<string, Map<string, string>>()
    for (const [i, target] of targets.entries()) {
      // osv-scanner picks the SBOM parser by file name: *.cdx.json is CycloneDX JSON
      const file = join(work, `${i}.cdx.json`)
      await writeFile(file, target.bytes)
      files.set(file, target.artifact)
      names.set(file, fullNames(target.bytes))
    }
    const scanner = await osvScannerVersion(options)
    if (files.size === 0) return { scanner, findings: [], packages: {} }
    const env = { ...(options.env ?? process.env), OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY: staged.dir }
    const args = [
      'scan',
      'source',
      '--offline-vulnerabilities',
      '--no-resolve',
      '--format',
      'json',
      '--all-packages',
      ...[...files.keys()].flatMap((file) => ['-L', file]),
    ]
    // 1: vulnerabilities found; 128: none of the files held a package the scanner matches
    const result = await run(command, args, { env, okExitCodes: [1, 128], timeoutMs: 10 * 60_000 })
    const parsed =
      result.exitCode === 128
        ? { findings: [], packages: {} as Record<string, number> }
        : parseOsvScannerOutput(
            result.stdout,
            (path) => files.get(path) ?? path,
            (path, name, version) => names.get(path)?.get(`${name}@${version}`) ?? name,
          )
    const unread = targets.filter((t) => sbomEcosystems(t.bytes).size > 0 && !parsed.packages[t.artifact])
    if (unread.length > 0) {
      throw new AttestError(
        'ATTEST_SCAN_FAILED',
        `osv-scanner found no packages in the SBOM of ${unread.map((t) => t.artifact).join(', ')}, which lists some`,
        { hint: `the scanner did not read the SBOM; check that ${scanner} reads CycloneDX 1.6 (*.cdx.json)` },
      )
    }
    return { scanner, ...parsed }
  } finally {
    await staged.dispose()
    await rm(work, { recursive: true, force: true })
  }
}
