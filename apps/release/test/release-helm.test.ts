import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseReleaseRecord, type ReleaseRecord } from '@polyship/core'
import { lockDigest } from '@polyship/helm'
import { RegistryClient } from '@polyship/oci'
import type {} from '@polyship/oci/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { registryState } from './destination-state.ts'
import { commitAll, exampleWorkspace, polyship, type TestWorkspace, tool } from './workspace.ts'

/**
 * A Go service that ships an image and a Helm chart of the same name (the upstream podinfo
 * shape: the chart inside the service's project, its template writing
 * `repository:tag` from two keys), released embedded and to the loopback registry, then
 * bumped with a changeset and released again.
 */

const { host } = inject('ociRegistry')
const prefix = `release-test/helm-${process.pid}`
const PROJECT = 'examples/time-server-go'
const CHART = `${PROJECT}/deploy/time-server-go`

const FILES: Record<string, string> = {
  '.changeset/config.json': JSON.stringify({
    baseBranch: 'main',
    privatePackages: { version: true, tag: true },
  }),
  [`${PROJECT}/package.json`]: `${JSON.stringify(
    {
      name: 'time-server-go',
      version: '0.1.0',
      private: true,
      license: 'Apache-2.0',
      polyship: {
        binary: { toolchain: 'go', main: '.', platforms: ['linux/amd64'] },
        image: {
          base: 'static',
          platforms: ['linux/amd64'],
          entrypoint: ['/usr/local/bin/time-server-go'],
        },
        chart: {
          path: 'deploy/time-server-go',
          images: { image: 'time-server-go' },
          // the chart's template writes "repository:tag": the tag key gets <tag>@<digest>
          imageKeys: { tagDigest: 'tag', digest: false },
        },
      },
    },
    null,
    2,
  )}\n`,
  [`${CHART}/Chart.yaml`]:
    'apiVersion: v2\nname: time-server-go\nversion: 0.1.0\nappVersion: "0.1.0"\ntype: application\n',
  [`${CHART}/values.yaml`]:
    '# the image polyship releases\nimage:\n  repository: ghcr.io/example/placeholder\n  tag: latest\n',
  [`${CHART}/.helmignore`]: 'package.json\nnode_modules/\n',
  [`${CHART}/templates/deployment.yaml`]: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels:
    app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
spec:
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}
    spec:
      containers:
        - name: server
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
`,
}

let ws: TestWorkspace
const readRecord = async (path: string): Promise<ReleaseRecord> =>
  parseReleaseRecord(JSON.parse(await readFile(path, 'utf8')), path)
const client = new RegistryClient()
const dist = (...path: string[]) => join(ws.root, 'dist', ...path)
const BASE = { repository: 'https://github.com/polyship/polyship' }

/** The chart .tgz a layout holds under `tag`, copied out to a file helm reads. */
async function chartFromLayout(layout: string, tag: string, into: string): Promise<string> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[]
  }
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)
  expect(entry, `${layout} has no tag ${tag}`).toBeDefined()
  const blob = (digest: string) => join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length))
  const manifest = JSON.parse(await readFile(blob(entry!.digest), 'utf8')) as {
    config: { mediaType: string }
    layers: { mediaType: string; digest: string }[]
  }
  expect(manifest.config.mediaType).toBe('application/vnd.cncf.helm.config.v1+json')
  const layer = manifest.layers.find((l) => l.mediaType.endsWith('chart.content.v1.tar+gzip'))!
  const file = join(into, `chart-${tag}.tgz`)
  await writeFile(file, await readFile(blob(layer.digest)))
  return file
}

/** The image line of the chart as helm renders it. */
async function renderedImage(chart: string): Promise<string> {
  const out = await tool('helm', ['template', 'demo', chart])
  return out.match(/image: "([^"]+)"/)![1]!
}

function imageDigest(record: ReleaseRecord, version: string): string {
  return record.artifacts.find((a) => a.kind === 'image-index' && a.version === version)!.digest
}

let scratch: string
beforeAll(async () => {
  ws = await exampleWorkspace({ projects: ['time-server-go'], files: FILES, config: BASE })
  scratch = await mkdtemp(join(tmpdir(), 'polyship-release-helm-'))
})
afterAll(async () => {
  client.close()
  await ws?.remove()
  await rm(scratch, { recursive: true, force: true })
})

describe('an image and a chart of the same name', () => {
  it('plan puts the chart apart from the image and says where charts pull embedded images from', async () => {
    const plan = await polyship(['plan'], ws)
    expect(plan.code, plan.stderr).toBe(0)
    const rows = plan.stdout.split('\n').filter((line) => /\b(image-index|chart)\b/.test(line))
    expect(rows.map((row) => row.trim().split(/\s+/).slice(-2))).toEqual([
      ['linux/amd64', 'oci-layout:dist/oci'],
      ['time-server-go:0.1.0', 'oci-layout:dist/oci/charts'],
    ])
    expect(plan.stdout).toContain(
      'note: charts name the embedded images localhost:5000/<image>: copy each there (skopeo copy --all oci:dist/oci/<image>:<tag> docker://localhost:5000/<image>:<tag>)',
    )
  })

  it('releases both to the embedded layouts; the chart pins the image a cluster can pull', async () => {
    const result = await polyship(['release'], ws)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/time-server-go\s+image\s+time-server-go:0\.1\.0\s+published/)
    expect(result.stdout).toMatch(/time-server-go\s+chart\s+time-server-go:0\.1\.0\s+published/)
    const record = await readRecord(dist('release.json'))
    const digest = imageDigest(record, '0.1.0')
    const raw = await tool('skopeo', ['inspect', '--raw', `oci:${dist('oci', 'time-server-go')}:0.1.0`])
    expect(JSON.parse(raw).mediaType).toBe('application/vnd.oci.image.index.v1+json')
    const chart = await chartFromLayout(dist('oci', 'charts', 'time-server-go'), '0.1.0', scratch)
    await tool('helm', ['lint', '--strict', chart])
    expect(await renderedImage(chart)).toBe(`localhost:5000/time-server-go:0.1.0@${digest}`)

    const again = await polyship(['release'], ws)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/\n\d+ unchanged; record: /)
  })

  it('one layout for both is RELEASE_DESTINATION_COLLISION in plan and release; nothing is published', async () => {
    await ws.configure({
      ...BASE,
      outDir: 'dist-shared',
      destinations: {
        images: { type: 'oci-layout', path: 'dist-shared/oci' },
        charts: { type: 'oci-layout', path: 'dist-shared/oci' },
      },
    })
    try {
      const plan = await polyship(['plan'], ws)
      expect(plan.code).toBe(1)
      expect(plan.stderr).toContain(
        'error RELEASE_DESTINATION_COLLISION: two artifacts of this release would be written to the same place; nothing was published:\n' +
          '  image time-server-go of time-server-go and chart time-server-go of time-server-go both go to oci-layout:dist-shared/oci/time-server-go:0.1.0',
      )
      const result = await polyship(['release'], ws)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('error RELEASE_DESTINATION_COLLISION')
      expect(result.stderr).toContain('hint: give them distinct destinations: set destinations.charts')
      expect(result.stderr).not.toContain('meanwhile')
      expect(existsSync(join(ws.root, 'dist-shared', 'oci'))).toBe(false)
      expect(existsSync(join(ws.root, 'dist-shared', 'assets'))).toBe(false)
    } finally {
      await ws.configure(BASE)
    }
  })

  it('one registry repository for both is refused before anything is pushed', async () => {
    const shared = `${prefix}-shared`
    await ws.configure({
      ...BASE,
      outDir: 'dist-shared-registry',
      destinations: {
        images: { type: 'registry', repository: `${host}/${shared}`, insecure: true },
        charts: { type: 'registry', repository: `${host}/${shared}`, insecure: true },
      },
    })
    try {
      const result = await polyship(['release'], ws)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`both go to ${host}/${shared}/time-server-go:0.1.0`.toLowerCase())
      const state = await registryState(client, [`${host}/${shared}/time-server-go`])
      expect(state[`${host}/${shared}/time-server-go`]?.tags ?? {}).toEqual({})
    } finally {
      await ws.configure(BASE)
    }
  })

  it('a chart dependency that cannot be had stops the release before the Go build starts', async () => {
    const chartYaml = join(ws.root, CHART, 'Chart.yaml')
    const original = await readFile(chartYaml, 'utf8')
    const deps = [{ name: 'redis', version: '1.2.0', repository: 'oci://127.0.0.1:1/charts' }]
    await writeFile(
      chartYaml,
      `${original}dependencies:\n  - name: redis\n    version: 1.2.0\n    repository: oci://127.0.0.1:1/charts\n`,
    )
    await writeFile(
      join(ws.root, CHART, 'Chart.lock'),
      `dependencies:\n- name: redis\n  repository: oci://127.0.0.1:1/charts\n  version: 1.2.0\ndigest: ${lockDigest(deps, deps)}\ngenerated: "2026-01-01T00:00:00Z"\n`,
    )
    await ws.configure({ ...BASE, outDir: 'dist-unbuilt' })
    try {
      const result = await polyship(['release', '--dry-run'], ws)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(
        'error HELM_DEPENDENCY_MISSING: examples/time-server-go/deploy/time-server-go/Chart.yaml:9: dependency redis from oci://127.0.0.1:1/charts: cannot get 127.0.0.1:1/charts/redis:1.2.0',
      )
      expect(result.stderr).not.toContain('build time-server-go')
      expect(existsSync(join(ws.root, 'dist-unbuilt', 'oci'))).toBe(false)
    } finally {
      await writeFile(chartYaml, original)
      await rm(join(ws.root, CHART, 'Chart.lock'))
      await ws.configure(BASE)
    }
  })

  it('releases to the loopback registry: helm pulls the chart, which names the pushed image', async () => {
    await ws.configure(registryConfig())
    const result = await polyship(['release'], ws)
    expect(result.code, result.stderr).toBe(0)
    const record = await readRecord(join(ws.root, 'dist-registry', 'release.json'))
    await checkRegistry('0.1.0', imageDigest(record, '0.1.0'))
  })

  it('a changeset bumps image, chart and appVersion; both destinations take the new version', async () => {
    await ws.configure(BASE)
    const add = await polyship(['changeset', '--bump', 'time-server-go=patch', '-m', 'Fix the clock'], ws)
    expect(add.code, add.stderr).toBe(0)
    const version = await polyship(['version'], ws)
    expect(version.code, version.stderr).toBe(0)
    const chartYaml = await readFile(join(ws.root, CHART, 'Chart.yaml'), 'utf8')
    expect(chartYaml).toContain('version: 0.1.1')
    expect(chartYaml).toContain('appVersion: "0.1.1"')
    await commitAll(ws.root, 'version packages')

    const embedded = await polyship(['release'], ws)
    expect(embedded.code, embedded.stderr).toBe(0)
    expect(embedded.stdout).toMatch(/time-server-go\s+chart\s+time-server-go:0\.1\.1\s+published/)
    const digest = imageDigest(await readRecord(dist('release.json')), '0.1.1')
    const chart = await chartFromLayout(dist('oci', 'charts', 'time-server-go'), '0.1.1', scratch)
    expect(await renderedImage(chart)).toBe(`localhost:5000/time-server-go:0.1.1@${digest}`)
    // the earlier version stays in the layout
    await chartFromLayout(dist('oci', 'charts', 'time-server-go'), '0.1.0', scratch)

    await ws.configure(registryConfig())
    const registry = await polyship(['release'], ws)
    expect(registry.code, registry.stderr).toBe(0)
    const record = await readRecord(join(ws.root, 'dist-registry', 'release.json'))
    await checkRegistry('0.1.1', imageDigest(record, '0.1.1'))
  })
})

function registryConfig() {
  return {
    ...BASE,
    outDir: 'dist-registry',
    destinations: {
      images: { type: 'registry', repository: `${host}/${prefix}`, insecure: true },
      charts: { type: 'registry', repository: `${host}/${prefix}/charts`, insecure: true },
    },
  }
}

async function checkRegistry(version: string, digest: string): Promise<void> {
  const pulled = await mkdtemp(join(scratch, 'pull-'))
  await tool('helm', [
    'pull',
    `oci://${host}/${prefix}/charts/time-server-go`,
    '--version',
    version,
    '--plain-http',
    '--destination',
    pulled,
  ])
  const chart = join(pulled, `time-server-go-${version}.tgz`)
  const shown = await tool('helm', ['show', 'chart', chart])
  expect(shown).toContain(`appVersion: ${version}`)
  expect(await renderedImage(chart)).toBe(`${host}/${prefix}/time-server-go:${version}@${digest}`)
  // the reference in the chart is one skopeo and crane resolve to the same image
  const raw = await tool('skopeo', [
    'inspect',
    '--raw',
    '--tls-verify=false',
    `docker://${host}/${prefix}/time-server-go@${digest}`,
  ])
  expect(JSON.parse(raw).mediaType).toBe('application/vnd.oci.image.index.v1+json')
  expect(
    (await tool('crane', ['digest', '--insecure', `${host}/${prefix}/time-server-go:${version}`])).trim(),
  ).toBe(digest)
}
