import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  exampleWorkspace,
  loggingTools,
  polyship,
  serviceWithChartFiles,
  type TestWorkspace,
} from './workspace.ts'

/**
 * A re-run of the release of HEAD to dist/ is answered from its signed record: the
 * destinations are asked cheaply whether they still hold what it lists, and nothing is
 * built, assembled or signed again (no `go`, `helm` or any other tool than git runs, counted
 * through logging wrappers on PATH). What a destination lost is published again, a record
 * edited since it was signed is refused, and uncommitted changes still stop the release.
 * One small Go service with an image and a chart deploying it.
 */

const svc = serviceWithChartFiles()

let ws: TestWorkspace
let logged: TestWorkspace
let toolsRun: () => Promise<string[]>
let callsRun: () => Promise<string[]>
const dist = (...path: string[]) => join(ws.root, 'dist', ...path)
const archive = () => dist('assets', 'svc_1.0.0_linux_amd64.tar.gz')

beforeAll(async () => {
  ws = await exampleWorkspace({ projects: [], files: svc, globs: ['svc', 'svc-chart'], config: {} })
  ;({ logged, toolsRun, callsRun } = await loggingTools(ws))
}, 120_000)
afterAll(async () => {
  await ws?.remove()
})

describe('a no-change re-run answered from the record', () => {
  it('the first release builds and publishes everything', async () => {
    const first = await polyship(['release'], logged)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/ published; record: /)
    expect(await toolsRun()).toContain('go')
  })

  it('a re-run reports every recorded artifact unchanged, runs only git and rewrites nothing', async () => {
    const record = await readFile(dist('release.json'))
    const signature = await readFile(dist('release.json.sigstore.json'))
    const artifacts = JSON.parse(record.toString()).artifacts.length
    const again = await polyship(['release'], logged)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(new RegExp(`\\n${artifacts} unchanged; record: `))
    expect(again.stdout).toMatch(/svc\s+image\s+svc:1\.0\.0\s+unchanged/)
    expect(again.stdout).toMatch(/svc\s+archive\s+svc_1\.0\.0_linux_amd64\.tar\.gz\s+unchanged/)
    // git is asked what the answer needs, once each: HEAD, the tags, the status of the inputs
    // (no stamps walk, no listing of tracked files under outDir: nothing is built or written)
    expect(await callsRun()).toEqual(['git log', 'git for-each-ref', 'git status'])
    expect(await readFile(dist('release.json'))).toEqual(record)
    expect(await readFile(dist('release.json.sigstore.json'))).toEqual(signature)
    const verify = await polyship(['verify'], ws)
    expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
  })

  it('an archive the destination lost is published again, the same bytes', async () => {
    const bytes = await readFile(archive())
    await rm(archive())
    const again = await polyship(['release'], logged)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/svc\s+archive\s+svc_1\.0\.0_linux_amd64\.tar\.gz\s+published/)
    expect(again.stdout).toMatch(/svc-chart\s+chart\s+svc-chart:1\.0\.0\s+unchanged/)
    expect(await readFile(archive())).toEqual(bytes)
    expect(await toolsRun()).toEqual(['git'])
    const verify = await polyship(['verify'], ws)
    expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
  })

  it('an image tag the layout lost is written again', async () => {
    const indexPath = dist('oci', 'svc', 'index.json')
    const index = JSON.parse(await readFile(indexPath, 'utf8'))
    const tagged = (i: typeof index) =>
      i.manifests.filter(
        (m: { annotations?: Record<string, string> }) =>
          m.annotations?.['org.opencontainers.image.ref.name'] === '1.0.0',
      )
    const [before] = tagged(index)
    expect(before).toBeDefined()
    await writeFile(
      indexPath,
      JSON.stringify({ ...index, manifests: index.manifests.filter((m: object) => m !== before) }),
    )
    const again = await polyship(['release'], logged)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/svc\s+image\s+svc:1\.0\.0\s+published/)
    expect(tagged(JSON.parse(await readFile(indexPath, 'utf8')))[0].digest).toBe(before.digest)
  })

  it('a record edited since it was signed is refused before anything is answered from it', async () => {
    await toolsRun()
    const record = await readFile(dist('release.json'), 'utf8')
    const json = JSON.parse(record)
    json.artifacts[0].size += 1
    await writeFile(dist('release.json'), `${JSON.stringify(json, null, 2)}\n`)
    try {
      const again = await polyship(['release'], logged)
      expect(again.code).toBe(1)
      expect(again.stderr).toContain('ATTEST_RECORD_SIGNATURE_INVALID')
      expect(await toolsRun()).not.toContain('go')
    } finally {
      await writeFile(dist('release.json'), record)
    }
  })

  it('an uncommitted polyship.json sends every project through the whole release again', async () => {
    const config = join(ws.root, 'polyship.json')
    const before = await readFile(config, 'utf8')
    const record = await readFile(dist('release.json'))
    await writeFile(config, `${JSON.stringify({ ...JSON.parse(before), concurrency: 1 }, null, 2)}\n`)
    try {
      const again = await polyship(['release'], logged)
      expect(again.code, again.stderr).toBe(0)
      expect(again.stdout).not.toMatch(/published/)
      // the whole release writes and signs the record again; an answered re-run leaves it alone
      expect(await readFile(dist('release.json'))).not.toEqual(record)
    } finally {
      await writeFile(config, before)
    }
  })

  it('an uncommitted change to the service still stops the release', async () => {
    const main = join(ws.root, 'svc', 'main.go')
    const source = await readFile(main, 'utf8')
    await writeFile(main, `${source}// changed\n`)
    try {
      const again = await polyship(['release'], logged)
      expect(again.code).toBe(1)
      expect(again.stderr).toContain('RELEASE_DIRTY_TREE')
      expect(again.stderr).toContain('svc (svc/main.go)')
    } finally {
      await writeFile(main, source)
    }
    const clean = await polyship(['release'], logged)
    expect(clean.code, clean.stderr).toBe(0)
    expect(clean.stdout).not.toMatch(/published/)
  })
})
