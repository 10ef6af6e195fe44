import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import {
  builtPolyship,
  compare,
  examplesWorkspace,
  POLYSHIP_BIN,
  releaseEnv,
  report,
  sh,
  timedProcess,
} from './harness.ts'

const cold = process.argv.includes('--cold')
/** `--built`: time the built package (apps/release/dist, what users install) instead of the type-stripped sources. */
const built = process.argv.includes('--built')
/** `--against DIR`: also time the polyship of another checkout (the code before a change), interleaved. */
const againstAt = process.argv.indexOf('--against')
const against = againstAt < 0 ? undefined : process.argv[againstAt + 1]
const runs = Number(
  process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--against') ?? 3,
)
const _repo = join(import.meta.dirname, '..')
const bin = built ? await builtPolyship() : POLYSHIP_BIN
const work = await mkdtemp(join(tmpdir(), 'polyship-bench-release-'))
const root = join(work, 'ws')
const env = releaseEnv()
await examplesWorkspace(root, env)

const release = () => sh(process.execPath, [bin, 'release', '--cwd', root], { cwd: root, env })
const againstBin = against === undefined ? undefined : join(against, 'apps', 'release', 'src', 'bin.ts')
const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${availableParallelism()} cores`
const go = join(root, 'examples', 'time-server-go')
const rust = join(root, 'examples', 'echo-server-rust')
const py = join(root, 'examples', 'fastjson-py')
/** CPU time (user + system) of the raw commands run so far. */
let rawCpuMs = 0
const rawStep = async (
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
) => {
  rawCpuMs += (await timedProcess(command, args, options)).cpuMs
}
const raw = async (rawEnv: NodeJS.ProcessEnv = env) => {
  for (const [goos, goarch] of [
    ['linux', 'amd64'],
    ['linux', 'arm64'],
    ['darwin', 'amd64'],
    ['darwin', 'arm64'],
    ['windows', 'amd64'],
  ] as const) {
    await rawStep(
      'go',
      [
        'build',
        '-trimpath',
        '-ldflags',
        '-s -w -X main.version=0.1.0',
        '-o',
        join(work, 'raw', `${goos}-${goarch}`, 'time-server-go'),
        '.',
      ],
      {
        cwd: go,
        env: { ...rawEnv, CGO_ENABLED: '0', GOOS: goos, GOARCH: goarch },
      },
    )
  }
  await rawStep('cargo', ['build', '--release', '--locked', '--target', 'x86_64-unknown-linux-gnu'], {
    cwd: rust,
    env: { ...rawEnv, RUSTFLAGS: '-C target-feature=+crt-static' },
  })
  await rawStep(
    'maturin',
    [
      'build',
      '--release',
      '--zig',
      '--compatibility',
      'manylinux_2_17',
      '--out',
      join(work, 'raw', 'wheels'),
    ],
    { cwd: py, env: rawEnv },
  )
  await rawStep('maturin', ['sdist', '--out', join(work, 'raw', 'wheels')], { cwd: py, env: rawEnv })
}

// Warm every cache both sides use (Go build cache, cargo target dirs, the signing key).
await release()
await raw()
if (againstBin !== undefined)
  await sh(process.execPath, [againstBin, 'release', '--cwd', root], { cwd: root, env })
console.log(`before: ${load()}`)
const results = await compare(
  [
    {
      name: `polyship release (fresh dist/${built ? ', built' : ''})`,
      before: () => rm(join(root, 'dist'), { recursive: true, force: true }),
      run: release,
    },
    {
      name: 'raw go/cargo/maturin builds',
      before: () => rm(join(work, 'raw'), { recursive: true, force: true }),
      run: () => raw(),
    },
    ...(againstBin === undefined
      ? []
      : [
          {
            name: `polyship release of ${against}`,
            before: () => rm(join(root, 'dist'), { recursive: true, force: true }),
            run: () => sh(process.execPath, [againstBin, 'release', '--cwd', root], { cwd: root, env }),
          },
        ]),
  ],
  runs,
)
console.log(`after: ${load()}`)
report(
  'release of examples/ (4 projects: 6 archives, 2 checksums, wheel + sdist, 3 images, 1 chart, all signed)',
  results,
)
const [polyship, peer] = results
console.log(
  `  overhead of polyship over the raw builds: ${(polyship!.medianMs / peer!.medianMs).toFixed(2)}x (packaging, images, chart, SBOMs, signing, publishing)`,
)
if (results[2] !== undefined)
  console.log(
    `  overhead of ${against} over the raw builds: ${(results[2].medianMs / peer!.medianMs).toFixed(2)}x`,
  )

// CPU time of one warm run of each side: polyship as a whole process, the raw commands summed.
{
  await rm(join(root, 'dist'), { recursive: true, force: true })
  const polyshipCpu = await timedProcess(process.execPath, [bin, 'release', '--cwd', root], {
    cwd: root,
    env,
  })
  await rm(join(work, 'raw'), { recursive: true, force: true })
  rawCpuMs = 0
  await raw()
  console.log(
    `  cpu (user + system): polyship ${polyshipCpu.cpuMs.toFixed(0)} ms, raw ${rawCpuMs.toFixed(0)} ms -> ${(polyshipCpu.cpuMs / rawCpuMs).toFixed(2)}x; peak RSS polyship ${polyshipCpu.rssMiB.toFixed(0)} MiB`,
  )
  if (againstBin !== undefined) {
    await rm(join(root, 'dist'), { recursive: true, force: true })
    const againstCpu = await timedProcess(process.execPath, [againstBin, 'release', '--cwd', root], {
      cwd: root,
      env,
    })
    console.log(
      `  cpu (user + system) of ${against}: ${againstCpu.cpuMs.toFixed(0)} ms -> ${(againstCpu.cpuMs / rawCpuMs).toFixed(2)}x of raw`,
    )
  }
}

if (cold) {
  const caches = join(work, 'cold-caches')
  await rm(join(root, 'dist'), { recursive: true, force: true })
  const polyshipCold = await timedProcess(process.execPath, [bin, 'release', '--no-cache', '--cwd', root], {
    cwd: root,
    env,
  })
  await rm(join(work, 'raw'), { recursive: true, force: true })
  const start = performance.now()
  await raw({ ...env, GOCACHE: join(caches, 'go'), CARGO_TARGET_DIR: join(caches, 'cargo') })
  const rawColdMs = performance.now() - start
  await rm(caches, { recursive: true, force: true })
  console.log(
    `\ncold caches (empty GOCACHE and CARGO_TARGET_DIR, one pair): polyship release --no-cache ${polyshipCold.ms.toFixed(0)} ms, raw builds ${rawColdMs.toFixed(0)} ms -> ${(polyshipCold.ms / rawColdMs).toFixed(2)}x`,
  )
}

const rerun = await compare([{ name: 'polyship release, nothing changed', run: release }], runs)
report('re-run with everything already published', rerun)
await rm(work, { recursive: true, force: true })
