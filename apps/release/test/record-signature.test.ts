import { existsSync } from 'node:fs'
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseReleaseRecord } from '@polyship/core'
import { afterEach, describe, expect, it } from 'vitest'
import { commitAll, exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * A release builds on the record already in its outDir (it keeps the earlier releases'
 * entries and signs the result), so it checks that record's signature first (issue 14,
 * finding 1): a record edited by hand is refused before anything is built or published,
 * naming the file and the way out, and never signed again; a record with no signature (an
 * older polyship wrote it) is accepted once with a warning and signed; a re-run with
 * nothing to release signs such a record, so `polyship verify` accepts it after an upgrade.
 */

const lib = (name: string) =>
  `${JSON.stringify({ name: `@recsig/${name}`, version: '1.0.0', license: 'MIT', polyship: { npm: {} } }, null, 2)}\n`

let ws: TestWorkspace | undefined
afterEach(async () => {
  await ws?.remove()
  ws = undefined
})

async function workspace(): Promise<TestWorkspace> {
  ws = await exampleWorkspace({
    projects: [],
    globs: ['packages/*'],
    config: {
      repository: 'https://github.com/polyship/polyship',
      destinations: { npm: { type: 'directory', path: 'dist/npm' } },
    },
    files: {
      'packages/a/package.json': lib('a'),
      'packages/a/index.js': 'module.exports = "a"\n',
      'packages/b/package.json': lib('b'),
      'packages/b/index.js': 'module.exports = "b"\n',
    },
  })
  return ws
}
const recordPath = (w: TestWorkspace) => join(w.root, 'dist', 'release.json')
const signaturePath = (w: TestWorkspace) => `${recordPath(w)}.sigstore.json`
const tarballs = (w: TestWorkspace) => join(w.root, 'dist', 'npm')
async function releasedProjects(w: TestWorkspace): Promise<string[]> {
  const record = parseReleaseRecord(JSON.parse(await readFile(recordPath(w), 'utf8')), recordPath(w))
  return record.projects.map((p) => p.name).sort()
}
async function releaseOk(w: TestWorkspace, args: readonly string[]) {
  const result = await polyship(['release', ...args], w)
  expect(result.code, result.stderr).toBe(0)
  return result
}
async function verifyOk(w: TestWorkspace) {
  const result = await polyship(['verify'], w)
  expect(result.code, `${result.stdout}${result.stderr}`).toBe(0)
  expect(result.stdout).toMatch(/all passed/)
}
const bTarballs = async (w: TestWorkspace) =>
  existsSync(tarballs(w))
    ? (await readdir(tarballs(w), { recursive: true })).filter((name) => name.includes('recsig-b'))
    : []

describe('the earlier record is checked before a release extends and signs it', () => {
  it('a record edited by hand: ATTEST_RECORD_SIGNATURE_INVALID naming it and the way out; nothing is published or re-signed', async () => {
    const w = await workspace()
    await releaseOk(w, ['--only', '@recsig/a'])
    const text = await readFile(recordPath(w), 'utf8')
    // an edit that keeps the record valid JSON: another commit for the released version
    const tampered = text.replace(
      /"commit": "([0-9a-f]{40})"/,
      '"commit": "0000000000000000000000000000000000000000"',
    )
    expect(tampered).not.toBe(text)
    await writeFile(recordPath(w), tampered)
    const signature = await readFile(signaturePath(w), 'utf8')

    const result = await polyship(['release', '--only', '@recsig/b'], w)
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain(
      `error ATTEST_RECORD_SIGNATURE_INVALID: ${recordPath(w)} does not match its signature ${signaturePath(w)}`,
    )
    expect(result.stderr).toContain(
      'it was edited after the last release signed it, or signed with a key other than',
    )
    expect(result.stderr).toMatch(/hint: restore both files from the last release .*or move them aside \(mv /)
    expect(result.stderr).not.toContain('this is a bug in polyship')
    // refused before anything was built or published; the record and its signature are as they were
    expect(await bTarballs(w)).toEqual([])
    expect(await readFile(recordPath(w), 'utf8')).toBe(tampered)
    expect(await readFile(signaturePath(w), 'utf8')).toBe(signature)

    // the way out the hint gives: move both aside, and the next release starts a new record
    await rename(recordPath(w), `${recordPath(w)}.untrusted`)
    await rename(signaturePath(w), `${signaturePath(w)}.untrusted`)
    await releaseOk(w, ['--only', '@recsig/b'])
    expect(await releasedProjects(w)).toEqual(['@recsig/b'])
    await verifyOk(w)
  })

  it('a signature that is not JSON is refused the same way', async () => {
    const w = await workspace()
    await releaseOk(w, ['--only', '@recsig/a'])
    await writeFile(signaturePath(w), '{"mediaType": "application/vnd.dev.sigst')
    const result = await polyship(['release', '--only', '@recsig/b'], w)
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain(
      `error ATTEST_RECORD_SIGNATURE_INVALID: ${recordPath(w)} does not match its signature`,
    )
    expect(await bTarballs(w)).toEqual([])
  })

  it('a record with no signature (an older polyship wrote it) is accepted once with a warning and signed', async () => {
    const w = await workspace()
    await releaseOk(w, ['--only', '@recsig/a'])
    await rm(signaturePath(w))
    const result = await releaseOk(w, ['--only', '@recsig/b'])
    expect(result.stderr).toContain(`warn: ${recordPath(w)} has no signature (${signaturePath(w)})`)
    expect(result.stderr).toContain('accepted once, this release signs it')
    expect(await releasedProjects(w)).toEqual(['@recsig/a', '@recsig/b'])
    await verifyOk(w)
    // signed now: an edit from here on is caught
    await writeFile(recordPath(w), (await readFile(recordPath(w), 'utf8')).replace('"1.0.0"', '"1.0.1"'))
    const edited = await polyship(['verify'], w)
    expect(edited.code).toBe(1)
    expect(edited.stdout + edited.stderr).toContain('ATTEST_RECORD_SIGNATURE_INVALID')
  })

  it('a re-run with nothing to release signs an unsigned record as it is, so verify accepts it', async () => {
    const w = await workspace()
    await releaseOk(w, [])
    await rm(signaturePath(w))
    const unsigned = await polyship(['verify'], w)
    expect(unsigned.code).toBe(1)
    expect(unsigned.stdout + unsigned.stderr).toContain('ATTEST_RECORD_UNSIGNED')

    // a re-run of the same commit reconciles the release and writes the record again, signed
    const same = await releaseOk(w, [])
    expect(same.stderr).toContain(`warn: ${recordPath(w)} has no signature`)
    await verifyOk(w)

    // a later commit with no new version: nothing to release, the record is only signed
    await rm(signaturePath(w))
    await writeFile(join(w.root, 'NOTES.md'), 'not a project file\n')
    await commitAll(w.root, 'notes')
    const bytes = await readFile(recordPath(w))
    const rerun = await releaseOk(w, [])
    expect(rerun.stderr).toContain('already released at')
    expect(rerun.stderr).toContain(`warn: ${recordPath(w)} had no signature`)
    expect(rerun.stderr).toContain('signed it as it is')
    expect(await readFile(recordPath(w))).toEqual(bytes)
    await verifyOk(w)

    // signed: a further re-run leaves it alone and says nothing about it
    const signature = await readFile(signaturePath(w), 'utf8')
    const third = await releaseOk(w, [])
    expect(third.stderr).not.toContain('no signature')
    expect(await readFile(signaturePath(w), 'utf8')).toBe(signature)

    // a dry run writes nothing
    await rm(signaturePath(w))
    await releaseOk(w, ['--dry-run'])
    expect(existsSync(signaturePath(w))).toBe(false)
  })
})
