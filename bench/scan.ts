/**
 * Vulnerability gate benchmark (issue 17): releases examples/ once, then scans every SBOM of
 * the release against the same offline OSV database, same run:
 *   polyship: `scanSboms` (what the gate runs: one osv-scanner process over every SBOM)
 *   by hand:  `osv-scanner scan source --offline-vulnerabilities -L <sbom>` once per SBOM
 * The database is written here (no internet): GHSA-69ch-w2m2-3vjp in Go, and empty exports of
 * crates.io and PyPI, so both sides do the same matching work on the same packages.
 *   tools/run node bench/scan.ts [runs=3]
 */
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { openOsvDatabase, parseMaxAge, scanSboms } from '../packages/attest/src/index.ts'
import { writeOsvDatabase, X_TEXT_ADVISORY } from '../packages/attest/src/testing/index.ts'
import { compare, report, sh } from './harness.ts'
import { releaseExamples } from './sbom.ts'

const runs = Number(process.argv[2] ?? 3)
const released = await releaseExamples()
try {
  const db = join(released.work, 'osv')
  await writeOsvDatabase(db, { Go: [X_TEXT_ADVISORY], 'crates.io': [], PyPI: [] })
  const database = await openOsvDatabase(db, { maxAgeMs: parseMaxAge('7d', 'maxAge'), now: new Date() })
  const targets = [...released.sboms].map(([artifact, sbom]) => ({ artifact, bytes: sbom.bytes }))
  const files = join(released.work, 'sboms')
  await mkdir(files, { recursive: true })
  for (const [i, t] of targets.entries()) await writeFile(join(files, `${i}.cdx.json`), t.bytes)
  // osv-scanner 2.5 reads <dir>/osv-scalibr/<ecosystem>/all.zip
  const cache = join(released.work, 'osv-cache')
  await writeOsvDatabase(join(cache, 'osv-scalibr'), { Go: [X_TEXT_ADVISORY], 'crates.io': [], PyPI: [] })
  const env = { ...process.env, OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY: cache }
  const byHand = async () => {
    for (const i of targets.keys()) {
      await sh(
        'sh',
        [
          '-c',
          // exit 1 is "vulnerabilities found", 128 "no packages": results, not failures
          'osv-scanner scan source --offline-vulnerabilities --no-resolve --format json -L "$1" >/dev/null; c=$?; [ $c -eq 0 ] || [ $c -eq 1 ] || [ $c -eq 128 ]',
          'scan',
          join(files, `${i}.cdx.json`),
        ],
        { env },
      )
    }
  }
  const gate = await scanSboms(targets, database)
  console.log(
    `\n${targets.length} SBOMs, ${Object.values(gate.packages).reduce((a, b) => a + b, 0)} packages matched, ${gate.findings.length} findings (${gate.scanner})`,
  )
  const results = await compare(
    [
      { name: `polyship gate (${targets.length} SBOMs)`, run: () => scanSboms(targets, database) },
      { name: `osv-scanner by hand, per SBOM`, run: byHand },
    ],
    runs,
  )
  report('vulnerability scan of every SBOM of a release of examples/', results)
} finally {
  await rm(released.work, { recursive: true, force: true })
}
