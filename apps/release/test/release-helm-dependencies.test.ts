import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { attestationStore, readBundles } from '@polyship/attest'
import { type Digest, parseReleaseRecord, type ReleaseRecord, run } from '@polyship/core'
import { type ChartRepository, startChartRepository } from '@polyship/helm/testing'
import { LayoutStore, type OciStore, RegistryClient } from '@polyship/oci'
import type {} from '@polyship/oci/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { commitAll, exampleWorkspace, polyship, type TestWorkspace, tool } from './workspace.ts'

/**
 * Charts with dependencies from chart repositories: `web` on an HTTP chart repository
 * (index.yaml + .tgz on loopback), `cache` on the loopback registry (`oci://`, pushed with
 * `helm push`), each with the Chart.lock `helm dependency update` writes and no charts/ in
 * git. Released embedded and to the registry, bumped with a changeset, released again.
 */

const { host } = inject('ociRegistry')
const prefix = `release-test/helm-deps-${process.pid}-${randomBytes(3).toString('hex')}`
const CONFIG =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}-{{ .Chart.Version }}\ndata:\n  release: {{ .Release.Name | quote }}\n'

let ws: TestWorkspace
let repo: ChartRepository
let scratch: string
const client = new RegistryClient()
const BASE = { repository: 'https://github.com/polyship/polyship' }
const registryConfig = {
  ...BASE,
  outDir: 'dist-registry',
  destinations: {
    images: { type: 'registry', repository: `${host}/${prefix}`, insecure: true },
    charts: { type: 'registry', repository: `${host}/${prefix}/charts`, insecure: true },
  },
}

const readRecord = async (path: string): Promise<ReleaseRecord> =>
  parseReleaseRecord(JSON.parse(await readFile(path, 'utf8')), path)

function chartProject(name: string, dependency: string): Record<string, string> {
  return {
    [`charts/${name}/package.json`]: `${JSON.stringify({ name, version: '0.1.0', private: true, polyship: { chart: {} } }, null, 2)}\n`,
    [`charts/${name}/Chart.yaml`]: `apiVersion: v2\nname: ${name}\nversion: 0.1.0\ndependencies:\n${dependency}`,
    [`charts/${name}/.helmignore`]: 'package.json\nnode_modules/\nCHANGELOG.md\n',
    [`charts/${name}/templates/configmap.yaml`]: CONFIG,
  }
}

async function helm(args: readonly string[]): Promise<string> {
  return tool('helm', args)
}

/** The SBOM (CycloneDX document) attached to a chart manifest. */
async function sbomOf(
  store: OciStore,
  digest: Digest,
): Promise<{ components: { purl: string; version: string }[] }> {
  const bundles = await readBundles(attestationStore(store), digest)
  const sbom = bundles.find((b) => b.predicateType === 'https://cyclonedx.org/bom')!
  const payload = (sbom.bundle as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload
  return JSON.parse(Buffer.from(payload, 'base64').toString('utf8')).predicate
}

function chartArtifact(record: ReleaseRecord, name: string, version: string) {
  return record.artifacts.find((a) => a.kind === 'chart' && a.name.endsWith(name) && a.version === version)!
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'polyship-release-helm-deps-'))
  const sources = join(scratch, 'sources')
  const served = join(scratch, 'served')
  for (const [name, version, into] of [
    ['redis-lite', '1.0.0', served],
    ['redis-lite', '1.2.0', served],
    ['cache-lite', '2.0.0', sources],
  ] as const) {
    const dir = join(sources, `${name}-${version}`, name)
    await run('mkdir', ['-p', join(dir, 'templates')])
    await writeFile(join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: ${version}\n`)
    await writeFile(join(dir, 'templates', 'configmap.yaml'), CONFIG)
    await helm(['package', dir, '--destination', into])
  }
  await helm(['repo', 'index', served])
  repo = await startChartRepository(served)
  await helm(['push', join(sources, 'cache-lite-2.0.0.tgz'), `oci://${host}/${prefix}/deps`, '--plain-http'])

  ws = await exampleWorkspace({
    projects: [],
    globs: ['charts/*'],
    config: BASE,
    files: {
      '.changeset/config.json': JSON.stringify({
        baseBranch: 'main',
        privatePackages: { version: true, tag: true },
      }),
      ...chartProject('web', `  - name: redis-lite\n    version: ^1.0.0\n    repository: ${repo.url}\n`),
      ...chartProject(
        'cache',
        `  - name: cache-lite\n    version: 2.x\n    repository: oci://${host}/${prefix}/deps\n`,
      ),
    },
  })
  for (const name of ['web', 'cache']) {
    await helm(['dependency', 'update', join(ws.root, 'charts', name), '--plain-http'])
    await rm(join(ws.root, 'charts', name, 'charts'), { recursive: true })
  }
  await commitAll(ws.root, 'lock chart dependencies')
}, 180_000)

afterAll(async () => {
  client.close()
  await repo?.stop()
  await ws?.remove()
  await rm(scratch, { recursive: true, force: true })
})

describe('charts with dependencies from an HTTP chart repository and an OCI registry', () => {
  it('releases them embedded with the dependencies vendored; helm and the SBOM see the subcharts', async () => {
    const result = await polyship(['release'], ws)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/web\s+chart\s+web:0\.1\.0\s+published/)
    expect(result.stdout).toMatch(/cache\s+chart\s+cache:0\.1\.0\s+published/)
    const record = await readRecord(join(ws.root, 'dist', 'release.json'))
    for (const [name, sub, version, repository] of [
      ['web', 'redis-lite', '1.2.0', repo.url],
      ['cache', 'cache-lite', '2.0.0', `oci://${host}/${prefix}/deps`],
    ] as const) {
      const layout = new LayoutStore(join(ws.root, 'dist', 'oci', 'charts', name))
      const manifest = await layout.getManifest('0.1.0')
      const layer = (
        JSON.parse(new TextDecoder().decode(manifest.bytes)) as {
          layers: { digest: Digest; mediaType: string; size: number }[]
        }
      ).layers[0]!
      const tgz = join(scratch, `${name}-0.1.0.tgz`)
      await writeFile(
        tgz,
        await readFile(
          join(ws.root, 'dist', 'oci', 'charts', name, 'blobs', 'sha256', layer.digest.slice(7)),
        ),
      )
      const listing = await tool('tar', ['-tzf', tgz])
      expect(listing).toContain(`${name}/charts/${sub}-${version}.tgz`)
      const out = await mkdtemp(join(scratch, `${name}-`))
      await tool('tar', ['-xzf', tgz, '-C', out])
      const list = await helm(['dependency', 'list', join(out, name)])
      expect(list).toMatch(new RegExp(`${sub}\\s+\\S+\\s+${repository.replace(/[.:/]/g, '\\$&')}\\s+ok`))
      await helm(['lint', '--strict', tgz])
      expect(await helm(['template', 'demo', tgz])).toContain(`name: ${sub}-${version}`)
      const sbom = await sbomOf(layout, chartArtifact(record, name, '0.1.0').digest)
      expect(sbom.components.map((c) => `${c.purl.split('?')[0]} ${c.version}`)).toEqual([
        `pkg:helm/${sub}@${version} ${version}`,
      ])
    }
    const again = await polyship(['release'], ws)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/\n2 unchanged; record: /)
  })

  it('releases them to the loopback registry: helm pulls and renders each with its subchart', async () => {
    await ws.configure(registryConfig)
    try {
      const result = await polyship(['release'], ws)
      expect(result.code, result.stderr).toBe(0)
      await checkPulled('0.1.0')
    } finally {
      await ws.configure(BASE)
    }
  })

  it('a changeset bumps the web chart; both destinations take 0.1.1 and keep cache as it was', async () => {
    const add = await polyship(['changeset', '--bump', 'web=patch', '-m', 'Tune redis'], ws)
    expect(add.code, add.stderr).toBe(0)
    const version = await polyship(['version'], ws)
    expect(version.code, version.stderr).toBe(0)
    expect(await readFile(join(ws.root, 'charts', 'web', 'Chart.yaml'), 'utf8')).toContain('version: 0.1.1')
    await commitAll(ws.root, 'version packages')
    // the lock still matches: polyship version does not touch the dependencies
    for (const config of [BASE, registryConfig]) {
      await ws.configure(config)
      const result = await polyship(['release'], ws)
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toMatch(/web\s+chart\s+web:0\.1\.1\s+published/)
    }
    await checkPulled('0.1.1', ['web'])
    await ws.configure(BASE)
  })

  it('a dependency that cannot be had stops the release before any build, naming it and its repository', async () => {
    const lock = join(ws.root, 'charts', 'web', 'Chart.lock')
    const original = await readFile(lock, 'utf8')
    const chartYaml = join(ws.root, 'charts', 'web', 'Chart.yaml')
    const chart = await readFile(chartYaml, 'utf8')
    const gone = await startChartRepository(scratch)
    await gone.stop()
    await writeFile(chartYaml, chart.replaceAll(repo.url, gone.url))
    await writeFile(lock, original.replaceAll(repo.url, gone.url))
    await ws.configure({ ...BASE, outDir: 'dist-gone' })
    try {
      // a lock made for the other URL is out of sync: helm's own check
      const stale = await polyship(['release', '--dry-run'], ws)
      expect(stale.code).toBe(1)
      expect(stale.stderr).toContain('error HELM_DEPENDENCY_LOCK: charts/web/Chart.lock is out of sync')
      const { lockDigest } = await import('@polyship/helm')
      const deps = [{ name: 'redis-lite', version: '^1.0.0', repository: gone.url }]
      const pinned = [{ name: 'redis-lite', version: '1.2.0', repository: gone.url }]
      await writeFile(
        lock,
        `dependencies:\n- name: redis-lite\n  repository: ${gone.url}\n  version: 1.2.0\ndigest: ${lockDigest(deps, pinned)}\ngenerated: "2026-01-01T00:00:00Z"\n`,
      )
      const result = await polyship(['release', '--dry-run'], ws)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(
        `error HELM_DEPENDENCY_MISSING: charts/web/Chart.yaml:7: dependency redis-lite from ${gone.url}/: cannot get ${gone.url}/index.yaml (ECONNREFUSED) after 3 attempts`,
      )
      expect(result.stderr).not.toMatch(/build|assemble/)
      expect(existsSync(join(ws.root, 'dist-gone', 'oci'))).toBe(false)
    } finally {
      await writeFile(chartYaml, chart)
      await writeFile(lock, original)
      await ws.configure(BASE)
    }
  })
})

async function checkPulled(version: string, names: readonly string[] = ['web', 'cache']): Promise<void> {
  for (const name of names) {
    const into = await mkdtemp(join(scratch, 'pull-'))
    await helm([
      'pull',
      `oci://${host}/${prefix}/charts/${name}`,
      '--version',
      version,
      '--plain-http',
      '--destination',
      into,
    ])
    const tgz = join(into, `${name}-${version}.tgz`)
    const rendered = await helm(['template', 'demo', tgz])
    expect(rendered).toContain(name === 'web' ? 'name: redis-lite-1.2.0' : 'name: cache-lite-2.0.0')
    const manifest = JSON.parse(
      await tool('crane', ['manifest', '--insecure', `${host}/${prefix}/charts/${name}:${version}`]),
    )
    expect(manifest.config.mediaType).toBe('application/vnd.cncf.helm.config.v1+json')
  }
}
