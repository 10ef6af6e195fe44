import { mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { RegistryClient } from '@polyship/oci'
import type {} from '@polyship/oci/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  commitAll,
  exampleWorkspace,
  goProjectFiles,
  polyship,
  type TestWorkspace,
  tool,
} from './workspace.ts'

/**
 * What counts as released, and what a run needs before it compiles: a version released to
 * dist/ is not released to a registry (plan, status and release agree), a chart released
 * alone is wired to the image its destination holds, projects polyship cannot build are
 * refused before any build, --exclude leaves projects out, a truncated record and a cut-off
 * upload say what they are and the way out. One small Go service with an image and a chart.
 */

const { host } = inject('ociRegistry')
const prefix = `release-test/state-${process.pid}`
const client = new RegistryClient()

const svc = {
  ...goProjectFiles('svc', {
    polyship: { image: { base: 'static', platforms: ['linux/amd64'], entrypoint: ['/usr/local/bin/svc'] } },
  }),
  'svc-chart/package.json': `${JSON.stringify({
    name: 'svc-chart',
    version: '1.0.0',
    private: true,
    polyship: { chart: { images: { image: 'svc' } } },
  })}\n`,
  'svc-chart/Chart.yaml': 'apiVersion: v2\nname: svc-chart\nversion: 1.0.0\nappVersion: "1.0.0"\n',
  'svc-chart/values.yaml': 'image:\n  repository: svc\n  tag: latest\n  digest: ""\n',
  'svc-chart/templates/configmap.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}@{{ .Values.image.digest }}"\n',
  '.changeset/config.json': `${JSON.stringify({ baseBranch: 'main', privatePackages: { version: true, tag: true } })}\n`,
}

let ws: TestWorkspace
const dist = (...path: string[]) => join(ws.root, 'dist', ...path)
const registryConfig = {
  destinations: { images: { type: 'registry', repository: `${host}/${prefix}` } },
}

beforeAll(async () => {
  ws = await exampleWorkspace({ projects: [], files: svc, globs: ['svc', 'svc-chart'], config: {} })
}, 120_000)
afterAll(async () => {
  client.close()
  await ws?.remove()
})

describe('a chart released alone', () => {
  it('before its image is released anywhere: RELEASE_IMAGE_MISSING naming what it needs, before compiling', async () => {
    const result = await polyship(['release', '--only', 'svc-chart', '--dry-run'], ws)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'error RELEASE_IMAGE_MISSING: chart svc-chart deploys the image of svc 1.0.0, which this run does not build',
    )
    expect(result.stderr).toContain('hint: release svc first or in the same run (e.g. --only svc-chart,svc)')
    expect(result.stderr).not.toContain('build svc')
  })
})

describe('released is judged per destination', () => {
  it('released to dist/: plan, status and release agree it is released', async () => {
    const first = await polyship(['release'], ws)
    expect(first.code, first.stderr).toBe(0)
    const record = JSON.parse(await readFile(dist('release.json'), 'utf8'))
    expect(record.projects.find((p: { name: string }) => p.name === 'svc').destinations).toEqual([
      'binary=dir:dist/assets',
      'image=oci-layout:dist/oci',
    ])
    await writeFile(join(ws.root, 'NOTES.md'), 'a later, unrelated commit\n')
    await commitAll(ws.root, 'notes')

    const plan = await polyship(['plan'], ws)
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stdout).toContain('svc@1.0.0 is already released there (release record')
    const status = await polyship(['status'], ws)
    expect(status.stdout).toBe('No pending changesets: nothing to release.\n')
    const again = await polyship(['release'], ws)
    expect(again.stdout).toMatch(/^nothing to release: svc@1\.0\.0 \(released at \w+\), svc-chart@1\.0\.0/)
  })

  it('switched to a registry: not released there; plan, status and release all say so, and it is published', async () => {
    await ws.configure(registryConfig)
    const plan = await polyship(['plan'], ws)
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stdout).not.toContain('svc@1.0.0 is already released')
    // the chart still goes to dist/, where it is released
    expect(plan.stdout).toContain('svc-chart@1.0.0 is already released there')
    const status = await polyship(['status'], ws)
    expect(status.stdout).toContain('No pending changesets.\n\nnot yet released to their destinations')
    expect(status.stdout).toMatch(/svc\s+1\.0\.0\s+binary=dir:dist\/assets, image=.*state-\d+/)
    const release = await polyship(['release'], ws)
    expect(release.code, release.stderr).toBe(0)
    expect(release.stdout).not.toContain('nothing to release')
    // The same bytes (per-project SOURCE_DATE_EPOCH): the files already in dist/ are unchanged.
    expect(release.stdout).toMatch(/svc\s+archive\s+svc_1\.0\.0_linux_amd64\.tar\.gz\s+unchanged/)
    expect(release.stdout).toMatch(/svc\s+image\s+svc:1\.0\.0\s+published/)
    expect(await client.repository(`${host}/${prefix}/svc`).resolve('1.0.0')).toBeDefined()
  })

  it('a chart released alone is wired to the image the registry holds', async () => {
    // The chart gets a new version; svc stays released.
    const chartJson = join(ws.root, 'svc-chart', 'package.json')
    await writeFile(chartJson, (await readFile(chartJson, 'utf8')).replace('"1.0.0"', '"1.0.1"'))
    const chartYaml = join(ws.root, 'svc-chart', 'Chart.yaml')
    await writeFile(
      chartYaml,
      (await readFile(chartYaml, 'utf8')).replace('version: 1.0.0', 'version: 1.0.1'),
    )
    await commitAll(ws.root, 'svc-chart 1.0.1')
    const result = await polyship(['release', '--only', 'svc-chart', '--debug'], ws)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).not.toContain('build svc 1.0.0')
    const digest = (await client.repository(`${host}/${prefix}/svc`).resolve('1.0.0'))!.digest
    const record = JSON.parse(await readFile(dist('release.json'), 'utf8'))
    expect(record.artifacts.find((a: { kind: string }) => a.kind === 'chart').version).toBe('1.0.1')
    const values = await tool('tar', [
      '-xzOf',
      dist('staging', 'svc-chart', 'svc-chart-1.0.1.tgz'),
      'svc-chart/values.yaml',
    ])
    expect(values).toContain(`repository: ${host}/${prefix}/svc`)
    expect(values).toContain(`digest: "${digest}"`)
  })
})

describe('refused before compiling', () => {
  it('a project polyship cannot build stops plan and release before any build; two are listed together', async () => {
    await ws.configure({})
    const broken = {
      'py/package.json': `${JSON.stringify({ name: 'py', version: '1.0.0', private: true, polyship: { wheel: {} } })}\n`,
      'py/pyproject.toml':
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n',
      'gone/package.json': `${JSON.stringify({ name: 'gone', version: '1.0.0', private: true, polyship: { binary: { toolchain: 'go' } } })}\n`,
    }
    for (const [file, content] of Object.entries(broken)) {
      await mkdir(join(ws.root, file, '..'), { recursive: true })
      await writeFile(join(ws.root, file), content)
    }
    await writeFile(
      join(ws.root, 'pnpm-workspace.yaml'),
      'packages:\n  - svc\n  - svc-chart\n  - py\n  - gone\n',
    )
    await commitAll(ws.root, 'two projects polyship cannot build')
    for (const args of [['plan'], ['release', '--dry-run']]) {
      const result = await polyship(args, ws)
      expect(result.code, result.stdout).toBe(1)
      expect(result.stderr).toContain('error RELEASE_PROJECT_INVALID: 2 projects cannot be released:')
      expect(result.stderr).toMatch(
        /gone: BINARY_PROJECT_INVALID: \S*gone\/package\.json: polyship\.binary\.main "\.": no go\.mod/,
      )
      expect(result.stderr).toMatch(/py: WHEEL_\w+: .*py\/pyproject\.toml/)
      expect(result.stderr).toContain('hint: fix each, or leave them out with --exclude gone,py')
      expect(result.stderr).not.toMatch(/build (svc|gone|py)/)
    }
  })

  it('--exclude leaves them out; an unknown name lists the known ones; --skip of a project points at --exclude', async () => {
    const excluded = await polyship(['release', '--dry-run', '--exclude', 'gone,py', '--only', 'svc'], ws)
    expect(excluded.code, excluded.stderr).toBe(0)
    const unknown = await polyship(['release', '--dry-run', '--exclude', 'nope'], ws)
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain(
      'error RELEASE_UNKNOWN_PROJECT: --exclude nope: no releasable project has that name',
    )
    expect(unknown.stderr).toContain('hint: known projects: gone, py, svc, svc-chart')
    const skip = await polyship(['release', '--dry-run', '--skip', 'svc'], ws)
    expect(skip.code).toBe(1)
    expect(skip.stderr).toContain('to leave out a project, use --exclude svc')
  })
})

describe('a broken record or a cut-off upload says what it is and the way out', () => {
  it('a truncated release.json: RECORD_INVALID saying it is truncated, in release and status', async () => {
    const record = dist('release.json')
    const text = await readFile(record, 'utf8')
    await writeFile(record, text.slice(0, text.length / 2))
    for (const args of [['release', '--dry-run', '--only', 'svc'], ['status']]) {
      const result = await polyship(args, ws)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('error RECORD_INVALID:')
      expect(result.stderr).toContain('truncated')
      expect(result.stderr).toContain(`move it aside (mv ${record} ${record}.broken)`)
      expect(result.stderr).not.toContain('signature')
    }
    await writeFile(record, text)
  })

  it('a cut-off archive in dist/assets: the conflict names it and says remove it, not bump the version', async () => {
    const archive = dist('assets', 'svc_1.0.0_linux_amd64.tar.gz')
    const size = (await readFile(archive)).length
    await truncate(archive, Math.floor(size / 3))
    await rm(dist('release.json'))
    const result = await polyship(['release', '--dry-run', '--only', 'svc'], ws)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('error RELEASE_CONFLICT')
    expect(result.stderr).toContain(
      `svc_1.0.0_linux_amd64.tar.gz: holds the first ${Math.floor(size / 3)} of the ${size} bytes of this very svc_1.0.0_linux_amd64.tar.gz: an upload cut off`,
    )
    expect(result.stderr).toContain(
      `hint: remove the cut-off copy (rm ${archive}) and run polyship release again`,
    )
    expect(result.stderr).not.toContain('bump the version')
    await truncate(archive, 0)
    const empty = await polyship(['release', '--dry-run', '--only', 'svc'], ws)
    expect(empty.stderr).toContain('holds an empty file under the name svc_1.0.0_linux_amd64.tar.gz')
  })
})
