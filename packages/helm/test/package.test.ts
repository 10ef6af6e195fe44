import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { run, sha256 } from '@polyship/core'
import { type HelmError, type PackagedChart, packageChart, type WorkspaceChart } from '@polyship/helm'
import { describe, expect, it } from 'vitest'
import {
  CONFIGMAP,
  copyExampleChart,
  fakeDigest,
  MCP_CONFIG,
  MCP_RELEASE,
  readText,
  tempDirs,
  writeChart,
} from './helpers.ts'

const temp = tempDirs('package')
const EPOCH = '1700000000'
const env = { SOURCE_DATE_EPOCH: EPOCH }

async function treeHash(dir: string): Promise<string> {
  const hash = createHash('sha256')
  for (const entry of (await readdir(dir, { recursive: true, withFileTypes: true })).sort((a, b) =>
    join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)),
  )) {
    const path = join(entry.parentPath, entry.name)
    hash.update(relative(dir, path))
    if (entry.isFile()) hash.update(await readFile(path))
  }
  return hash.digest('hex')
}

async function tarList(file: string): Promise<string[]> {
  const { stdout } = await run(
    'tar',
    ['--list', '--verbose', '--full-time', '--numeric-owner', '-zf', file],
    {
      env: { ...process.env, TZ: 'UTC' },
    },
  )
  return stdout.trim().split('\n')
}

async function member(file: string, path: string): Promise<string> {
  return (await run('tar', ['-xzOf', file, path])).stdout
}

describe('packageChart: examples/charts/mcp-stack', () => {
  it('is byte-identical across runs, every entry under mcp-stack/ sorted with mtime SOURCE_DATE_EPOCH, the chart in git untouched', async () => {
    const root = await temp()
    const dir = await copyExampleChart(root)
    const before = await treeHash(dir)
    const options = { config: MCP_CONFIG, version: '0.2.0', release: MCP_RELEASE, env, project: 'mcp-stack' }
    const first = await packageChart(dir, { ...options, outDir: join(root, 'a') })
    const second = await packageChart(dir, { ...options, outDir: join(root, 'b') })
    expect(first.file).toBe(join(root, 'a', 'mcp-stack-0.2.0.tgz'))
    expect(second.digest).toBe(first.digest)
    expect(Buffer.compare(await readFile(first.file), await readFile(second.file))).toBe(0)
    expect(await treeHash(dir)).toBe(before)

    const listing = await tarList(first.file)
    const paths = listing.map((line) => line.split(/\s+/).pop()!)
    expect(paths.every((p) => p.startsWith('mcp-stack/'))).toBe(true)
    expect(paths).toEqual([...paths].sort())
    expect(listing.every((line) => line.includes('2023-11-14 22:13:20') && line.includes(' 0/0 '))).toBe(true)
    expect(paths).toContain('mcp-stack/Chart.yaml')
    expect(paths).toContain('mcp-stack/values.yaml')
    expect(paths.filter((p) => p.includes('package.json') || p.includes('node_modules'))).toEqual([])
    expect(first.artifact).toMatchObject({
      kind: 'chart',
      name: 'mcp-stack',
      project: 'mcp-stack',
      version: '0.2.0',
    })
  })

  it('writes version, appVersion and the released images into the package, keeping comments', async () => {
    const root = await temp()
    const dir = await copyExampleChart(root)
    const chart = await packageChart(dir, {
      config: MCP_CONFIG,
      version: '0.2.0',
      release: MCP_RELEASE,
      env,
      outDir: root,
    })
    expect([chart.version, chart.appVersion]).toEqual(['0.2.0', '1.4.0'])
    const chartYaml = await member(chart.file, 'mcp-stack/Chart.yaml')
    expect(chartYaml).toContain(
      "# Chart version. polyship's versioning writes it from package.json.\nversion: 0.2.0\n",
    )
    expect(chartYaml).toContain('appVersion: "1.4.0"\n')
    const values = await member(chart.file, 'mcp-stack/values.yaml')
    expect(values).toContain(
      [
        '  image:',
        '    repository: registry.example/time-server-go',
        "    # Defaults to the chart's appVersion when empty.",
        '    tag: "1.4.0"',
        '    # sha256:<64 hex>; takes precedence over tag when set.',
        `    digest: "${fakeDigest('a')}"`,
      ].join('\n'),
    )
    expect(values).toContain(`digest: "${fakeDigest('b')}"`)
    const original = await readText(join(dir, 'values.yaml'))
    expect(values.split('\n').length).toBe(original.split('\n').length)

    const shown = await run('helm', ['show', 'chart', chart.file])
    expect(shown.stdout).toContain('version: 0.2.0')
    expect(shown.stdout).toContain('appVersion: 1.4.0')
    const rendered = await run('helm', ['template', 'demo', chart.file, '--kube-version', '1.30.0'])
    expect(rendered.stdout).toContain(`image: "registry.example/time-server-go@${fakeDigest('a')}"`)
    expect(rendered.stdout).toContain(`image: "registry.example/echo-server-rust@${fakeDigest('b')}"`)
  })

  it('ships the same files as `helm package` of the same directory', async () => {
    const root = await temp()
    const dir = await copyExampleChart(root)
    const ours = await packageChart(dir, { env, outDir: join(root, 'ours') })
    await run('helm', ['package', dir, '--destination', join(root, 'helm')])
    const files = async (file: string) =>
      (await run('tar', ['tzf', file])).stdout.split('\n').filter((p) => p !== '' && !p.endsWith('/'))
    expect((await files(ours.file)).sort()).toEqual(
      (await files(join(root, 'helm', 'mcp-stack-0.1.0.tgz'))).sort(),
    )
  })

  it('without a release, ships values and appVersion as they are in git', async () => {
    const root = await temp()
    const dir = await copyExampleChart(root)
    const chart = await packageChart(dir, { config: MCP_CONFIG, env, outDir: root })
    expect(await member(chart.file, 'mcp-stack/values.yaml')).toBe(await readText(join(dir, 'values.yaml')))
    expect(await member(chart.file, 'mcp-stack/Chart.yaml')).toBe(await readText(join(dir, 'Chart.yaml')))
  })

  it('always leaves out node_modules/ and package.json, even without .helmignore', async () => {
    const root = await temp()
    const dir = await writeChart(root, 'demo', 'apiVersion: v2\nname: demo\nversion: 1.0.0\n', {
      'package.json': '{"name":"demo","version":"1.0.0","polyship":{"chart":{}}}',
      'CHANGELOG.md': '# demo\n',
      'node_modules/.modules.yaml': 'x',
    })
    await symlink(root, join(dir, 'node_modules', 'sibling'))
    const chart = await packageChart(dir, { env, outDir: join(root, 'out') })
    expect((await tarList(chart.file)).map((l) => l.split(/\s+/).pop())).toEqual([
      'demo/',
      'demo/CHANGELOG.md',
      'demo/Chart.yaml',
    ])
  })

  it('keys under a values path can be renamed or skipped (polyship.chart.imageKeys)', async () => {
    const root = await temp()
    const dir = await copyExampleChart(root)
    const chart = await packageChart(dir, {
      config: { ...MCP_CONFIG, imageKeys: { digest: false } },
      release: MCP_RELEASE,
      env,
      outDir: root,
    })
    const values = await member(chart.file, 'mcp-stack/values.yaml')
    expect(values).toContain('tag: "1.4.0"')
    expect(values).not.toContain(fakeDigest('a'))
  })

  it('writes tag@digest into one key, or the whole reference, and helm renders what a cluster pulls', async () => {
    const root = await temp()
    const dir = await writeChart(root, 'web', 'apiVersion: v2\nname: web\nversion: 1.0.0\n', {
      'values.yaml':
        'image:\n  repository: example.com/web\n  tag: latest\nsidecar:\n  ref: example.com/web:latest\n',
      'templates/pod.yaml':
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n    - name: sidecar\n      image: "{{ .Values.sidecar.ref }}"\n',
    })
    const chart = await packageChart(dir, {
      config: {
        images: { image: 'time-server-go', sidecar: 'time-server-go' },
        imageKeys: { tag: false, digest: false, tagDigest: 'tag', reference: 'ref' },
      },
      release: MCP_RELEASE,
      env,
      outDir: join(root, 'out'),
    })
    const pulled = `registry.example/time-server-go:1.4.0@${fakeDigest('a')}`
    const rendered = (await run('helm', ['template', 'demo', chart.file])).stdout
    expect(rendered.match(/image: ".*"/g)).toEqual([`image: "${pulled}"`, `image: "${pulled}"`])
  })

  it('wiring errors: a values path that is not a map, an image the release lacks, values the schema refuses', async () => {
    const root = await temp()
    const dir = await copyExampleChart(root)
    const notMap = await packageChart(dir, {
      config: { images: { 'timeServer.image.repository': 'time-server-go' } },
      release: MCP_RELEASE,
      outDir: root,
      cwd: root,
    }).catch((e: unknown) => e as HelmError)
    expect(notMap).toMatchObject({ code: 'HELM_VALUES_PATH', file: 'mcp-stack/values.yaml' })
    const values = (await readText(join(dir, 'values.yaml'))).split('\n')
    expect((notMap as HelmError).line).toBe(
      values.indexOf('    repository: example.com/polyship/time-server-go') + 1,
    )

    const missing = await packageChart(dir, {
      config: MCP_CONFIG,
      release: { ...MCP_RELEASE, images: { 'time-server-go': MCP_RELEASE.images['time-server-go'] } },
      outDir: root,
    }).catch((e: unknown) => e as HelmError)
    expect(missing).toMatchObject({ code: 'HELM_IMAGE_MISSING' })
    expect((missing as HelmError).message).toContain('maps echoServer.image to echo-server-rust')

    const refused = await packageChart(dir, {
      config: MCP_CONFIG,
      release: {
        ...MCP_RELEASE,
        images: {
          ...MCP_RELEASE.images,
          'echo-server-rust': { ...MCP_RELEASE.images['echo-server-rust'], repository: '' },
        },
      },
      outDir: root,
    }).catch((e: unknown) => e as HelmError)
    expect(refused).toMatchObject({ code: 'HELM_VALUES_SCHEMA' })
    expect((refused as HelmError).message).toContain('(as packaged, with the released images)')
    expect((refused as HelmError).message).toContain(
      'echoServer.image.repository: must NOT have fewer than 1 characters',
    )
  })
})

describe('packageChart: dependencies', () => {
  async function workspace(
    root: string,
    libVersionRange = '^2.0.0',
  ): Promise<{ app: string; lib: WorkspaceChart }> {
    const lib = await writeChart(root, 'lib', 'apiVersion: v2\nname: lib\nversion: 1.0.0\n', {
      'values.yaml': '# the lib image\nimage:\n  repository: example.com/lib\n  digest: ""\n',
      'templates/cm.yaml': CONFIGMAP,
      'package.json': '{}',
    })
    const app = await writeChart(
      root,
      'app',
      `apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: lib\n    version: "${libVersionRange}"\n    repository: file://../lib\n`,
      { 'charts/lib-1.0.0.tgz': 'stale copy from helm dependency build', 'templates/.keep': '' },
    )
    return {
      app,
      lib: {
        project: 'lib',
        dir: lib,
        version: '2.1.0',
        config: { images: { image: 'lib-server' } },
      },
    }
  }
  const release = {
    versions: {},
    images: {
      'lib-server': { repository: 'registry.example/lib-server', tag: '2.1.0', digest: fakeDigest('c') },
    },
  }

  it('packages a file:// sibling under charts/<name>/ at its released version, values wired, stale copies dropped', async () => {
    const root = await temp()
    const { app, lib } = await workspace(root)
    const chart: PackagedChart = await packageChart(app, {
      workspaceCharts: [lib],
      release,
      env,
      outDir: join(root, 'out'),
    })
    const paths = (await tarList(chart.file)).map((l) => l.split(/\s+/).pop())
    expect(paths).toEqual([
      'app/',
      'app/Chart.yaml',
      'app/charts/',
      'app/charts/lib/',
      'app/charts/lib/Chart.yaml',
      'app/charts/lib/templates/',
      'app/charts/lib/templates/cm.yaml',
      'app/charts/lib/values.yaml',
    ])
    expect(await member(chart.file, 'app/charts/lib/Chart.yaml')).toContain('version: 2.1.0')
    // what the SBOM lists: the sibling at its released version
    expect(chart.subcharts).toEqual([
      { name: 'lib', version: '2.1.0', repository: expect.stringMatching(/^file:\/\//), subcharts: [] },
    ])
    const rendered = await run('helm', ['template', 'demo', chart.file])
    expect(rendered.stdout).toContain(`image: "registry.example/lib-server@${fakeDigest('c')}"`)
    expect((await run('helm', ['lint', '--strict', chart.file])).stdout).toContain('0 chart(s) failed')
  })

  it('a sibling released outside the dependency range is HELM_DEPENDENCY_VERSION at the line of version', async () => {
    const root = await temp()
    const { app, lib } = await workspace(root, '~1.0.0')
    const error = (await packageChart(app, {
      workspaceCharts: [lib],
      release,
      outDir: root,
      cwd: root,
    }).catch((e: unknown) => e)) as HelmError
    expect(error).toMatchObject({ code: 'HELM_DEPENDENCY_VERSION', file: 'app/Chart.yaml', line: 6 })
    expect(error.message).toContain('asks for ~1.0.0, but file://../lib is released as 2.1.0')
  })

  it('a missing sibling or a chart with no repository is HELM_DEPENDENCY_MISSING at the line of repository; a remote chart needs Chart.lock or a vendored copy', async () => {
    const root = await temp()
    const missing = await writeChart(
      root,
      'app',
      'apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: lib\n    repository: file://../nowhere\n',
    )
    const error = (await packageChart(missing, { outDir: root, cwd: root }).catch(
      (e: unknown) => e,
    )) as HelmError
    expect(error).toMatchObject({ code: 'HELM_DEPENDENCY_MISSING', file: 'app/Chart.yaml', line: 6 })
    expect(error.message).toContain(`${join(root, 'nowhere')} holds no Chart.yaml`)

    const remote = await writeChart(
      root,
      'web',
      'apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: redis\n    version: 18.x\n    repository: oci://registry-1.docker.io/bitnamicharts\n',
    )
    const notVendored = (await packageChart(remote, { outDir: root, cwd: root }).catch(
      (e: unknown) => e,
    )) as HelmError
    expect(notVendored).toMatchObject({ code: 'HELM_DEPENDENCY_LOCK', file: 'web/Chart.lock' })
    const unnamed = await writeChart(
      root,
      'api',
      'apiVersion: v2\nname: api\nversion: 1.0.0\ndependencies:\n  - name: redis\n    version: 18.x\n    repository: ""\n',
    )
    const noRepository = (await packageChart(unnamed, { outDir: root, cwd: root }).catch(
      (e: unknown) => e,
    )) as HelmError
    expect(noRepository).toMatchObject({ code: 'HELM_DEPENDENCY_MISSING', file: 'api/Chart.yaml', line: 7 })
    await mkdir(join(remote, 'charts'))
    await writeFile(join(remote, 'charts', 'redis-18.1.0.tgz'), 'vendored')
    const vendored = await packageChart(remote, { outDir: join(root, 'out'), env })
    expect((await tarList(vendored.file)).map((l) => l.split(/\s+/).pop())).toContain(
      'web/charts/redis-18.1.0.tgz',
    )
    expect(vendored.subcharts).toEqual([
      {
        name: 'redis',
        version: '18.1.0',
        repository: 'oci://registry-1.docker.io/bitnamicharts',
        digest: sha256('vendored'),
        subcharts: [],
      },
    ])
  })

  it('a dependency cycle between siblings is HELM_DEPENDENCY_CYCLE', async () => {
    const root = await temp()
    const deps = (other: string) => `dependencies:\n  - name: ${other}\n    repository: file://../${other}\n`
    await writeChart(root, 'one', `apiVersion: v2\nname: one\nversion: 1.0.0\n${deps('two')}`)
    await writeChart(root, 'two', `apiVersion: v2\nname: two\nversion: 1.0.0\n${deps('one')}`)
    const error = (await packageChart(join(root, 'one'), { outDir: root }).catch(
      (e: unknown) => e,
    )) as HelmError
    expect(error.code).toBe('HELM_DEPENDENCY_CYCLE')
  })
})

describe('packageChart: apiVersion v1 charts', () => {
  it('packages a v1 chart whose requirements.yaml names a file:// sibling; helm lints and renders it', async () => {
    const root = await temp()
    const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}-{{ .Release.Name }}\n'
    await writeChart(root, 'lib', 'apiVersion: v1\nname: lib\nversion: 1.0.0\n', {
      'templates/cm.yaml': CM,
    })
    const app = await writeChart(root, 'app', 'apiVersion: v1\nname: app\nversion: 1.0.0\n', {
      'requirements.yaml':
        'dependencies:\n  - name: lib\n    version: ">=1.0.0"\n    repository: file://../lib\n',
      'templates/cm.yaml': CM,
    })
    const chart = await packageChart(app, {
      release: { versions: {}, images: {} },
      env,
      outDir: join(root, 'out'),
    })
    const paths = (await tarList(chart.file)).map((l) => l.split(/\s+/).pop())
    expect(paths).toContain('app/requirements.yaml')
    expect(paths).toContain('app/charts/lib/Chart.yaml')
    expect((await run('helm', ['lint', '--strict', chart.file])).stdout).toContain('0 chart(s) failed')
    expect((await run('helm', ['show', 'chart', chart.file])).stdout).toContain('apiVersion: v1')
    expect((await run('helm', ['template', 'demo', chart.file])).stdout).toContain(
      '# Source: app/charts/lib/templates/cm.yaml',
    )
  })

  it('refuses the v2-only fields in a v1 Chart.yaml, as helm lint does, at their line', async () => {
    const root = await temp()
    const app = await writeChart(
      root,
      'app',
      'apiVersion: v1\nname: app\nversion: 1.0.0\ntype: application\n',
      {},
    )
    const error = (await packageChart(app, {
      release: { versions: {}, images: {} },
      outDir: root,
      cwd: root,
    }).catch((e: unknown) => e)) as HelmError
    expect(error).toMatchObject({ code: 'HELM_CHART_INVALID', line: 4 })
    expect(error.message).toContain('type is not valid in a Chart.yaml with apiVersion v1')
  })
})
