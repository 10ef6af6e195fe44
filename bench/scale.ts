import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { POLYSHIP_BIN, releaseEnv, sh, timedProcess } from './harness.ts'

const { values, positionals } = parseArgs({
  options: { concurrency: { type: 'string' }, prof: { type: 'string' } },
  allowPositionals: true,
})
const sizes = (positionals.length > 0 ? positionals.join(',') : '1,10,50').split(',').map(Number)
const _repo = join(import.meta.dirname, '..')
const bin = POLYSHIP_BIN
const GO_PLATFORMS = [
  ['linux', 'amd64'],
  ['linux', 'arm64'],
] as const

const baseEnv = releaseEnv()

type Kind = 'go' | 'chart' | 'wheel'

/** Project i's kind: every 10th (from the 10th) a chart, every 10th (from the 5th) a wheel, else Go. */
function kindOf(i: number): Kind {
  if (i % 10 === 9) return 'chart'
  if (i % 10 === 4) return 'wheel'
  return 'go'
}

const name = (i: number) => `svc-${String(i).padStart(3, '0')}`

async function generate(root: string, n: number): Promise<{ kinds: Record<Kind, number>; go: string[] }> {
  const kinds: Record<Kind, number> = { go: 0, chart: 0, wheel: 0 }
  const go: string[] = []
  await mkdir(root, { recursive: true })
  await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - projects/*\n')
  await writeFile(join(root, 'polyship.json'), JSON.stringify({ repository: 'https://example.com/scale' }))
  await writeFile(join(root, '.gitignore'), 'dist/\n')
  let lastGo: string | undefined
  for (let i = 0; i < n; i++) {
    const kind: Kind = kindOf(i) === 'chart' && lastGo === undefined ? 'go' : kindOf(i)
    kinds[kind]++
    const dir = join(root, 'projects', name(i))
    await mkdir(dir, { recursive: true })
    const pkg = { name: name(i), version: '1.0.0', private: true, license: 'MIT' }
    switch (kind) {
      case 'go':
        lastGo = name(i)
        go.push(lastGo)
        await writeFile(join(dir, 'go.mod'), `module example.com/scale/${name(i)}\n\ngo 1.24\n`)
        await writeFile(
          join(dir, 'main.go'),
          `package main\n\nimport "fmt"\n\nvar version = "dev"\n\nfunc main() { fmt.Println("${name(i)}", version) }\n`,
        )
        await writeFile(
          join(dir, 'package.json'),
          JSON.stringify({
            ...pkg,
            polyship: {
              binary: {
                toolchain: 'go',
                main: '.',
                platforms: GO_PLATFORMS.map(([os, arch]) => `${os}/${arch}`),
                ldflags: { version: 'main.version' },
              },
              image: {
                base: 'static',
                platforms: GO_PLATFORMS.map(([os, arch]) => `${os}/${arch}`),
                entrypoint: [`/usr/local/bin/${name(i)}`],
                user: '65532',
              },
            },
          }),
        )
        break
      case 'chart':
        await mkdir(join(dir, 'templates'))
        await writeFile(
          join(dir, 'Chart.yaml'),
          `apiVersion: v2\nname: ${name(i)}\nversion: 1.0.0\nappVersion: "1.0.0"\ntype: application\n`,
        )
        await writeFile(
          join(dir, 'values.yaml'),
          'image:\n  repository: example.com/x\n  tag: "1.0.0"\n  digest: ""\n',
        )
        await writeFile(
          join(dir, 'templates', 'pod.yaml'),
          'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  containers:\n    - name: app\n      image: "{{ .Values.image.repository }}@{{ .Values.image.digest }}"\n',
        )
        await writeFile(
          join(dir, 'package.json'),
          JSON.stringify({
            ...pkg,
            dependencies: { [lastGo!]: 'workspace:*' },
            polyship: { chart: { appVersionFrom: lastGo, images: { image: lastGo } } },
          }),
        )
        break
      case 'wheel': {
        const module = name(i).replace('-', '_')
        await mkdir(join(dir, 'src', module), { recursive: true })
        await writeFile(join(dir, 'src', module, '__init__.py'), '__version__ = "1.0.0"\n')
        await writeFile(
          join(dir, 'pyproject.toml'),
          `[build-system]\nrequires = ["hatchling==1.33.0"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "${name(i)}"\nversion = "1.0.0"\nrequires-python = ">=3.9"\n`,
        )
        await writeFile(join(dir, 'package.json'), JSON.stringify({ ...pkg, polyship: { wheel: {} } }))
        break
      }
    }
  }
  await sh('git', ['init', '-q', '-b', 'main'], { cwd: root })
  await sh('git', ['add', '-A'], { cwd: root })
  await sh('git', ['commit', '-qm', 'scale'], { cwd: root, env: baseEnv })
  return { kinds, go }
}

/** Every Go project's `go build` for every platform, one after another, as a release script would. */
async function rawGo(
  root: string,
  projects: readonly string[],
  out: string,
): Promise<{ ms: number; cpuMs: number }> {
  const start = performance.now()
  let cpuMs = 0
  for (const project of projects) {
    for (const [goos, goarch] of GO_PLATFORMS) {
      const t = await timedProcess(
        'go',
        [
          'build',
          '-trimpath',
          '-ldflags',
          '-s -w -X main.version=1.0.0',
          '-o',
          join(out, project, goos),
          '.',
        ],
        {
          cwd: join(root, 'projects', project),
          env: { ...baseEnv, CGO_ENABLED: '0', GOOS: goos, GOARCH: goarch },
        },
      )
      cpuMs += t.cpuMs
    }
  }
  return { ms: performance.now() - start, cpuMs }
}

const concurrency = values.concurrency === undefined ? [] : ['--concurrency', values.concurrency]
console.log(
  `scale: N = ${sizes.join(', ')}; ${availableParallelism()} cores; polyship ${concurrency.join(' ') || '(default concurrency)'}`,
)
const rows: string[] = []
for (const n of sizes) {
  const work = await mkdtemp(join(tmpdir(), `polyship-bench-scale-${n}-`))
  const root = join(work, 'ws')
  const { kinds, go } = await generate(root, n)
  const polyship = (args: readonly string[], prof?: string) =>
    timedProcess(
      process.execPath,
      [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), bin, ...args, '--cwd', root],
      { cwd: root, env: baseEnv },
    )
  // Warm the Go build cache for both sides: the first release and the raw loop compile the
  // same packages (different output, same cache entries).
  await rawGo(root, go, join(work, 'warm'))
  const plan = await polyship(['plan'])
  const raw = await rawGo(root, go, join(work, 'raw-1'))
  const fresh = await polyship(['release', ...concurrency])
  const rerun = await polyship(['release', ...concurrency], values.prof)
  const rawAgain = await rawGo(root, go, join(work, 'raw-2'))
  const peer = raw.ms < rawAgain.ms ? raw : rawAgain
  const row = `N=${String(n).padStart(3)} (${kinds.go} go, ${kinds.chart} charts, ${kinds.wheel} wheels): plan ${fmt(plan)}; release ${fmt(fresh)}; no-change re-run ${fmt(rerun)}; raw go builds ${peer.ms.toFixed(0)} ms (cpu ${peer.cpuMs.toFixed(0)} ms) -> release/raw ${(fresh.ms / peer.ms).toFixed(2)}x wall, ${(fresh.cpuMs / peer.cpuMs).toFixed(2)}x cpu`
  console.log(row)
  rows.push(row)
  if (process.env.BENCH_KEEP) console.log(`kept ${root}`)
  else await rm(work, { recursive: true, force: true })
}
console.log(`\n${rows.join('\n')}`)

function fmt(t: { ms: number; cpuMs: number; rssMiB: number }): string {
  return `${t.ms.toFixed(0)} ms (cpu ${t.cpuMs.toFixed(0)} ms) / ${t.rssMiB.toFixed(0)} MiB`
}
