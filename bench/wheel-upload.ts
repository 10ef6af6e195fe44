/**
 * Wheel upload benchmark: polyship's reconciling publish vs `twine upload` of the same N
 * wheels to the same loopback pypiserver, in the same run.
 *   1. first upload of N wheels (the index is emptied before every run); polyship both as
 *      its own process and as the publish step inside a running release (where Node and
 *      @polyship/core are already loaded, and the alternative is shelling out to twine)
 *   2. the re-run of a release, everything already there: polyship asks the index once and
 *      uploads nothing; twine 7 has no idempotent mode for such an index (--skip-existing
 *      is refused as unsupported, a plain upload fails on the existing files), so the
 *      re-run is timed for polyship and twine's answer is printed
 *   tools/run node bench/wheel-upload.ts [wheels=20] [sizeKiB=1024]
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compare, report, sh } from './harness.ts'

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

try {
  console.log(`${count} wheels of ${sizeKiB} KiB to pypiserver at ${server.url}`)
  // untimed warm-up of both: page cache, compile cache, .pyc files
  await polyship()
  await empty()
  await twine()
  await empty()
  const [asProcess, peer, asStep] = await compare([
    { name: 'polyship publish (process)', before: empty, run: polyship },
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
