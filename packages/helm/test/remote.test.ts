import { randomBytes } from 'node:crypto'
import { cp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { run, sha256 } from '@polyship/core'
import { HelmError, LOCK_FILE, lockDigest, type PackagedChart, packageChart } from '@polyship/helm'
import { type ChartRepository, startChartRepository } from '@polyship/helm/testing'
import { RegistryClient } from '@polyship/oci'
import type {} from '@polyship/oci/testing'
import { startRegistry } from '@polyship/oci/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { tempDirs, writeChart } from './helpers.ts'

const CONFIG =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}-{{ .Chart.Version }}\ndata:\n  release: {{ .Release.Name | quote }}\n'

/**
 * Dependencies from chart repositories, as `helm dependency build` vendors them: an HTTP
 * chart repository on loopback (index.yaml + .tgz made by `helm package` and `helm repo
 * index`) and the loopback registry (a chart pushed with `helm push`). Chart.lock is the
 * one `helm dependency update` writes.
 */

const temp = tempDirs('remote')
const env = { SOURCE_DATE_EPOCH: '1700000000' }
const prefix = `helm-remote-${randomBytes(4).toString('hex')}`

let host: string
let stopRegistry: (() => Promise<void>) | undefined
let repo: ChartRepository
let client: RegistryClient
/** The umbrella chart with Chart.lock from helm, its charts/ removed. */
let umbrella: string
/** What `helm dependency update` vendored, by file name. */
let helmVendored: Record<string, string>
let chart: PackagedChart
/** The chart repository's directory. */
let served: string

const dependencies = () => `dependencies:
  - name: redis-lite
    version: ^1.0.0
    repository: ${repo.url}
  - name: cache-lite
    version: 2.0.0
    repository: oci://${host}/${prefix}
    alias: cache
`
const umbrellaChart = () => `apiVersion: v2\nname: stack\nversion: 0.3.0\n${dependencies()}`

async function helm(args: readonly string[], cwd?: string): Promise<string> {
  return (await run('helm', args, { ...(cwd === undefined ? {} : { cwd }), timeoutMs: 120_000 })).stdout
}

beforeAll(async () => {
  const shared = inject('ociRegistry') as { host: string } | undefined
  if (shared === undefined) {
    const registry = await startRegistry()
    stopRegistry = registry.stop
    host = registry.host
  } else host = shared.host
  client = new RegistryClient()
  const sources = await temp()
  served = await temp()
  for (const version of ['1.0.0', '1.2.0', '2.0.0']) {
    const dir = await writeChart(
      join(sources, version),
      'redis-lite',
      `apiVersion: v2\nname: redis-lite\nversion: ${version}\n`,
      {
        'templates/configmap.yaml': CONFIG,
      },
    )
    await helm(['package', dir, '--destination', served])
  }
  await helm(['repo', 'index', served]) // relative URLs, resolved against the repository URL
  repo = await startChartRepository(served)

  const cache = await writeChart(
    sources,
    'cache-lite',
    'apiVersion: v2\nname: cache-lite\nversion: 2.0.0\n',
    {
      'templates/configmap.yaml': CONFIG,
    },
  )
  await helm(['package', cache, '--destination', sources])
  await helm(['push', join(sources, 'cache-lite-2.0.0.tgz'), `oci://${host}/${prefix}`, '--plain-http'])

  umbrella = await writeChart(await temp(), 'stack', umbrellaChart(), {
    'templates/configmap.yaml': CONFIG,
  })
  await helm(['dependency', 'update', umbrella, '--plain-http'])
  helmVendored = {}
  for (const name of ['redis-lite-1.2.0.tgz', 'cache-lite-2.0.0.tgz'])
    helmVendored[name] = sha256(await readFile(join(umbrella, 'charts', name)))
  await rm(join(umbrella, 'charts'), { recursive: true })
  chart = await packageChart(umbrella, { outDir: await temp(), env, registry: client })
}, 180_000)

afterAll(async () => {
  client?.close()
  await repo?.stop()
  await stopRegistry?.()
})

/** A copy of the umbrella chart with Chart.yaml and Chart.lock replaced. */
async function variant(chartYaml: string, lock?: string): Promise<string> {
  const dir = join(await temp(), 'stack')
  await cp(umbrella, dir, { recursive: true })
  await writeFile(join(dir, 'Chart.yaml'), chartYaml)
  if (lock === undefined) await rm(join(dir, LOCK_FILE))
  else await writeFile(join(dir, LOCK_FILE), lock)
  return dir
}

/** A Chart.lock pinning `entries`, with the digest helm computes for it. */
function lockFor(
  chartYaml: string,
  entries: { name: string; version: string; repository: string }[],
): string {
  const parsed = chartYaml.match(
    /- name: (\S+)\n\s+version: (\S+)\n\s+repository: (\S+)(?:\n\s+alias: (\S+))?/g,
  )!
  const deps = parsed.map((block) => {
    const [, name, version, repository, alias] = block.match(
      /- name: (\S+)\n\s+version: (\S+)\n\s+repository: (\S+)(?:\n\s+alias: (\S+))?/,
    )!
    return { name: name!, version: version!, repository: repository!, ...(alias ? { alias } : {}) }
  })
  return `dependencies:\n${entries
    .map((e) => `- name: ${e.name}\n  repository: ${e.repository}\n  version: ${e.version}\n`)
    .join('')}digest: ${lockDigest(deps, entries)}\ngenerated: "2026-01-01T00:00:00Z"\n`
}

async function failure(promise: Promise<unknown>): Promise<HelmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(HelmError)
  return error as HelmError
}

describe('dependencies from chart repositories', () => {
  it('computes the Chart.lock digest exactly as helm does', async () => {
    const lock = await readFile(join(umbrella, LOCK_FILE), 'utf8')
    const helmDigest = lock.match(/^digest: (\S+)$/m)![1]
    expect(
      lockDigest(
        [
          { name: 'redis-lite', version: '^1.0.0', repository: repo.url },
          { name: 'cache-lite', version: '2.0.0', repository: `oci://${host}/${prefix}`, alias: 'cache' },
        ],
        [
          { name: 'redis-lite', version: '1.2.0', repository: repo.url },
          { name: 'cache-lite', version: '2.0.0', repository: `oci://${host}/${prefix}` },
        ],
      ),
    ).toBe(helmDigest)
  })

  it('vendors the versions Chart.lock pins, byte for byte what helm dependency build downloads', async () => {
    const listing = (await run('tar', ['-tzf', chart.file])).stdout.split('\n')
    expect(listing.filter((f) => f.startsWith('stack/charts/'))).toEqual([
      'stack/charts/',
      'stack/charts/cache-lite-2.0.0.tgz',
      'stack/charts/redis-lite-1.2.0.tgz',
    ])
    const out = await temp()
    await run('tar', ['-xzf', chart.file, '-C', out])
    for (const [name, digest] of Object.entries(helmVendored))
      expect(sha256(await readFile(join(out, 'stack', 'charts', name))), name).toBe(digest)
    expect(chart.subcharts).toEqual([
      {
        name: 'redis-lite',
        version: '1.2.0',
        repository: repo.url,
        digest: helmVendored['redis-lite-1.2.0.tgz'],
        subcharts: [],
      },
      {
        name: 'cache-lite',
        version: '2.0.0',
        repository: `oci://${host}/${prefix}`,
        digest: helmVendored['cache-lite-2.0.0.tgz'],
        subcharts: [],
      },
    ])
    // helm sees every dependency satisfied, lints and renders the subcharts
    const list = await helm(['dependency', 'list', join(out, 'stack')])
    expect(
      list
        .split('\n')
        .filter((l) => /lite/.test(l))
        .map((l) => l.split('\t').map((c) => c.trim())),
    ).toEqual([
      ['redis-lite', '^1.0.0', repo.url, 'ok'],
      ['cache-lite', '2.0.0', `oci://${host}/${prefix}`, 'ok'],
    ])
    await helm(['lint', '--strict', chart.file])
    const rendered = await helm(['template', 'demo', chart.file])
    expect(rendered).toContain('name: redis-lite-1.2.0')
    expect(rendered).toContain('name: cache-2.0.0') // the alias
    expect(rendered).toContain('# Source: stack/charts/cache/templates/configmap.yaml')
  })

  it('packages the same bytes again from the download cache, without fetching the charts again', async () => {
    const before = repo.requests.length
    const again = await packageChart(umbrella, { outDir: join(chart.file, '..'), env, registry: client })
    expect(again.digest).toBe(chart.digest)
    expect(repo.requests.slice(before)).toEqual(['/index.yaml'])
  })

  it("fetches an apiVersion v1 chart's requirements.yaml dependencies per requirements.lock", async () => {
    const dir = await writeChart(await temp(), 'legacy', 'apiVersion: v1\nname: legacy\nversion: 0.1.0\n', {
      'requirements.yaml': `dependencies:\n  - name: redis-lite\n    version: ~1.0.0\n    repository: ${repo.url}\n`,
      'templates/configmap.yaml': CONFIG,
    })
    await helm(['dependency', 'update', dir])
    await rm(join(dir, 'charts'), { recursive: true })
    const legacy = await packageChart(dir, { outDir: await temp(), env })
    expect(legacy.subcharts.map((c) => `${c.name} ${c.version}`)).toEqual(['redis-lite 1.0.0'])
    expect(await helm(['template', 'demo', legacy.file])).toContain('name: redis-lite-1.0.0')
    await helm(['lint', '--strict', legacy.file])
  })

  it('refuses a chart without Chart.lock, or with one out of sync: HELM_DEPENDENCY_LOCK', async () => {
    const missing = await failure(packageChart(await variant(umbrellaChart()), { outDir: await temp(), env }))
    expect(missing.code).toBe('HELM_DEPENDENCY_LOCK')
    expect(missing.message).toMatch(
      /Chart\.lock is missing: the chart has dependencies from chart repositories/,
    )
    expect(missing.hint).toContain('helm dependency update')

    const lock = await readFile(join(umbrella, LOCK_FILE), 'utf8')
    const widened = umbrellaChart().replace('^1.0.0', '~1.2.0')
    const stale = await failure(packageChart(await variant(widened, lock), { outDir: await temp(), env }))
    expect(stale.code).toBe('HELM_DEPENDENCY_LOCK')
    expect(stale.message).toContain('Chart.lock is out of sync with the dependencies of')
    // helm agrees
    const helmSays = await run('helm', ['dependency', 'build', await variant(widened, lock)], {
      okExitCodes: [1],
    })
    expect(helmSays.stderr).toContain('out of sync')
  })

  it('refuses a chart the repository replaced: HELM_DEPENDENCY_MISSING naming dependency and repository', async () => {
    // another valid chart under the pinned name
    repo.replace('/redis-lite-1.2.0.tgz', await readFile(join(served, 'redis-lite-2.0.0.tgz')))
    try {
      const error = await failure(
        packageChart(umbrella, { outDir: await temp(), env, registry: client, dependencyDir: await temp() }),
      )
      expect(error.code).toBe('HELM_DEPENDENCY_MISSING')
      expect(error.message).toMatch(
        new RegExp(
          `dependency redis-lite from ${repo.url}/: ${repo.url}/redis-lite-1\\.2\\.0\\.tgz is sha256:[0-9a-f]{64}, but the repository index publishes ${helmVendored['redis-lite-1.2.0.tgz']}`,
        ),
      )
      expect(error.file).toMatch(/Chart\.yaml$/)
      expect(error.line).toBe(7) // the repository line of the dependency
    } finally {
      repo.replace('/redis-lite-1.2.0.tgz', await readFile(join(served, 'redis-lite-1.2.0.tgz')))
    }
  })

  it('refuses versions a repository does not serve and repositories that do not answer, before writing a package', async () => {
    const gone = await startChartRepository(await temp())
    const goneUrl = gone.url
    await gone.stop()
    const cases: [string, { name: string; version: string; repository: string }[], RegExp][] = [
      [
        umbrellaChart(),
        [
          { name: 'redis-lite', version: '1.9.9', repository: repo.url },
          { name: 'cache-lite', version: '2.0.0', repository: `oci://${host}/${prefix}` },
        ],
        new RegExp(
          `dependency redis-lite from ${repo.url}/: ${repo.url}/index.yaml has no redis-lite 1\\.9\\.9`,
        ),
      ],
      [
        umbrellaChart(),
        [
          { name: 'redis-lite', version: '1.2.0', repository: repo.url },
          { name: 'cache-lite', version: '2.0.1', repository: `oci://${host}/${prefix}` },
        ],
        new RegExp(
          `dependency cache-lite from oci://${host}/${prefix}: cannot get ${host}/${prefix}/cache-lite:2\\.0\\.1`,
        ),
      ],
      [
        umbrellaChart().replace(repo.url, goneUrl),
        [
          { name: 'redis-lite', version: '1.2.0', repository: goneUrl },
          { name: 'cache-lite', version: '2.0.0', repository: `oci://${host}/${prefix}` },
        ],
        new RegExp(
          `dependency redis-lite from ${goneUrl}/: cannot get ${goneUrl}/index.yaml \\(ECONNREFUSED\\) after 3 attempts`,
        ),
      ],
    ]
    for (const [chartYaml, entries, message] of cases) {
      const outDir = await temp()
      const error = await failure(
        packageChart(await variant(chartYaml, lockFor(chartYaml, entries)), {
          outDir,
          env,
          registry: client,
          dependencyDir: await temp(),
        }),
      )
      expect(error.code).toBe('HELM_DEPENDENCY_MISSING')
      expect(error.message).toMatch(message)
      expect(await run('ls', ['-A', outDir]).then((r) => r.stdout)).toBe('')
    }
  })

  it('refuses plain HTTP to a host that is not loopback', async () => {
    const chartYaml =
      'apiVersion: v2\nname: stack\nversion: 0.3.0\ndependencies:\n  - name: redis-lite\n    version: 1.2.0\n    repository: http://charts.example.com\n'
    const entries = [{ name: 'redis-lite', version: '1.2.0', repository: 'http://charts.example.com' }]
    const error = await failure(
      packageChart(await variant(chartYaml, lockFor(chartYaml, entries)), { outDir: await temp(), env }),
    )
    expect(error.code).toBe('HELM_DEPENDENCY_MISSING')
    expect(error.message).toContain('refusing plain HTTP to charts.example.com')
  })

  it('retries a 503 and follows redirects to the repository; refuses a redirect to plain HTTP elsewhere and a redirect loop', async () => {
    const seen: string[] = []
    const redirector = createServer((request, response) => {
      const path = request.url ?? '/'
      seen.push(path)
      if (path === '/index.yaml' && seen.filter((p) => p === path).length === 1) {
        response.writeHead(503, { 'retry-after': '0' }).end()
        return
      }
      const target = path.startsWith('/away/')
        ? `http://charts.example.com${path}`
        : path.startsWith('/loop/')
          ? path
          : `${repo.url}${path}`
      response.writeHead(302, { location: target }).end()
    })
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`
    try {
      for (const [url, refused] of [
        [base, undefined],
        [`${base}/away`, `${base}/away/index.yaml redirected to plain HTTP http://charts.example.com`],
        [`${base}/loop`, `redirects in a loop (back to ${base.slice('http://'.length)}/loop/index.yaml)`],
      ] as const) {
        const chartYaml = umbrellaChart().replace(repo.url, url)
        const entries = [
          { name: 'redis-lite', version: '1.2.0', repository: url },
          { name: 'cache-lite', version: '2.0.0', repository: `oci://${host}/${prefix}` },
        ]
        const packaged = packageChart(await variant(chartYaml, lockFor(chartYaml, entries)), {
          outDir: await temp(),
          env,
          registry: client,
          dependencyDir: await temp(),
        })
        if (refused === undefined) {
          const vendored = (await packaged).subcharts.find((c) => c.name === 'redis-lite')
          expect(vendored?.version).toBe('1.2.0')
          continue
        }
        const error = await failure(packaged)
        expect(error.code).toBe('HELM_DEPENDENCY_MISSING')
        expect(error.message).toContain(refused)
      }
      expect(seen.slice(0, 2)).toEqual(['/index.yaml', '/index.yaml'])
    } finally {
      redirector.close()
    }
  })

  it('refuses a repository URL with credentials, without printing them', async () => {
    const url = 'https://user:s3cret@charts.example.com'
    const chartYaml = `apiVersion: v2\nname: stack\nversion: 0.3.0\ndependencies:\n  - name: redis-lite\n    version: 1.2.0\n    repository: ${url}\n`
    const entries = [{ name: 'redis-lite', version: '1.2.0', repository: url }]
    const error = await failure(
      packageChart(await variant(chartYaml, lockFor(chartYaml, entries)), { outDir: await temp(), env }),
    )
    expect(error.code).toBe('HELM_DEPENDENCY_MISSING')
    expect(error.message).toBe(
      'stack/Chart.yaml:7: dependency redis-lite from https://charts.example.com/: the repository URL carries credentials, which would be recorded in Chart.lock, the package and its SBOM'.replace(
        'stack/Chart.yaml',
        error.file!,
      ),
    )
    expect(`${error.message} ${error.hint}`).not.toContain('s3cret')
  })
})
