import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { type VersionResult, versionWorkspace } from '@polyship/versioning'
import { parse as parseToml } from 'smol-toml'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import {
  addChangeset,
  changedFiles,
  commitAll,
  copyExamples,
  git,
  onlyVersionsChanged,
  polyship,
} from './workspace.ts'

const echo = 'examples/echo-server-rust'
const time = 'examples/time-server-go'
const chart = 'examples/charts/mcp-stack'
const fastjson = 'examples/fastjson-py'

/** Cargo's own check that Cargo.lock matches the manifests (uses the local registry cache when it can). */
async function cargoMetadataLocked(dir: string): Promise<{ name: string; version: string }[]> {
  const { stdout } = await run('cargo', ['metadata', '--locked', '--format-version', '1'], { cwd: dir })
  return (
    JSON.parse(stdout) as { packages: { name: string; version: string; source: string | null }[] }
  ).packages
    .filter((p) => p.source === null)
    .map(({ name, version }) => ({ name, version }))
}

describe('polyship version on a copy of examples/', () => {
  let root: string
  let result: VersionResult
  let statusJson: string

  beforeAll(async () => {
    root = await copyExamples()
    await addChangeset(root, 'quick-time', { 'time-server-go': 'minor' }, 'Report the time zone in /time')
    await addChangeset(root, 'calm-echo', { 'echo-server-rust': 'patch' }, 'Echo request headers in order')
    await commitAll(root, 'changesets')
    statusJson = (await polyship(root, 'status', '--json')).stdout
    result = await versionWorkspace(root)
  })

  it('status lists the pending releases, dependents included, before anything is written', () => {
    const status = JSON.parse(statusJson) as {
      pending: boolean
      releases: { name: string; newVersion: string }[]
    }
    expect(status.pending).toBe(true)
    expect(status.releases.map((r) => `${r.name}@${r.newVersion}`)).toEqual([
      'echo-server-rust@0.1.1',
      'mcp-stack@0.1.1',
      'time-server-go@0.2.0',
    ])
  })

  it('bumps the two servers and the chart that depends on them, tags name@version', () => {
    expect(result.status).toBe('versioned')
    if (result.status !== 'versioned') return
    expect(result.releases.map((r) => [r.name, r.type, r.oldVersion, r.newVersion, r.tag])).toEqual([
      ['echo-server-rust', 'patch', '0.1.0', '0.1.1', 'echo-server-rust@0.1.1'],
      ['mcp-stack', 'patch', '0.1.0', '0.1.1', 'mcp-stack@0.1.1'],
      ['time-server-go', 'minor', '0.1.0', '0.2.0', 'time-server-go@0.2.0'],
    ])
  })

  it('touches only version values, changelogs and the consumed changesets', async () => {
    expect(await changedFiles(root)).toEqual([
      `?? ${chart}/CHANGELOG.md`,
      `?? ${echo}/CHANGELOG.md`,
      `?? ${time}/CHANGELOG.md`,
      'D .changeset/calm-echo.md',
      'D .changeset/quick-time.md',
      `M ${chart}/Chart.yaml`,
      `M ${chart}/package.json`,
      `M ${echo}/Cargo.lock`,
      `M ${echo}/Cargo.toml`,
      `M ${echo}/package.json`,
      `M ${time}/package.json`,
    ])
    for (const file of [`${chart}/Chart.yaml`, `${echo}/Cargo.toml`, `${echo}/Cargo.lock`]) {
      const before = await git(root, 'show', `HEAD:${file}`)
      const after = await readFile(join(root, file), 'utf8')
      expect(onlyVersionsChanged(before, after), file).toEqual([])
    }
    const diff = await git(root, 'diff', '--numstat', '--', `${echo}/Cargo.toml`, `${echo}/Cargo.lock`)
    expect(
      diff
        .trim()
        .split('\n')
        .map((line) => line.split('\t').slice(0, 2).join(' ')),
    ).toEqual(['1 1', '1 1'])
    expect(await readFile(join(root, time, 'CHANGELOG.md'), 'utf8')).toContain(
      'Report the time zone in /time',
    )
  })

  it('leaves Cargo.lock valid for cargo --locked, at the new version', async () => {
    const crates = await cargoMetadataLocked(join(root, echo))
    expect(crates).toEqual([{ name: 'echo-server-rust', version: '0.1.1' }])
  })

  it('bumps the chart with appVersion following time-server-go, and helm lint passes', async () => {
    const chartYaml = parseYaml(await readFile(join(root, chart, 'Chart.yaml'), 'utf8')) as Record<
      string,
      unknown
    >
    expect([chartYaml.version, chartYaml.appVersion]).toEqual(['0.1.1', '0.2.0'])
    const lint = await run('helm', ['lint', join(root, chart)], { cwd: root })
    expect(lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed')
  })

  it('is deterministic: the same tree and changesets give byte-identical files', async () => {
    const again = await copyExamples()
    await addChangeset(again, 'quick-time', { 'time-server-go': 'minor' }, 'Report the time zone in /time')
    await addChangeset(again, 'calm-echo', { 'echo-server-rust': 'patch' }, 'Echo request headers in order')
    await commitAll(again, 'changesets')
    expect((await git(again, 'rev-parse', 'HEAD')).trim()).toBe((await git(root, 'rev-parse', 'HEAD')).trim())
    await versionWorkspace(again)
    const files = await changedFiles(root)
    expect(await changedFiles(again)).toEqual(files)
    for (const file of files.filter((f) => !f.startsWith('D ')).map((f) => f.split(' ')[1]!)) {
      expect(await readFile(join(again, file), 'utf8'), file).toBe(await readFile(join(root, file), 'utf8'))
    }
  })

  it('with nothing pending, says so and exits 0 (changeset version would exit 1)', async () => {
    await commitAll(root, 'Version Packages')
    expect(await versionWorkspace(root)).toEqual({ status: 'nothing-pending' })
    const version = await polyship(root, 'version')
    expect(version).toMatchObject({ code: 0, stdout: 'No pending changesets: nothing to version.\n' })
    const status = await polyship(root, 'status')
    // Nothing pending, but the versioned projects are not released anywhere yet: status says so, as release would.
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/^No pending changesets\.\n\nnot yet released to their destinations/)
    for (const name of ['time-server-go', 'echo-server-rust', 'fastjson', 'mcp-stack'])
      expect(status.stdout).toMatch(new RegExp(`\\n${name}\\s+\\d+\\.\\d+\\.\\d+\\s+\\w+=`))
    expect(await changedFiles(root)).toEqual([])
  })

  it('versions the wheel: pyproject.toml, Cargo.toml and Cargo.lock, and maturin builds it at that version', async () => {
    // The wheel project's package.json name (the directory is fastjson-py).
    const name = (
      JSON.parse(await readFile(join(root, fastjson, 'package.json'), 'utf8')) as { name: string }
    ).name
    await addChangeset(root, 'fast-json', { [name]: 'minor' }, 'Add fastjson.validate')
    await commitAll(root, 'wheel changeset')
    const table = await polyship(root, 'version')
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(new RegExp(`${name} +minor +0\\.1\\.0 +0\\.2\\.0 +${name}@0\\.2\\.0`))
    const pyproject = parseToml(await readFile(join(root, fastjson, 'pyproject.toml'), 'utf8')) as {
      project: { version: string }
    }
    expect(pyproject.project.version).toBe('0.2.0')
    for (const file of ['pyproject.toml', 'Cargo.toml', 'Cargo.lock']) {
      const before = await git(root, 'show', `HEAD:${fastjson}/${file}`)
      expect(onlyVersionsChanged(before, await readFile(join(root, fastjson, file), 'utf8')), file).toEqual(
        [],
      )
    }
    expect(await cargoMetadataLocked(join(root, fastjson))).toEqual([
      { name: 'fastjson-core', version: '0.2.0' },
    ])
    const out = await mkdtemp(join(tmpdir(), 'polyship-sdist-'))
    await run('maturin', ['sdist', '--out', out], { cwd: join(root, fastjson) })
    expect(await readdir(out)).toEqual(['fastjson-0.2.0.tar.gz'])
  })
})
