import { existsSync } from 'node:fs'
import { readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RegistryClient } from '@polyship/oci'
import { startRegistry, type TestRegistry } from '@polyship/oci/testing'
import { type PypiServer, startPypiServer } from '@polyship/wheel/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { registryState } from './destination-state.ts'
import {
  exampleWorkspace,
  loggingTools,
  polyship,
  serviceWithChartFiles,
  type TestWorkspace,
  tool,
} from './workspace.ts'

/**
 * A re-run of the release of HEAD to a registry (the shared loopback docker-registry) is
 * answered from its signed record: one HEAD of each version tag and one listing of its
 * referrers, nothing built, assembled or signed again (no `go`, `helm` or any other tool
 * than git runs, counted through logging wrappers on PATH). A manifest the registry lost,
 * or the referrers of one, or a release tag gone from git, send the project through the
 * whole release, which puts back the same digests. Likewise a pure-Python wheel and sdist on
 * a loopback pypiserver: one read of the project's simple page.
 */

const { host } = inject('ociRegistry')
const prefix = `release-test/rerun-remote-${process.pid}`

const svc = serviceWithChartFiles()
const REPOSITORIES = [`${host}/${prefix}/svc`, `${host}/${prefix}/charts/svc-chart`]

let ws: TestWorkspace
let logged: TestWorkspace
let toolsRun: () => Promise<string[]>
let callsRun: () => Promise<string[]>
const client = new RegistryClient()
const dist = (...path: string[]) => join(ws.root, 'dist', ...path)

/** The registry requests a `--debug` run logged, as `METHOD /v2/<path> status` (the host left out). */
function registryRequests(stderr: string): string[] {
  return stderr
    .split('\n')
    .flatMap((line) => {
      const found = /(GET|HEAD|PUT|POST|PATCH|DELETE) https?:\/\/[^/]+(\/v2\/\S*) (\d+)/.exec(line)
      return found === null ? [] : [`${found[1]} ${found[2]} ${found[3]}`]
    })
    .map((line) => line.replaceAll(prefix, '<prefix>').replace(/sha256[:-][0-9a-f]{64}/g, '<digest>'))
}

/** Deletes a manifest from the registry by digest (distribution deletes its tags with it). */
async function deleteManifest(repository: string, digest: string): Promise<void> {
  const res = await fetch(`http://${host}/v2/${repository}/manifests/${digest}`, { method: 'DELETE' })
  expect(res.status).toBe(202)
}

beforeAll(async () => {
  ws = await exampleWorkspace({
    projects: [],
    files: svc,
    globs: ['svc', 'svc-chart'],
    config: {
      destinations: {
        images: { type: 'registry', repository: `${host}/${prefix}` },
        charts: { type: 'registry', repository: `${host}/${prefix}/charts` },
      },
    },
  })
  ;({ logged, toolsRun, callsRun } = await loggingTools(ws))
}, 120_000)
afterAll(async () => {
  client.close()
  await ws?.remove()
})

describe('a no-change re-run to a registry answered from the record', () => {
  it('the first release builds and publishes everything', async () => {
    const first = await polyship(['release'], logged)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/ published; record: /)
    expect(await toolsRun()).toContain('go')
  })

  it('a re-run asks the registry one tag and one referrers listing per artifact, runs only git and writes nothing', async () => {
    const record = await readFile(dist('release.json'))
    const signature = await readFile(dist('release.json.sigstore.json'))
    const registry = await registryState(client, REPOSITORIES)
    const artifacts = JSON.parse(record.toString()).artifacts.length
    const again = await polyship(['release', '--debug'], logged)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(new RegExp(`\\n${artifacts} unchanged; record: `))
    expect(again.stdout).toMatch(/svc\s+image\s+svc:1\.0\.0\s+unchanged/)
    expect(again.stdout).toMatch(/svc-chart\s+chart\s+svc-chart:1\.0\.0\s+unchanged/)
    for (const project of ['svc', 'svc-chart'])
      expect(again.stderr).toContain(`${project}: answered from the release record`)
    // the registry's own answers: no referrers API in distribution 2.8, so the fallback tag is read
    expect(registryRequests(again.stderr).sort()).toEqual(
      [
        'GET /v2/ 200',
        'HEAD /v2/<prefix>/svc/manifests/1.0.0 200',
        'GET /v2/<prefix>/svc/referrers/<digest> 404',
        'GET /v2/<prefix>/svc/manifests/<digest> 200',
        'HEAD /v2/<prefix>/charts/svc-chart/manifests/1.0.0 200',
        'GET /v2/<prefix>/charts/svc-chart/referrers/<digest> 404',
        'GET /v2/<prefix>/charts/svc-chart/manifests/<digest> 200',
      ].sort(),
    )
    // git: one listing of the tags (released elsewhere? tagged at HEAD?), one status of the inputs
    const git = await callsRun()
    expect(git.every((call) => call.startsWith('git '))).toBe(true)
    expect(git.filter((call) => call === 'git for-each-ref')).toHaveLength(1)
    expect(git.filter((call) => call === 'git status')).toHaveLength(1)
    expect(git).not.toContain('git rev-parse')
    expect(await readFile(dist('release.json'))).toEqual(record)
    expect(await readFile(dist('release.json.sigstore.json'))).toEqual(signature)
    expect(await registryState(client, REPOSITORIES)).toEqual(registry)
    const verify = await polyship(['verify'], ws)
    expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
  })

  it('a chart manifest the registry lost (and its tag with it) is pushed again, the same digest', async () => {
    const chart = `${host}/${prefix}/charts/svc-chart`
    const before = (await client.repository(chart).resolve('1.0.0'))!
    await deleteManifest(`${prefix}/charts/svc-chart`, before.digest)
    expect(await client.repository(chart).resolve('1.0.0')).toBeUndefined()
    const again = await polyship(['release'], logged)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/svc-chart\s+chart\s+svc-chart:1\.0\.0\s+published/)
    expect(again.stdout).toMatch(/svc\s+image\s+svc:1\.0\.0\s+unchanged/)
    expect((await client.repository(chart).resolve('1.0.0'))?.digest).toBe(before.digest)
    expect(await toolsRun()).not.toContain('go')
    const verify = await polyship(['verify'], ws)
    expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
  })

  it('an image whose referrers the registry lost gets its attestations attached again', async () => {
    const image = client.repository(`${host}/${prefix}/svc`)
    const subject = (await image.resolve('1.0.0'))!.digest
    const fallback = `sha256-${subject.slice('sha256:'.length)}`
    const referrers = (await image.resolve(fallback))!
    await deleteManifest(`${prefix}/svc`, referrers.digest)
    expect(await image.listReferrers(subject)).toEqual([])
    const again = await polyship(['release', '--debug'], logged)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).not.toContain('svc: answered from the release record')
    expect(again.stderr).toContain('svc-chart: answered from the release record')
    expect(await image.listReferrers(subject)).toHaveLength(4)
    const verify = await polyship(['verify'], ws)
    expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
  })

  it('a release tag gone from git sends its project through the whole release, which tags it again', async () => {
    await tool('git', ['tag', '--delete', 'svc@1.0.0'], ws.root)
    const again = await polyship(['release', '--debug'], logged)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).not.toContain('svc: answered from the release record')
    expect(again.stdout).not.toMatch(/published/)
    const head = (await tool('git', ['rev-parse', 'HEAD'], ws.root)).trim()
    expect((await tool('git', ['rev-parse', 'svc@1.0.0^{commit}'], ws.root)).trim()).toBe(head)
  })
})

const py = {
  'py/package.json': `${JSON.stringify({ name: 'acme-greet', version: '1.0.0', private: true, polyship: { wheel: {} } })}\n`,
  'py/pyproject.toml': `[build-system]
requires = ["hatchling==1.33.0"]
build-backend = "hatchling.build"

[project]
name = "acme-greet"
version = "1.0.0"
requires-python = ">=3.9"
`,
  'py/src/acme_greet/__init__.py': 'GREETING = "hi"\n',
}

describe('a no-change re-run to a package index answered from the record', () => {
  let pyWs: TestWorkspace
  let pyLogged: TestWorkspace
  let pypi: PypiServer
  const files = async () => (existsSync(pypi.dir) ? (await readdir(pypi.dir)).sort() : [])

  beforeAll(async () => {
    pypi = await startPypiServer({ dir: join(tmpdir(), `polyship-rerun-remote-pypi-${process.pid}`) })
    pyWs = await exampleWorkspace({
      projects: [],
      files: py,
      globs: ['py'],
      config: { destinations: { wheels: { type: 'pypi', url: pypi.url } } },
    })
    ;({ logged: pyLogged, toolsRun } = await loggingTools(pyWs))
  }, 120_000)
  afterAll(async () => {
    await pypi?.stop()
    if (pypi !== undefined) await rm(pypi.dir, { recursive: true, force: true })
    await pyWs?.remove()
  })

  it('the first release builds and uploads the wheel and the sdist', async () => {
    const first = await polyship(['release'], pyLogged)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/ published; record: /)
    expect(await files()).toEqual(['acme_greet-1.0.0-py3-none-any.whl', 'acme_greet-1.0.0.tar.gz'])
    await toolsRun()
  })

  it('a re-run asks the index, runs only git and uploads nothing', async () => {
    const record = await readFile(join(pyWs.root, 'dist', 'release.json'))
    const before = await files()
    const again = await polyship(['release', '--debug'], pyLogged)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/\n\d+ unchanged; record: /)
    expect(again.stdout).not.toMatch(/published/)
    expect(again.stderr).toContain('acme-greet: answered from the release record')
    expect(await toolsRun()).toEqual(['git'])
    expect(await readFile(join(pyWs.root, 'dist', 'release.json'))).toEqual(record)
    expect(await files()).toEqual(before)
  })

  it('a wheel the index lost is uploaded again, the same bytes', async () => {
    const wheel = join(pypi.dir, 'acme_greet-1.0.0-py3-none-any.whl')
    const bytes = await readFile(wheel)
    await rm(wheel)
    const again = await polyship(['release', '--debug'], pyLogged)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).not.toContain('acme-greet: answered from the release record')
    expect(again.stdout).toMatch(/acme-greet\s+wheel\s+acme_greet-1\.0\.0-py3-none-any\.whl\s+published/)
    expect(await readFile(wheel)).toEqual(bytes)
    const verify = await polyship(['verify'], pyWs)
    expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
  })
})

describe('a registry that cannot be reached on the re-run', () => {
  let own: TestRegistry
  let downWs: TestWorkspace

  beforeAll(async () => {
    own = await startRegistry()
    downWs = await exampleWorkspace({
      projects: [],
      files: Object.fromEntries(Object.entries(svc).filter(([path]) => path.startsWith('svc/'))),
      globs: ['svc'],
      config: { destinations: { images: { type: 'registry', repository: `${own.host}/${prefix}` } } },
    })
  }, 120_000)
  afterAll(async () => {
    await own?.stop()
    await downWs?.remove()
  })

  it('is left to the whole release, which stops with its own error before publishing anything', async () => {
    const first = await polyship(['release'], downWs)
    expect(first.code, first.stderr).toBe(0)
    const record = await readFile(join(downWs.root, 'dist', 'release.json'))
    await own.stop()
    const env = { ...downWs.env, POLYSHIP_HTTP_RETRY_TIME: '2s' }
    const again = await polyship(['release', '--debug'], { ...downWs, env })
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('svc: not answered from the release record (')
    expect(again.stderr).not.toContain('svc: answered from the release record')
    expect(again.stderr).toMatch(new RegExp(`error \\w+: .*${own.host.replaceAll('.', '\\.')}`))
    expect(await readFile(join(downWs.root, 'dist', 'release.json'))).toEqual(record)
  })
})
