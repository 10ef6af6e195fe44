/**
 * Wheel upload benchmark: polyship's reconciling publish vs `twine upload` of the same N
 * wheels to the same loopback pypiserver, each as a fresh process, in the same run.
 *   1. first upload of N wheels (the index is emptied before every run)
 *   2. the re-run of a release, everything already there: polyship asks the index once and
 *      uploads nothing; twine 7 has no idempotent mode for such an index (--skip-existing
 *      is refused as unsupported, a plain upload fails on the existing files), so the
 *      re-run is timed for polyship and twine's answer is printed
 *   tools/run node bench/wheel-upload.ts [wheels=20] [sizeKiB=1024]
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspectDistribution, publishDistributions, remoteIndex } from '../packages/wheel/src/index.ts'
import { startPypiServer, writeSyntheticWheel } from '../packages/wheel/src/testing/index.ts'
import { compare, report, sh } from './harness.ts'

if (process.argv[2] === '--child') {
  // Child mode: what `polyship release` does for one project's wheels, in its own process.
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
const polyship = () => sh(process.execPath, [import.meta.filename, '--child', wheels, server.url])
const twine = (...extra: string[]) =>
  sh('twine', [
    'upload',
    '--non-interactive',
    '--disable-progress-bar',
    '--repository-url',
    server.url,
    '-u',
    '__token__',
    '-p',
    'unused',
    ...extra,
    ...files,
  ]).catch(async () => {
    // sh keeps only stderr; twine prints its error on stdout, so run it again to show why
    throw new Error(await twineOutput(extra))
  })
const twineOutput = async (extra: readonly string[]) => {
  const { execFile } = await import('node:child_process')
  return new Promise<string>((resolve) =>
    execFile(
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
        ...extra,
        ...files,
      ],
      (_e, stdout, stderr) => resolve(`${stdout}${stderr}`),
    ),
  )
}

try {
  console.log(`${count} wheels of ${sizeKiB} KiB to pypiserver at ${server.url}`)
  report(
    'first upload (index emptied before each run)',
    await compare([
      { name: 'polyship publish', before: empty, run: polyship },
      { name: 'twine upload', before: empty, run: () => twine() },
    ]),
  )
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
        `failed: ${/(UnsupportedConfiguration|HTTPError: \d+[^\n]*|already exists)/.exec(error.message)?.[0] ?? error.message.slice(0, 200)}`,
    )
    console.log(`  twine upload ${extra.join(' ')} on the re-run: ${outcome}`)
  }
} finally {
  await server.stop()
  await rm(work, { recursive: true, force: true })
}
