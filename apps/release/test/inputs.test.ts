import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { loadWorkspace, run, type Workspace } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lastChange, projectInputs } from '../src/release/inputs.ts'
import { gitIdentity } from './workspace.ts'

/**
 * What a project's artifacts are made from, and so what dates them: a real git repository
 * with a Go module replacing a sibling module, a crate in a Cargo workspace with a path
 * dependency, a chart deploying an image, and a directory nothing depends on.
 */

let root: string
let workspace: Workspace
const pkg = (name: string, polyship: object, dependencies: Record<string, string> = {}) =>
  `${JSON.stringify({ name, version: '1.0.0', private: true, dependencies, polyship })}\n`
const files: Record<string, string> = {
  'pnpm-workspace.yaml': 'packages:\n  - go/api\n  - rust/members/cli\n  - chart\n',
  'package.json': '{ "name": "ws", "private": true }\n',
  'go/api/package.json': pkg('api', { binary: { toolchain: 'go' }, image: { base: 'static' } }),
  'go/api/go.mod': 'module example.com/api\n\ngo 1.22\n\nreplace example.com/lib => ../lib\n',
  'go/lib/go.mod': 'module example.com/lib\n\ngo 1.22\n',
  'rust/Cargo.toml': '[workspace]\nmembers = ["members/*", "crates/*"]\n',
  'rust/Cargo.lock': '# lock\n',
  'rust/members/cli/package.json': pkg('cli', { binary: { toolchain: 'rust' } }),
  'rust/members/cli/Cargo.toml':
    '[package]\nname = "cli"\nversion = "1.0.0"\n\n[dependencies]\ncore = { path = "../../crates/core" }\n',
  'rust/crates/core/Cargo.toml': '[package]\nname = "core"\nversion = "1.0.0"\n',
  'chart/package.json': pkg('chart', { chart: { images: { image: 'api' } } }),
  'chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 1.0.0\n',
  'docs/README.md': 'nothing depends on this\n',
}

const git = (args: readonly string[], date = '2026-01-01T00:00:00Z') =>
  run('git', args, {
    cwd: root,
    env: gitIdentity(date),
  })
const commit = async (message: string, date: string) => {
  await git(['add', '-A'])
  await git(['commit', '-qm', message], date)
  return (await git(['rev-parse', 'HEAD'])).stdout.trim()
}
const inputsOf = async (name: string) =>
  (await projectInputs(workspace.projects.find((p) => p.name === name)!, workspace)).map((p) =>
    relative(root, p),
  )

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'polyship-inputs-'))
  for (const [file, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, file)), { recursive: true })
    await writeFile(join(root, file), content)
  }
  await git(['init', '-q', '-b', 'main'])
  await commit('init', '2026-01-01T00:00:00Z')
  workspace = await loadWorkspace(root)
})
afterAll(() => rm(root, { recursive: true, force: true }))

describe('projectInputs', () => {
  it('a Go module: its directory and the module its replace points at', async () => {
    expect(await inputsOf('api')).toEqual(['go/api', 'go/lib'])
  })

  it('a crate: its directory, its path dependency, the Cargo workspace manifest and lock', async () => {
    expect(await inputsOf('cli')).toEqual([
      'rust/Cargo.lock',
      'rust/Cargo.toml',
      'rust/crates/core',
      'rust/members/cli',
    ])
  })

  it('a chart: its directory and everything the image it deploys is made from', async () => {
    expect(await inputsOf('chart')).toEqual(['chart', 'go/api', 'go/lib'])
  })

  it('is read once per workspace: the record check and the stamps get the same answer, not a second walk', async () => {
    const api = workspace.projects.find((p) => p.name === 'api')!
    const first = await projectInputs(api, workspace)
    expect(await projectInputs(api, workspace)).toBe(first)
    // another load of the workspace reads its files again
    expect(await projectInputs(api, await loadWorkspace(root))).not.toBe(first)
  })
})

describe('lastChange', () => {
  it('is the last commit touching the inputs, not HEAD', async () => {
    const init = (await git(['rev-parse', 'HEAD'])).stdout.trim()
    await writeFile(join(root, 'docs', 'README.md'), 'changed\n')
    await commit('docs', '2026-02-01T00:00:00Z')
    const paths = await projectInputs(workspace.projects.find((p) => p.name === 'chart')!, workspace)
    expect(await lastChange(root, paths, process.env)).toEqual({ commit: init, epoch: 1767225600 })

    await writeFile(join(root, 'go', 'lib', 'lib.go'), 'package lib\n')
    const lib = await commit('lib', '2026-03-01T00:00:00Z')
    expect(await lastChange(root, paths, process.env)).toEqual({ commit: lib, epoch: 1772323200 })
  })
})
