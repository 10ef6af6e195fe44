/**
 * CLI start-up as whole processes, the built package (`apps/release/dist/bin.js`, rebuilt
 * when older than its sources) against `node -e 0`, the floor every Node CLI pays:
 *
 *   tools/run node bench/startup.ts [runs]          # default 9
 *
 * `--version`, `help`, and `plan` on a copy of examples/ (a Go service with image, a Rust
 * CLI, a PyO3 wheel, a chart) and on a workspace of one Go project with a 2-platform image.
 * Each `plan` is run once before timing, so the toolchain answers are in the probe cache
 * (`$POLYSHIP_CACHE/probes`) and Node's compile cache is warm, as from a user's second run on.
 * Interleaved, min and median of wall and CPU time (user + system, children included).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  builtPolyship,
  commitWorkspace,
  compare,
  examplesWorkspace,
  median,
  processContender,
  releaseEnv,
  reportProcesses,
  sh,
} from './harness.ts'

const RUNS = Number(process.argv[2] ?? 9)

const bin = await builtPolyship()
const work = await mkdtemp(join(tmpdir(), 'polyship-bench-startup-'))
try {
  const env = releaseEnv()
  const examples = join(work, 'examples-ws')
  await examplesWorkspace(examples, env)
  const go = join(work, 'go-ws')
  await oneGoProject(go, env)
  for (const cwd of [examples, go]) await sh(process.execPath, [bin, 'plan'], { cwd, env })

  const node = (name: string, args: readonly string[], cwd: string) =>
    processContender(name, () => [[process.execPath, args]], { cwd, env })
  const cases = [
    ['--version', [bin, '--version'], go],
    ['help', [bin, 'help'], go],
    ['plan, examples/', [bin, 'plan'], examples],
    ['plan, one Go project', [bin, 'plan'], go],
  ] as const
  for (const [name, args, cwd] of cases) {
    const contenders = [node(`polyship ${name}`, args, cwd), node('node -e 0', ['-e', '0'], cwd)]
    const results = await compare(contenders, RUNS)
    reportProcesses(`polyship ${name}, built package, whole process (runs=${RUNS})`, contenders, results)
    const [polyship, floor] = contenders
    const min = (values: readonly number[]) => Math.min(...values)
    console.log(
      `  min/median: polyship ${min(results[0]!.samplesMs).toFixed(0)}/${results[0]!.medianMs.toFixed(0)} ms wall, ` +
        `${min(polyship!.cpuMs).toFixed(0)}/${median(polyship!.cpuMs).toFixed(0)} ms cpu; ` +
        `node -e 0 ${min(results[1]!.samplesMs).toFixed(0)}/${results[1]!.medianMs.toFixed(0)} ms wall, ` +
        `${min(floor!.cpuMs).toFixed(0)}/${median(floor!.cpuMs).toFixed(0)} ms cpu`,
    )
  }
} finally {
  await rm(work, { recursive: true, force: true })
}

/** A workspace of one Go binary for linux/amd64 and linux/arm64 with a 2-platform image, committed. */
async function oneGoProject(root: string, env: NodeJS.ProcessEnv): Promise<void> {
  const dir = join(root, 'projects', 'svc')
  await mkdir(dir, { recursive: true })
  await writeFile(join(root, 'package.json'), '{ "name": "go-ws", "private": true }\n')
  await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - projects/*\n')
  await writeFile(join(root, 'polyship.json'), JSON.stringify({ repository: 'https://example.com/go-ws' }))
  await writeFile(join(root, '.gitignore'), 'dist/\n')
  await writeFile(join(dir, 'go.mod'), 'module example.com/go-ws/svc\n\ngo 1.24\n')
  await writeFile(
    join(dir, 'main.go'),
    'package main\n\nimport "fmt"\n\nvar version = "dev"\n\nfunc main() { fmt.Println("svc", version) }\n',
  )
  const platforms = ['linux/amd64', 'linux/arm64']
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'svc',
      version: '1.0.0',
      private: true,
      license: 'MIT',
      polyship: {
        binary: { toolchain: 'go', main: '.', platforms, ldflags: { version: 'main.version' } },
        image: { base: 'static', platforms, entrypoint: ['/usr/local/bin/svc'], user: '65532' },
      },
    }),
  )
  await commitWorkspace(root, env)
}
