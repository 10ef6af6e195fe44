import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  buildSbom,
  cargoPackage,
  fileComponent,
  goModule,
  goStdlib,
  isAttestError,
  openOsvDatabase,
  parseMaxAge,
  type ScanTarget,
  scanSboms,
} from '@polyship/attest'
import { writeOsvDatabase, X_TEXT_ADVISORY } from '@polyship/attest/testing'
import { sha256 } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The real osv-scanner (tools/test-env.sh installs the pinned one) against an offline OSV
// database written here: GHSA-69ch-w2m2-3vjp, golang.org/x/text before 0.3.8.

const WEEK = parseMaxAge('7d', 'maxAge')
let dir: string
let dbDir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'polyship-scan-test-'))
  dbDir = join(dir, 'db')
  await writeOsvDatabase(dbDir, { Go: [X_TEXT_ADVISORY], 'crates.io': [] })
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function goBinarySbom(xTextVersion: string): Promise<ScanTarget> {
  const name = 'server_linux_amd64.tar.gz'
  const binary = fileComponent({
    name: 'server',
    digest: sha256('server'),
    dependsOn: [
      goStdlib('go1.24.0'),
      goModule({ path: 'golang.org/x/text', version: xTextVersion }),
      goModule({ path: 'github.com/google/uuid', version: 'v1.6.0' }),
    ],
  })
  const sbom = await buildSbom(
    { kind: 'archive', name, version: '1.0.0', digest: sha256(`archive ${xTextVersion}`) },
    [binary],
    { epoch: 1_700_000_000 },
  )
  return { artifact: name, bytes: sbom.bytes }
}

const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isAttestError(error) ? error.code : String(error)),
  )

describe('scanSboms (osv-scanner, offline database)', () => {
  it('finds the advisory in an SBOM pinning golang.org/x/text v0.3.7, with its fix', async () => {
    const database = await openOsvDatabase(dbDir, { maxAgeMs: WEEK, now: new Date() })
    const report = await scanSboms([await goBinarySbom('v0.3.7')], database)
    expect(report.scanner).toMatch(/^osv-scanner \d+\.\d+\.\d+/)
    expect(report.findings).toEqual([
      {
        artifact: 'server_linux_amd64.tar.gz',
        package: 'golang.org/x/text',
        ecosystem: 'Go',
        version: 'v0.3.7',
        advisory: 'GHSA-69ch-w2m2-3vjp',
        aliases: ['CVE-2022-32149'],
        severity: 'high',
        fixedIn: ['0.3.8'],
        summary: 'golang.org/x/text/language Denial of service via crafted Accept-Language header',
      },
    ])
  })

  it('finds nothing once golang.org/x/text is the fixed v0.3.8, and says it read the SBOM', async () => {
    const database = await openOsvDatabase(dbDir, { maxAgeMs: WEEK, now: new Date() })
    const report = await scanSboms([await goBinarySbom('v0.3.8')], database)
    expect(report.findings).toEqual([])
    // stdlib, x/text, uuid: the scanner saw the packages, so "no findings" means something
    expect(report.packages['server_linux_amd64.tar.gz']).toBeGreaterThanOrEqual(3)
  })

  it('scans several SBOMs in one run and names the artifact of each finding', async () => {
    const database = await openOsvDatabase(dbDir, { maxAgeMs: WEEK, now: new Date() })
    const fixed = { ...(await goBinarySbom('v0.3.8')), artifact: 'fixed.tar.gz' }
    const vulnerable = { ...(await goBinarySbom('v0.3.7')), artifact: 'vulnerable.tar.gz' }
    const report = await scanSboms([fixed, vulnerable], database)
    expect(report.findings.map((f) => [f.artifact, f.advisory])).toEqual([
      ['vulnerable.tar.gz', 'GHSA-69ch-w2m2-3vjp'],
    ])
  })

  it('refuses an SBOM of an ecosystem the database has no export of (ATTEST_SCAN_DB_INCOMPLETE)', async () => {
    const onlyGo = join(dir, 'only-go')
    await writeOsvDatabase(onlyGo, { Go: [X_TEXT_ADVISORY] })
    const database = await openOsvDatabase(onlyGo, { maxAgeMs: WEEK, now: new Date() })
    const crate = await buildSbom(
      { kind: 'archive', name: 'echo.tar.gz', version: '1.0.0', digest: sha256('echo') },
      [
        cargoPackage({
          name: 'serde',
          version: '1.0.200',
          source: 'registry+https://github.com/rust-lang/crates.io-index',
        }),
      ],
      { epoch: 1_700_000_000 },
    )
    const error = await scanSboms([{ artifact: 'echo.tar.gz', bytes: crate.bytes }], database).catch(
      (e: unknown) => e,
    )
    expect(isAttestError(error) && error.code).toBe('ATTEST_SCAN_DB_INCOMPLETE')
    expect((error as Error).message).toContain('crates.io (echo.tar.gz)')
  })
})

describe('openOsvDatabase', () => {
  it("reads osv-scanner's own cache layout (<dir>/osv-scalibr/<ecosystem>/all.zip) and one all.zip", async () => {
    const cache = join(dir, 'cache')
    await writeOsvDatabase(join(cache, 'osv-scalibr'), { Go: [X_TEXT_ADVISORY] })
    const now = new Date()
    expect(
      (await openOsvDatabase(cache, { maxAgeMs: WEEK, now })).ecosystems.map((e) => e.ecosystem),
    ).toEqual(['Go'])
    const single = await openOsvDatabase(join(dbDir, 'Go', 'all.zip'), { maxAgeMs: WEEK, now })
    expect(single.ecosystems.map((e) => e.ecosystem)).toEqual(['Go'])
  })

  it('refuses a missing database (ATTEST_SCAN_DB_MISSING), naming the field', async () => {
    const error = await openOsvDatabase(join(dir, 'nowhere'), { maxAgeMs: WEEK, now: new Date() }).catch(
      (e: unknown) => e,
    )
    expect(isAttestError(error) && error.code).toBe('ATTEST_SCAN_DB_MISSING')
    expect((error as Error).message).toMatch(/^scan\.database: no vulnerability database at .*nowhere$/)
    const empty = join(dir, 'empty')
    await mkdir(join(empty, 'Go'), { recursive: true })
    expect(await codeOf(openOsvDatabase(empty, { maxAgeMs: WEEK, now: new Date() }))).toBe(
      'ATTEST_SCAN_DB_MISSING',
    )
  })

  it('refuses a database older than maxAge (ATTEST_SCAN_DB_STALE)', async () => {
    const stale = join(dir, 'stale')
    await writeOsvDatabase(stale, { Go: [X_TEXT_ADVISORY] })
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000)
    await utimes(join(stale, 'Go', 'all.zip'), tenDaysAgo, tenDaysAgo)
    const error = await openOsvDatabase(stale, { maxAgeMs: WEEK, now: new Date() }).catch((e: unknown) => e)
    expect(isAttestError(error) && error.code).toBe('ATTEST_SCAN_DB_STALE')
    expect((error as Error).message).toMatch(/Go\/all\.zip is 10\.0 days old/)
    // the same export is young enough for a longer maxAge
    expect(
      await codeOf(openOsvDatabase(stale, { maxAgeMs: parseMaxAge('14d', 'maxAge'), now: new Date() })),
    ).toBe('resolved')
  })

  it('refuses an export that is not a zip (ATTEST_SCAN_DB_UNREADABLE)', async () => {
    const broken = join(dir, 'broken')
    await mkdir(join(broken, 'Go'), { recursive: true })
    await writeFile(join(broken, 'Go', 'all.zip'), '<html>Access denied</html>')
    expect(await codeOf(openOsvDatabase(broken, { maxAgeMs: WEEK, now: new Date() }))).toBe(
      'ATTEST_SCAN_DB_UNREADABLE',
    )
  })
})
