/**
 * Wheel upload benchmark, same loopback pypiserver, same run:
 *   1. a user's release of N pure-Python projects (hatchling, a sizeKiB data file each):
 *      `polyship release` (the built package, apps/release/dist, rebuilt first when stale)
 *      of a workspace holding just those projects, first run into an emptied index and the
 *      re-run with everything there, against what a user scripts instead: `uv build
 *      --wheel` of each project (the frontend polyship drives too) and one `twine upload`.
 *      Whole processes, CPU time beside wall time. polyship also builds each wheel twice to
 *      check it is reproducible, reads every file back, writes SBOMs, signs and attests.
 *   2. the upload alone: polyship's reconciling publish vs `twine upload` of the same N
 *      prebuilt wheels (the index is emptied before every run); polyship both as a process
 *      of its own from the type-stripped sources and as the publish step inside a running
 *      release (where Node and @polyship/core are already loaded)
 *   3. the re-run of that upload, everything already there: polyship asks the index once
 *      and uploads nothing; twine 7 has no idempotent mode for such an index
 *      (--skip-existing is refused as unsupported, a plain upload fails on the existing
 *      files), so the re-run is timed for polyship and twine's answer is printed
 *   tools/run node bench/wheel-upload.ts [wheels=20] [sizeKiB=1024] [releaseProjects=wheels]
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  baselinePolyship,
  builtPolyship,
  commitWorkspace,
  compare,
  type ProcessContender,
  processContender,
  releaseEnv,
  report,
  reportProcesses,
  sh,
  unrelease,
} from './harness.ts'

if (process.argv[2] === '--child') {
  // Child mode: what `polyship release` does for one project's wheels, in its own process.
  const { inspectDistribution, publishDistributions, remoteIndex } = await import(
    '../packages/wheel/src/index.ts'
  )
  const [, , , dir, url] = process.argv
  const files = (await readdir(dir!)).sort().map((f) => join(dir!, f))
  const distributions = await Promise.all(files.map(inspectDistribution))
  const outcomes = await publishDistributions(
    distributions,
    remoteIndex({ uploadUrl: url!, credentials: { type: 'none' } }),
  )
  if (outcomes.length !== files.length) throw new Error('not every file was published')
  process.exit(0)
}

const { startPypiServer, writeSyntheticWheel } = await import('../packages/wheel/src/testing/index.ts')
const { inspectDistribution, publishDistributions, remoteIndex } = await import(
  '../packages/wheel/src/index.ts'
)

const count = Number(process.argv[2] ?? 20)
const sizeKiB = Number(process.argv[3] ?? 1024)
const work = await mkdtemp(join(tmpdir(), 'polyship-bench-wheel-'))
const wheels = join(work, 'wheels')
await mkdir(wheels)
for (let i = 0; i < count; i++) {
  await writeSyntheticWheel(wheels, {
    name: 'bench-wheel',
    version: `1.0.${i}`,
    size: sizeKiB * 1024,
    seed: String(i),
  })
}
const files = (await readdir(wheels)).sort().map((f) => join(wheels, f))
const server = await startPypiServer({ dir: join(work, 'index') })

const empty = async () => {
  for (const f of await readdir(server.dir)) await rm(join(server.dir, f))
}
// Node's compile cache on, as a CLI enables it (twine likewise runs from cached .pyc files)
const childEnv = { ...process.env, NODE_COMPILE_CACHE: join(work, 'node-compile-cache') }
const polyship = () =>
  sh(process.execPath, [import.meta.filename, '--child', wheels, server.url], { env: childEnv })
const inProcess = async () => {
  const distributions = await Promise.all(files.map(inspectDistribution))
  await publishDistributions(
    distributions,
    remoteIndex({ uploadUrl: server.url, credentials: { type: 'none' } }),
  )
}
/** twine upload; rejects with twine's own output (it prints errors on stdout). */
const twine = (...extra: string[]) =>
  new Promise<void>((resolve, reject) => {
    const args = ['upload', '--non-interactive', '--disable-progress-bar', '--repository-url', server.url]
    execFile(
      'twine',
      [...args, '-u', '__token__', '-p', 'unused', ...extra, ...files],
      (error, stdout, stderr) => (error === null ? resolve() : reject(new Error(`${stdout}${stderr}`))),
    )
  })

/**
 * A workspace of `n` hatchling projects bench-p0..., each with a `sizeKiB` random data file,
 * wheels only (no sdist), published to the pypiserver; committed.
 */
async function wheelWorkspace(root: string, n: number, env: NodeJS.ProcessEnv): Promise<string[]> {
  const dirs: string[] = []
  for (let i = 0; i < n; i++) {
    const name = `bench-p${i}`
    const module = name.replaceAll('-', '_')
    const dir = join(root, 'packages', name)
    await mkdir(join(dir, 'src', module), { recursive: true })
    const manifest = { name, version: '1.0.0', private: true, polyship: { wheel: { sdist: false } } }
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    await writeFile(
      join(dir, 'pyproject.toml'),
      `[build-system]\nrequires = ["hatchling==1.33.0"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "${name}"\nversion = "1.0.0"\nrequires-python = ">=3.9"\n\n[tool.hatch.build.targets.wheel]\npackages = ["src/${module}"]\n`,
    )
    await writeFile(join(dir, 'src', module, '__init__.py'), '__version__ = "1.0.0"\n')
    await writeFile(join(dir, 'src', module, 'data.bin'), randomBytes(sizeKiB * 1024))
    dirs.push(dir)
  }
  await writeFile(join(root, 'package.json'), '{ "name": "ws", "private": true }\n')
  await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n')
  await writeFile(join(root, '.gitignore'), 'dist/\n')
  const wheels = { type: 'pypi', url: server.url, simpleUrl: server.simpleUrl, tokenEnv: 'BENCH_PYPI_TOKEN' }
  await writeFile(join(root, 'polyship.json'), `${JSON.stringify({ destinations: { wheels } })}\n`)
  await commitWorkspace(root, env)
  return dirs
}

try {
  const releaseProjects = Number(process.argv[4] ?? count)
  const env = releaseEnv({ BENCH_PYPI_TOKEN: 'unused' })
  const bin = await builtPolyship()
  const ws = join(work, 'ws')
  const projects = await wheelWorkspace(ws, releaseProjects, env)
  const built = join(work, 'uv-built')
  const script = () => [
    ...projects.map((dir) => ['uv', ['build', '--wheel', '--out-dir', built, dir]] as const),
    [
      'twine',
      [
        'upload',
        '--non-interactive',
        '--disable-progress-bar',
        '--repository-url',
        server.url,
        '-u',
        '__token__',
        '-p',
        'unused',
        ...projects.map((dir) =>
          join(built, `${dir.split('/').pop()!.replaceAll('-', '_')}-1.0.0-py3-none-any.whl`),
        ),
      ],
    ] as const,
  ]
  const baseline = baselinePolyship()
  const release = (name: string, before?: () => Promise<unknown>, cli = bin) =>
    processContender(name, () => [[process.execPath, [cli, 'release']]], {
      cwd: ws,
      env,
      ...(before === undefined ? {} : { before }),
    })
  const firstRelease = async () => {
    await empty()
    await unrelease(ws)
  }
  const firsts: ProcessContender[] = [
    release('polyship release (built)', firstRelease),
    processContender('uv build --wheel each + twine', script, {
      env,
      before: async () => {
        await empty()
        await rm(built, { recursive: true, force: true })
      },
    }),
    ...(baseline === undefined ? [] : [release('polyship release (baseline)', firstRelease, baseline)]),
  ]
  // untimed warm-up of both: uv's cache of hatchling, the compile cache, .pyc files
  for (const c of firsts) {
    await c.before?.()
    await c.run()
  }
  console.log(`release of ${releaseProjects} hatchling projects, ${sizeKiB} KiB data each, to pypiserver`)
  reportProcesses('first release, index emptied before each run', firsts, await compare(firsts, 3))
  await empty()
  await unrelease(ws)
  await sh(process.execPath, [bin, 'release'], { cwd: ws, env })
  const rerun = [
    release('polyship release re-run'),
    ...(baseline === undefined ? [] : [release('polyship re-run (baseline)', undefined, baseline)]),
  ]
  reportProcesses('re-run: everything already published', rerun, await compare(rerun, 3))
  await empty()

  console.log(`\n${count} wheels of ${sizeKiB} KiB to pypiserver at ${server.url}`)
  // untimed warm-up of both: page cache, compile cache, .pyc files
  await polyship()
  await empty()
  await twine()
  await empty()
  const [asProcess, peer, asStep] = await compare([
    { name: 'polyship publish (sources, process)', before: empty, run: polyship },
    { name: 'twine upload', before: empty, run: () => twine() },
    { name: 'polyship publish (in-process)', before: empty, run: inProcess },
  ])
  report('first upload, each a fresh process (index emptied before each run)', [asProcess!, peer!])
  report('first upload, publish step of a running release vs shelling out to twine', [asStep!, peer!])

  await empty()
  await polyship()
  report(
    're-run: everything already published',
    await compare([{ name: 'polyship publish (unchanged)', run: polyship }]),
  )
  for (const extra of [['--skip-existing'], []]) {
    const outcome = await twine(...extra).then(
      () => 'succeeded',
      (error: Error) =>
        `failed: ${/(UnsupportedConfiguration|HTTPError: \d+ [A-Za-z ]+)/.exec(error.message)?.[0] ?? error.message.slice(0, 200)}`,
    )
    console.log(`  twine upload ${extra.join(' ')} on the re-run: ${outcome}`)
  }
} finally {
  await server.stop()
  await rm(work, { recursive: true, force: true })
}
