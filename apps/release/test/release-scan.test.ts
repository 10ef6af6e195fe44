import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeOsvDatabase, X_TEXT_ADVISORY } from '@polyship/attest/testing'
import { run } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * The vulnerability gate on a real Go build: a server pinning golang.org/x/text v0.3.7 (hit by
 * GHSA-69ch-w2m2-3vjp) is stopped before anything is published, and passes at v0.3.8. The real
 * osv-scanner reads an offline OSV database written here; the module proxy serves x/text.
 */

const MAIN = `package main

import (
\t"fmt"
\t"os"

\t"golang.org/x/text/language"
)

func main() {
\ttags, _, err := language.ParseAcceptLanguage(os.Getenv("LANG_HEADER"))
\tfmt.Println(tags, err)
}
`
const goMod = (xText: string) =>
  `module example.com/langserver\n\ngo 1.22\n\nrequire golang.org/x/text ${xText}\n`

/** go.sum of the module at that x/text version, as `go mod tidy` writes it. */
async function goSum(xText: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'polyship-scan-gosum-'))
  try {
    await writeFile(join(dir, 'go.mod'), goMod(xText))
    await writeFile(join(dir, 'main.go'), MAIN)
    await run('go', ['mod', 'tidy'], { cwd: dir, timeoutMs: 300_000 })
    return await readFile(join(dir, 'go.sum'), 'utf8')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const PACKAGE = `${JSON.stringify(
  {
    name: 'langserver',
    version: '1.0.0',
    private: true,
    polyship: { binary: { toolchain: 'go', main: '.', platforms: ['linux/amd64'] } },
  },
  null,
  2,
)}\n`

let dir: string
let database: string
const sums: Record<string, string> = {}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'polyship-release-scan-'))
  database = join(dir, 'osv')
  await writeOsvDatabase(database, { Go: [X_TEXT_ADVISORY] })
  sums['v0.3.7'] = await goSum('v0.3.7')
  sums['v0.3.8'] = await goSum('v0.3.8')
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function langserver(xText: string, scan: object = { database }): Promise<TestWorkspace> {
  return exampleWorkspace({
    projects: [],
    globs: ['services/langserver'],
    files: {
      'services/langserver/package.json': PACKAGE,
      'services/langserver/go.mod': goMod(xText),
      'services/langserver/go.sum': sums[xText]!,
      'services/langserver/main.go': MAIN,
      'services/langserver/LICENSE': 'MIT\n',
    },
    config: { repository: 'https://github.com/polyship/polyship', scan },
  })
}

const record = async (ws: TestWorkspace) =>
  JSON.parse(await readFile(join(ws.root, 'dist', 'release.json'), 'utf8')) as {
    scan?: Record<string, unknown>
    artifacts: { name: string }[]
  }

describe('vulnerability gate', () => {
  let vulnerable: TestWorkspace
  let fixed: TestWorkspace
  beforeAll(async () => {
    vulnerable = await langserver('v0.3.7')
    fixed = await langserver('v0.3.8')
  })
  afterAll(async () => {
    await vulnerable?.remove()
    await fixed?.remove()
  })

  it('stops a release whose SBOM holds x/text v0.3.7 before publishing, with the findings table', async () => {
    const result = await polyship(['release'], vulnerable)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('RELEASE_VULNERABLE')
    expect(result.stderr).toContain('1 finding at or above high')
    expect(result.stderr).toMatch(
      /artifact\s+package\s+version\s+advisory\s+severity\s+fixed in\n[- ]+\nlangserver_1\.0\.0_linux_amd64\.tar\.gz\s+golang\.org\/x\/text\s+v0\.3\.7\s+GHSA-69ch-w2m2-3vjp CVE-2022-32149\s+high\s+0\.3\.8\n/,
    )
    expect(existsSync(join(vulnerable.root, 'dist', 'assets'))).toBe(false)
    expect(existsSync(join(vulnerable.root, 'dist', 'release.json'))).toBe(false)
  })

  it('a dry run stops at the gate too', async () => {
    const result = await polyship(['release', '--dry-run'], vulnerable)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('RELEASE_VULNERABLE')
  })

  it('--skip scan publishes and the record says the scan was skipped', async () => {
    const result = await polyship(['release', '--skip', 'scan'], vulnerable)
    expect(result.code, result.stderr).toBe(0)
    const written = await record(vulnerable)
    expect(written.scan).toEqual({ status: 'skipped', reason: '--skip scan' })
    expect(written.artifacts.map((a) => a.name)).toContain('langserver_1.0.0_linux_amd64.tar.gz')
  })

  it('refuses a stale database before building anything (ATTEST_SCAN_DB_STALE)', async () => {
    const stale = join(dir, 'stale')
    await writeOsvDatabase(stale, { Go: [X_TEXT_ADVISORY] })
    const old = new Date(Date.now() - 3 * 86_400_000)
    await utimes(join(stale, 'Go', 'all.zip'), old, old)
    await fixed.configure({
      repository: 'https://github.com/polyship/polyship',
      scan: { database: stale, maxAge: '2d' },
    })
    const result = await polyship(['release'], fixed)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('ATTEST_SCAN_DB_STALE')
    expect(result.stderr).toContain('polyship.json: scan.database')
    expect(existsSync(join(fixed.root, 'dist', 'build'))).toBe(false)
  })

  it('refuses a missing database before building anything (ATTEST_SCAN_DB_MISSING)', async () => {
    await fixed.configure({
      repository: 'https://github.com/polyship/polyship',
      scan: { database: 'no-such-db' },
    })
    const result = await polyship(['release'], fixed)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('ATTEST_SCAN_DB_MISSING')
    expect(result.stderr).toContain('no-such-db')
    expect(existsSync(join(fixed.root, 'dist', 'build'))).toBe(false)
  })

  it('passes x/text v0.3.8 and records the scan', async () => {
    await fixed.configure({
      repository: 'https://github.com/polyship/polyship',
      scan: { database, failOn: 'medium' },
    })
    const result = await polyship(['release'], fixed)
    expect(result.code, result.stderr).toBe(0)
    expect((await record(fixed)).scan).toEqual({
      status: 'passed',
      scanner: expect.stringMatching(/^osv-scanner \d/),
      database,
      failOn: 'medium',
      findings: 0,
    })
  })
})

describe('vulnerability gate: scan.ignore', () => {
  let ws: TestWorkspace
  beforeAll(async () => {
    ws = await langserver('v0.3.7', { database, ignore: ['CVE-2022-32149'] })
  })
  afterAll(() => ws?.remove())

  it('an ignored advisory (by alias) is listed as a warning and the release goes on', async () => {
    const result = await polyship(['release'], ws)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain('GHSA-69ch-w2m2-3vjp')
    expect((await record(ws)).scan).toMatchObject({ status: 'passed', findings: 1 })
  })
})
