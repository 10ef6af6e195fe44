import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { collectingReporter, type Project } from '@polyship/core'
import {
  buildWheels,
  type Distribution,
  distributionArtifact,
  publishWheels,
  type WheelBuild,
  type WheelConflictError,
  WheelError,
} from '@polyship/wheel'
import { type PypiServer, startPypiServer } from '@polyship/wheel/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyExample, edit, editJson, projectIn } from './workspace.ts'

/**
 * The acceptance run of issue 6 on the real example: maturin builds examples/fastjson-py
 * (PyO3, abi3) released at 0.2.0, pypiserver on loopback receives it, pip installs it.
 * maturin compiles once; it then re-links after a touched source (reproducibility) and
 * repackages with another SOURCE_DATE_EPOCH (same names, other bytes).
 */
const VERSION = '0.2.0'
const EPOCH = 1_700_000_000
let work: string
let project: Project
let build: WheelBuild
let twin: WheelBuild
let restamped: WheelBuild
let server: PypiServer
let venv: string
const reporter = collectingReporter()

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-wheel-fastjson-'))
  const dir = await copyExample('fastjson')
  // what `polyship version` does for a 0.2.0 release
  await editJson(join(dir, 'package.json'), (p) => {
    p.version = VERSION
  })
  await edit(join(dir, 'pyproject.toml'), (t) => t.replace(/^version = ".*"$/m, `version = "${VERSION}"`))
  project = await projectIn(dir)
  const env = { ...process.env, CARGO_TARGET_DIR: join(work, 'target') }
  build = await buildWheels(project, { outDir: join(work, 'dist-a'), env, sourceDateEpoch: EPOCH, reporter })
  // the crate recompiles (its source is newer), dependencies come from the cache
  const now = new Date()
  await utimes(join(dir, 'src', 'lib.rs'), now, now)
  twin = await buildWheels(project, { outDir: join(work, 'dist-b'), env, sourceDateEpoch: EPOCH })
  restamped = await buildWheels(project, { outDir: join(work, 'dist-c'), env, sourceDateEpoch: EPOCH + 3600 })
  server = await startPypiServer({ dir: join(work, 'index') })
  venv = join(work, 'venv')
  execFileSync('python3', ['-m', 'venv', venv])
}, 600_000)

afterAll(async () => {
  await server?.stop()
})

const python = (...args: string[]) => execFileSync(join(venv, 'bin', 'python'), args, { encoding: 'utf8' })
const pip = (...args: string[]) => python('-m', 'pip', '-q', '--disable-pip-version-check', ...args)
const names = (files: readonly Distribution[]) => files.map((f) => f.filename)

describe('fastjson-py built by maturin', () => {
  it('gives one abi3 manylinux wheel and an sdist, checked, at the released version', () => {
    expect(names(build.distributions)).toEqual([
      `fastjson-${VERSION}-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl`,
      `fastjson-${VERSION}.tar.gz`,
    ])
    expect(build.skipped).toEqual([])
    expect(reporter.events.filter((e) => e.type === 'log')).toEqual([])
    expect(reporter.events.flatMap((e) => (e.type === 'artifact' ? [e.artifact.name] : []))).toEqual(
      names(build.distributions),
    )
    const artifact = distributionArtifact(build.distributions[0]!, project)
    expect(artifact).toMatchObject({
      kind: 'wheel',
      project: 'fastjson',
      version: VERSION,
      platform: { os: 'linux', architecture: 'amd64' },
      extra: {
        distribution: 'fastjson',
        tags: ['cp39-abi3-manylinux2014_x86_64', 'cp39-abi3-manylinux_2_17_x86_64'],
        requiresPython: '>=3.9',
        purl: `pkg:pypi/fastjson@${VERSION}?file_name=${build.distributions[0]!.filename}`,
      },
    })
  })

  it('rebuilds byte-identical files', async () => {
    expect(twin.distributions.map((d) => d.digest)).toEqual(build.distributions.map((d) => d.digest))
    for (const [a, b] of build.distributions.map((d, i) => [d.path, twin.distributions[i]!.path])) {
      expect(Buffer.compare(await readFile(a!), await readFile(b!))).toBe(0)
    }
    // a different SOURCE_DATE_EPOCH changes the bytes, not the names
    expect(names(restamped.distributions)).toEqual(names(build.distributions))
    expect(restamped.distributions[0]!.digest).not.toBe(build.distributions[0]!.digest)
  })

  it('passes twine check', () => {
    const out = execFileSync('twine', ['check', '--strict', ...build.distributions.map((d) => d.path)], {
      encoding: 'utf8',
    })
    expect(out.match(/PASSED/g)).toHaveLength(2)
  })
})

describe('fastjson-py published', () => {
  it('uploads to pypiserver and pip installs it from there', async () => {
    const outcomes = await publishWheels(
      build.distributions,
      { type: 'pypi', url: server.url },
      { root: work, env: {} },
    )
    expect(outcomes.map((o) => o.status)).toEqual(['published', 'published'])
    pip('install', '--no-cache-dir', '--index-url', server.simpleUrl, 'fastjson')
    const out = python(
      '-c',
      'import fastjson; print(fastjson.__version__); print(fastjson.minify(\'{ "a" : [1, 2] }\'))',
    )
    expect(out).toBe(`${VERSION}\n{"a":[1,2]}\n`)
  })

  it('reports the same files again as unchanged', async () => {
    const before = (await readdir(server.dir)).sort()
    const outcomes = await publishWheels(
      build.distributions,
      { type: 'pypi', url: server.url },
      { root: work, env: {} },
    )
    expect(outcomes.map((o) => o.status)).toEqual(['unchanged', 'unchanged'])
    expect((await readdir(server.dir)).sort()).toEqual(before)
  })

  it('stops on a rebuilt wheel with other bytes under the same name, publishing nothing else', async () => {
    const other = await startPypiServer({ dir: join(work, 'index-other') })
    try {
      // the index already holds the re-stamped wheel; the sdist is not there yet
      await publishWheels(
        [restamped.distributions[0]!],
        { type: 'pypi', url: other.url },
        { root: work, env: {} },
      )
      let error: unknown
      try {
        await publishWheels(build.distributions, { type: 'pypi', url: other.url }, { root: work, env: {} })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(WheelError)
      expect((error as WheelError).code).toBe('WHEEL_CONFLICT')
      expect((error as WheelConflictError).conflicts).toMatchObject([
        {
          filename: build.distributions[0]!.filename,
          existing: restamped.distributions[0]!.digest,
          wanted: build.distributions[0]!.digest,
          // another build's file, not a cut-off copy of this one
          copy: { kind: 'different' },
        },
      ])
      expect(await readdir(other.dir)).toEqual([restamped.distributions[0]!.filename])
    } finally {
      await other.stop()
    }
  })

  it('installs from the embedded simple index directory with pip --index-url file://', async () => {
    const outcomes = await publishWheels(
      build.distributions,
      { type: 'simple-index', path: 'dist/pypi' },
      { root: work },
    )
    expect(outcomes.map((o) => o.status)).toEqual(['published', 'published'])
    pip('uninstall', '-y', 'fastjson')
    pip(
      'install',
      '--no-cache-dir',
      '--index-url',
      pathToFileURL(join(work, 'dist', 'pypi', 'simple')).href,
      'fastjson',
    )
    expect(python('-c', 'import fastjson; print(fastjson.__version__, fastjson.is_valid("{"))')).toBe(
      `${VERSION} False\n`,
    )
  })
})
