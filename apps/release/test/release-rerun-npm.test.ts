import { existsSync } from 'node:fs'
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type {} from '@polyship/npm/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  COUNTED_TOOLS,
  commitAll,
  loggingTools,
  npmWorkspace,
  polyship,
  type TestWorkspace,
} from './workspace.ts'

/**
 * A re-run of the release of HEAD's npm packages is answered from its signed record, as the
 * other formats are: to the shared loopback Verdaccio with one read of each packument (the
 * tarball this commit packed, still in dist/build, `unchanged` there and no dist-tag to
 * move), to the embedded tarball directory with a stat. Nothing is packed or signed again
 * (no `pnpm` runs, counted through logging wrappers on PATH) and the record is not rewritten.
 * A version the registry lost, a registry holding other bytes under the version, a packed
 * tarball gone from dist/build or a tarball gone from dist/npm send the package through the
 * whole release, which publishes, refuses or finds unchanged as it always does.
 */

const verdaccio = inject('npmRegistry')
const SCOPE = `@rerun${process.pid}`
const NAME = `${SCOPE}/lib`
const FILE = `${SCOPE.slice(1)}-lib-1.0.0.tgz`
const TOOLS = [...COUNTED_TOOLS, 'pnpm', 'npm']

let ws: TestWorkspace
let logged: TestWorkspace
let toolsRun: () => Promise<string[]>
const stored = () => join(verdaccio.storageDir, SCOPE, 'lib', 'package.json')
const packed = (outDir: string) => join(ws.root, outDir, 'build', `${SCOPE.slice(1)}__lib`, 'npm', FILE)

beforeAll(async () => {
  ws = await npmWorkspace(
    verdaccio.url,
    {
      'packages/lib/package.json': `${JSON.stringify({ name: NAME, version: '1.0.0', license: 'MIT', polyship: { npm: {} } }, null, 2)}\n`,
      'packages/lib/index.js': 'module.exports = "lib"\n',
    },
    { destinations: { npm: { type: 'registry', url: verdaccio.url } } },
  )
  ;({ logged, toolsRun } = await loggingTools(ws, TOOLS))
  logged = { ...logged, env: { ...logged.env, NPM_TOKEN: verdaccio.token } }
}, 120_000)
afterAll(async () => {
  await ws?.remove()
})

/** Rewrites the package's version 1.0.0 in Verdaccio's storage. */
async function editStoredVersion(edit: (version: { dist: { integrity: string } }) => object) {
  const packument = JSON.parse(await readFile(stored(), 'utf8'))
  packument.versions['1.0.0'] = edit(packument.versions['1.0.0'])
  await writeFile(stored(), JSON.stringify(packument))
}

describe('a no-change re-run of npm packages answered from the record', () => {
  it('the first release packs and publishes the package', async () => {
    const first = await polyship(['release'], logged)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/\n1 published; record: /)
    expect(await toolsRun()).toContain('pnpm')
  })

  it('a re-run is unchanged from one packument read: nothing packed, signed or rewritten', async () => {
    const record = await readFile(join(ws.root, 'dist', 'release.json'))
    const before = { text: await readFile(stored(), 'utf8'), mtime: (await stat(stored())).mtimeMs }
    const again = await polyship(['release', '--debug'], logged)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/\n1 unchanged; record: /)
    expect(again.stdout).toMatch(new RegExp(`${NAME}\\s+npm\\s+${FILE}\\s+unchanged`))
    expect(again.stderr).toContain(`${NAME}: answered from the release record`)
    expect(await toolsRun()).toEqual(['git'])
    expect(await readFile(join(ws.root, 'dist', 'release.json'))).toEqual(record)
    expect({ text: await readFile(stored(), 'utf8'), mtime: (await stat(stored())).mtimeMs }).toEqual(before)
    const verify = await polyship(['verify'], logged)
    expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
  })

  it('a packed tarball gone from dist/build sends it through the whole release: packed again, unchanged', async () => {
    await rm(packed('dist'))
    const again = await polyship(['release'], logged)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/\n1 unchanged; record: /)
    expect(await toolsRun()).toContain('pnpm')
    expect(existsSync(packed('dist'))).toBe(true)
  })

  it('a version the registry lost is published again by the whole release, the same bytes', async () => {
    const integrity = JSON.parse(await readFile(stored(), 'utf8')).versions['1.0.0'].dist.integrity
    // the whole package gone from Verdaccio's storage: its packument is a 404
    await rm(join(verdaccio.storageDir, SCOPE, 'lib'), { recursive: true })
    const again = await polyship(['release'], logged)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(new RegExp(`${NAME}\\s+npm\\s+${FILE}\\s+published`))
    expect(JSON.parse(await readFile(stored(), 'utf8')).versions['1.0.0'].dist.integrity).toBe(integrity)
  })

  it('other bytes under the version on the registry are a conflict the whole release refuses', async () => {
    const text = await readFile(stored(), 'utf8')
    await editStoredVersion((v) => ({ ...v, dist: { ...v.dist, integrity: `sha512-${'A'.repeat(86)}==` } }))
    try {
      const again = await polyship(['release'], logged)
      expect(again.code).toBe(1)
      expect(again.stdout + again.stderr).toMatch(/conflict/i)
      expect(await toolsRun()).toContain('pnpm')
    } finally {
      await writeFile(stored(), text)
    }
    const clean = await polyship(['release'], logged)
    expect(clean.code, clean.stderr).toBe(0)
    expect(clean.stdout).toMatch(/\n1 unchanged; record: /)
  })

  it('to the tarball directory: a re-run is answered with a stat; a tarball gone from dist/npm is put back', async () => {
    await ws.configure({ outDir: 'dist-dir' })
    await commitAll(ws.root, 'to the tarball directory')
    const first = await polyship(['release'], logged)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/\n1 published; record: /)
    await toolsRun()
    const again = await polyship(['release'], logged)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/\n1 unchanged; record: /)
    expect(await toolsRun()).toEqual(['git'])

    const tarball = join(ws.root, 'dist-dir', 'npm', FILE)
    const bytes = await readFile(tarball)
    await rm(tarball)
    const back = await polyship(['release'], logged)
    expect(back.code, back.stderr).toBe(0)
    expect(back.stdout).toMatch(new RegExp(`${NAME}\\s+npm\\s+${FILE}\\s+published`))
    expect(await readFile(tarball)).toEqual(bytes)
  })
})
