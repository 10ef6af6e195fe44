import { glob, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseReleaseRecord, run, sha256 } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * An artifact's bytes depend only on its project's inputs: SOURCE_DATE_EPOCH (and the commit
 * a binary or image names) is the last commit that touched the project or what it is made
 * of, not HEAD. A commit elsewhere in the repository must change no digest, or every version
 * already published would conflict. Go is run as on a machine without `-buildvcs=false` in
 * its environment: go would otherwise stamp HEAD into every binary.
 */

let ws: TestWorkspace
const dist = (...path: string[]) => join(ws.root, 'dist', ...path)

beforeAll(async () => {
  ws = await exampleWorkspace({
    platforms: {
      'time-server-go': ['linux/amd64', 'linux/arm64'],
      'echo-server-rust': ['linux/amd64', 'linux/arm64'],
    },
  })
  ws.env.GOFLAGS = '-buildvcs=auto'
}, 120_000)
afterAll(() => ws?.remove())

/** Commits everything with a commit date of its own: a later HEAD date than the first commit's. */
async function commitAt(root: string, message: string, date: string): Promise<void> {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'polyship tests',
    GIT_AUTHOR_EMAIL: 'tests@polyship.invalid',
    GIT_COMMITTER_NAME: 'polyship tests',
    GIT_COMMITTER_EMAIL: 'tests@polyship.invalid',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  }
  await run('git', ['add', '-A'], { cwd: root })
  await run('git', ['commit', '-q', '-m', message], { cwd: root, env })
}

type Digests = Record<string, string>

/** Every artifact of the record by kind and name, with its digest. */
async function recordDigests(record: string): Promise<Digests> {
  const parsed = parseReleaseRecord(JSON.parse(await readFile(record, 'utf8')), record)
  return Object.fromEntries(parsed.artifacts.map((a) => [`${a.kind} ${a.name}`, a.digest]))
}

/** Every SBOM the release wrote: the CycloneDX and SPDX files beside the assets, and the SBOM statements attached to images and charts. */
async function sbomDigests(root: string): Promise<Digests> {
  const found: Digests = {}
  for (const name of await readdir(join(root, 'assets'))) {
    if (name.endsWith('.sbom.cdx.json') || name.endsWith('.spdx.json'))
      found[name] = sha256(new Uint8Array(await readFile(join(root, 'assets', name))))
  }
  // every repository of the layout tree (images at oci/<image>, charts at oci/charts/<chart>)
  for await (const blob of glob('**/blobs/sha256/*', { cwd: join(root, 'oci') })) {
    const text = await readFile(join(root, 'oci', blob), 'utf8')
    if (!text.includes('dsseEnvelope')) continue
    const bundle = JSON.parse(text) as { dsseEnvelope?: { payload: string } }
    if (bundle.dsseEnvelope === undefined) continue
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')
    if (!payload.includes('cyclonedx') && !payload.includes('https://spdx.dev/Document')) continue
    const repository = blob.slice(0, blob.indexOf('/blobs/'))
    found[`${repository} sbom ${sha256(new TextEncoder().encode(payload))}`] = 'attached'
  }
  return found
}

/** `project artifact` of each row of the RELEASE_CONFLICT table. */
function conflictRows(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cells) => cells.length >= 5 && /^sha256:/.test(cells[3] ?? ''))
    .map((cells) => `${cells[0]} ${cells[1]}`)
}

// Four releases of four projects on a shared machine: far past the default timeout.
describe('SOURCE_DATE_EPOCH is per project: the last commit that changed its inputs', {
  timeout: 1_200_000,
}, () => {
  let first: Digests
  let firstSboms: Digests

  it('releases every project', async () => {
    const result = await polyship(['release'], ws)
    expect(result.code, result.stderr).toBe(0)
    first = await recordDigests(dist('release.json'))
    firstSboms = await sbomDigests(dist())
    expect(
      Object.keys(first)
        .map((k) => k.split(' ')[0])
        .sort(),
    ).toEqual([
      'archive',
      'archive',
      'archive',
      'chart',
      'checksums',
      'checksums',
      'image-index',
      'image-index',
      'image-index',
      'sdist',
      'wheel',
    ])
    expect(Object.keys(firstSboms).filter((k) => k.includes(' sbom ')).length).toBeGreaterThanOrEqual(4)
  })

  it('a commit touching no project changes no digest: archives, wheels, sdist, images, chart, SBOMs', async () => {
    await writeFile(join(ws.root, 'NOTES.md'), 'unrelated to every project\n')
    await commitAt(ws.root, 'docs: notes', '2026-03-04T05:06:07Z')
    await rename(dist(), join(ws.root, 'dist-first'))
    const result = await polyship(['release'], ws)
    expect(result.code, result.stderr).toBe(0)
    expect(await recordDigests(dist('release.json'))).toEqual(first)
    expect(await sbomDigests(dist())).toEqual(firstSboms)
  })

  it('a commit touching a project changes its bytes and its dependents’ (the chart), nothing else', async () => {
    const main = join(ws.root, 'examples', 'time-server-go', 'main.go')
    await writeFile(main, `${await readFile(main, 'utf8')}\n// a change\n`)
    await commitAt(ws.root, 'time-server-go: a change, same version', '2026-04-05T06:07:08Z')
    await rename(dist('release.json'), dist('release-before.json'))
    const result = await polyship(['release', '--dry-run'], ws)
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('RELEASE_CONFLICT')
    const conflicting = conflictRows(result.stderr)
    expect(conflicting).toEqual([
      'time-server-go time-server-go_0.1.0_checksums.txt',
      'time-server-go time-server-go_0.1.0_linux_amd64.tar.gz',
      'time-server-go time-server-go_0.1.0_linux_arm64.tar.gz',
      'time-server-go time-server-go:0.1.0',
      'mcp-stack mcp-stack:0.1.0',
    ])
  })

  it('SOURCE_DATE_EPOCH set by the user wins for every project', async () => {
    // fastjson left out: the wheel package stops on a wheel conflict with its own WHEEL_CONFLICT
    const result = await polyship(['release', '--dry-run', '--exclude', 'fastjson'], {
      ...ws,
      env: { ...ws.env, SOURCE_DATE_EPOCH: '1700000000' },
    })
    expect(result.code).not.toBe(0)
    expect([...new Set(conflictRows(result.stderr).map((row) => row.split(' ')[0]))], result.stderr).toEqual([
      'echo-server-rust',
      'time-server-go',
      'mcp-stack',
    ])
  })
})
