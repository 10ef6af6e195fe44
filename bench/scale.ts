import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { availableParallelism, homedir, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { startVerdaccio } from '../packages/npm/src/testing/index.ts'
import { median, POLYSHIP_BIN, releaseEnv, sh, timedProcess } from './harness.ts'

/**
 * `scale.ts [N,N...] [--goreleaser] [--nx-release] [--nx-cache] [--no-curve] [--runs R] [--concurrency C]`
 *
 * A generated workspace of N projects (Go binaries with images, charts, hatchling wheels, npm
 * packages) released by polyship, against the raw `go build` loop over the same Go projects;
 * with --goreleaser the Go part against a GoReleaser loop, with --nx-release the npm part
 * against `nx release`, with --nx-cache a release through Nx with a warm vs a cold Nx cache.
 * Every figure is wall and CPU time (user + system, children included): on a shared machine
 * the CPU time is the steady one. --no-curve measures only the peers asked for. Prints markdown tables to paste into bench/README.md.
 */
const { values, positionals } = parseArgs({
  options: {
    concurrency: { type: 'string' },
    prof: { type: 'string' },
    goreleaser: { type: 'boolean', default: false },
    'nx-release': { type: 'boolean', default: false },
    'nx-cache': { type: 'boolean', default: false },
    runs: { type: 'string', default: '1' },
    'no-curve': { type: 'boolean', default: false },
  },
  allowPositionals: true,
})
const sizes = (positionals.length > 0 ? positionals.join(',') : '1,10,50').split(',').map(Number)
const runs = Number(values.runs)
const REPO = join(import.meta.dirname, '..')
const PLUGIN = join(REPO, 'packages', 'nx-plugin', 'src', 'index.ts')
const bin = POLYSHIP_BIN
const GO_PLATFORMS = [
  ['linux', 'amd64'],
  ['linux', 'arm64'],
] as const
/** The `nx release` peer: nx and @nx/js as a user's workspace has them, installed by `tools/test-env.sh --bench`. */
const NX_RELEASE_PEER = join(
  process.env.POLYSHIP_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'polyship'),
  `nx-release-${/^NX_RELEASE_PEER_VERSION=(\S+)/m.exec(readFileSync(join(REPO, 'tools', 'versions.sh'), 'utf8'))?.[1]}`,
)

const baseEnv = releaseEnv({ NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' })

type Kind = 'go' | 'chart' | 'wheel' | 'npm'
type Sample = { readonly ms: number; readonly cpuMs: number; readonly rssMiB: number }

/** Project i's kind: of each ten, the 10th a chart (deploying the Go image before it), the 5th a wheel, the 8th an npm package, the rest Go. */
function kindOf(i: number): Kind {
  if (i % 10 === 9) return 'chart'
  if (i % 10 === 4) return 'wheel'
  if (i % 10 === 7) return 'npm'
  return 'go'
}

const name = (i: number) => `svc-${String(i).padStart(3, '0')}`

interface Workspace {
  readonly kinds: Record<Kind, number>
  readonly go: readonly string[]
  readonly npm: readonly string[]
}

/** GoReleaser's config for one Go project: the platforms, ldflags, archives and checksums polyship produces for it. */
function goreleaserYaml(project: string): string {
  return `version: 2
project_name: ${project}
builds:
  - main: .
    binary: ${project}
    env: [CGO_ENABLED=0]
    goos: [${[...new Set(GO_PLATFORMS.map(([os]) => os))].join(', ')}]
    goarch: [${GO_PLATFORMS.map(([, arch]) => arch).join(', ')}]
    flags: [-trimpath]
    ldflags: ['-s -w -X main.version={{ .Version }}']
    mod_timestamp: '{{ .CommitTimestamp }}'
archives:
  - formats: [tar.gz]
    name_template: '{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}'
checksum:
  name_template: checksums.txt
snapshot:
  version_template: '1.0.0'
changelog:
  disable: true
release:
  disable: true
`
}

/**
 * nx.json of the `nx release` peer: a release over the npm packages, no git operations. Only
 * in the peer's clone: polyship refuses a workspace where nx release would also publish its
 * projects (RELEASE_NX_OVERLAP), as a user must choose one tool per package.
 */
function nxReleaseJson(npm: readonly string[]): string {
  return `${JSON.stringify(
    {
      release: {
        projects: npm,
        projectsRelationship: 'fixed',
        version: { currentVersionResolver: 'disk', git: { commit: false, tag: false } },
        changelog: { workspaceChangelog: false, projectChangelogs: false },
      },
    },
    null,
    2,
  )}\n`
}

async function generate(root: string, n: number): Promise<Workspace> {
  const kinds: Record<Kind, number> = { go: 0, chart: 0, wheel: 0, npm: 0 }
  const go: string[] = []
  const npm: string[] = []
  await mkdir(root, { recursive: true })
  await writeFile(join(root, 'package.json'), '{ "name": "scale", "private": true }\n')
  await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - projects/*\n')
  await writeFile(join(root, 'polyship.json'), JSON.stringify({ repository: 'https://example.com/scale' }))
  await writeFile(join(root, '.gitignore'), 'dist/\nnode_modules\n.nx\n')
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
        await writeFile(join(dir, '.goreleaser.yaml'), goreleaserYaml(name(i)))
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
      case 'npm':
        npm.push(name(i))
        await writeFile(
          join(dir, 'package.json'),
          JSON.stringify({
            name: name(i),
            version: '1.0.0',
            license: 'MIT',
            type: 'module',
            main: 'index.js',
            files: ['index.js'],
            polyship: { npm: {} },
          }),
        )
        await writeFile(join(dir, 'index.js'), `export const name = '${name(i)}'\n`)
        break
    }
  }
  await sh('git', ['init', '-q', '-b', 'main'], { cwd: root })
  await sh('git', ['add', '-A'], { cwd: root })
  await sh('git', ['commit', '-qm', 'scale'], { cwd: root, env: baseEnv })
  return { kinds, go, npm }
}

/** Every Go project's `go build` for every platform, one after another, as a release script would. */
async function rawGo(root: string, projects: readonly string[], out: string): Promise<Sample> {
  const start = performance.now()
  let cpuMs = 0
  let rssMiB = 0
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
      rssMiB = Math.max(rssMiB, t.rssMiB)
    }
  }
  return { ms: performance.now() - start, cpuMs, rssMiB }
}

/** `goreleaser release --snapshot --clean --skip=publish` in each Go project, one after another: GoReleaser OSS has no monorepo mode. */
async function goreleaserLoop(root: string, projects: readonly string[]): Promise<Sample> {
  const start = performance.now()
  let cpuMs = 0
  let rssMiB = 0
  for (const project of projects) {
    const t = await timedProcess('goreleaser', ['release', '--snapshot', '--clean', '--skip=publish'], {
      cwd: join(root, 'projects', project),
      env: baseEnv,
    })
    cpuMs += t.cpuMs
    rssMiB = Math.max(rssMiB, t.rssMiB)
  }
  return { ms: performance.now() - start, cpuMs, rssMiB }
}

/** Several commands one after another as one sample: wall and CPU added, peak RSS the largest. */
async function sequence(steps: readonly (() => Promise<Sample>)[]): Promise<Sample> {
  const start = performance.now()
  let cpuMs = 0
  let rssMiB = 0
  for (const step of steps) {
    const t = await step()
    cpuMs += t.cpuMs
    rssMiB = Math.max(rssMiB, t.rssMiB)
  }
  return { ms: performance.now() - start, cpuMs, rssMiB }
}

/** `runs` interleaved rounds (A B A B ...), each contender's `before` untimed; medians of wall, CPU and RSS apart. */
async function interleaved(
  contenders: readonly { before?: () => Promise<unknown>; run: () => Promise<Sample> }[],
): Promise<Sample[]> {
  const samples = contenders.map(() => [] as Sample[])
  for (let r = 0; r < runs; r++)
    for (const [i, c] of contenders.entries()) {
      await c.before?.()
      samples[i]!.push(await c.run())
    }
  return samples.map((s) => ({
    ms: median(s.map((x) => x.ms)),
    cpuMs: median(s.map((x) => x.cpuMs)),
    rssMiB: median(s.map((x) => x.rssMiB)),
  }))
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, command)))
}

const secs = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1)
/** "X s cpu (Y s wall)", the steady figure first. */
const cell = (t: Sample) => `${secs(t.cpuMs)} s cpu (${secs(t.ms)} s)`
const ratio = (a: Sample, b: Sample) =>
  `${(a.cpuMs / b.cpuMs).toFixed(2)}x cpu, ${(a.ms / b.ms).toFixed(2)}x wall`
const mix = (k: Record<Kind, number>) => `${k.go} go, ${k.chart} charts, ${k.wheel} wheels, ${k.npm} npm`

const tables = {
  curve: {
    head: '| N | projects | plan | release (fresh dist/) | no-change re-run | peak RSS plan / release / re-run | raw `go build` loop | release / raw |\n|---|---|---|---|---|---|---|---|',
    rows: [] as string[],
  },
  goreleaser: {
    head: '| N | Go projects | polyship `release --only <go> --skip image` (fresh dist/) | goreleaser loop (`release --snapshot --clean --skip=publish` per project) | polyship / goreleaser | peak RSS polyship / goreleaser |\n|---|---|---|---|---|---|',
    rows: [] as string[],
  },
  nxRelease: {
    head: '| N | npm packages | polyship `release --only <npm>` (fresh dist/) | `nx release version 1.0.1 --dry-run` + `nx release publish --dry-run` | polyship / nx release | peak RSS polyship / nx |\n|---|---|---|---|---|---|',
    rows: [] as string[],
  },
  nxCache: {
    head: '| N | `nx run-many -t polyship-build`, empty cache | release through Nx, cold Nx cache (`nx reset`, fresh dist/) | release through Nx, warm Nx cache (fresh dist/) | cold / warm | peak RSS cold / warm |\n|---|---|---|---|---|---|',
    rows: [] as string[],
  },
}
function row(table: keyof typeof tables, cells: readonly string[]): void {
  const line = `| ${cells.join(' | ')} |`
  tables[table].rows.push(line)
  console.log(`${table}: ${line}`)
}

const concurrency = values.concurrency === undefined ? [] : ['--concurrency', values.concurrency]
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
console.log(
  `scale: N = ${sizes.join(', ')}; ${availableParallelism()} cores; load average ${load()}; polyship ${concurrency.join(' ') || '(default concurrency)'}; peers ${runs} interleaved round(s); ${new Date().toISOString()}`,
)
const verdaccio = values['nx-release'] ? await startVerdaccio() : undefined
try {
  for (const n of sizes) {
    const work = await mkdtemp(join(tmpdir(), `polyship-bench-scale-${n}-`))
    const root = join(work, 'ws')
    const { kinds, go, npm } = await generate(root, n)
    const polyship = (args: readonly string[], cwd = root, env = baseEnv, prof?: string) =>
      timedProcess(
        process.execPath,
        [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), bin, ...args, '--cwd', cwd],
        { cwd, env },
      )
    const fresh = (cwd: string) => rm(join(cwd, 'dist'), { recursive: true, force: true })
    // Warm the Go build cache for every side: the standard library for both platforms, and with
    // --no-curve (no raw loop before the peers) every project's own package too.
    await rawGo(root, values['no-curve'] ? go : go.slice(0, 1), join(work, 'warm'))
    if (!values['no-curve']) {
      const plan = await polyship(['plan'])
      const raw = await rawGo(root, go, join(work, 'raw-1'))
      const release = await polyship(['release', ...concurrency])
      const rerun = await polyship(['release', ...concurrency], root, baseEnv, values.prof)
      // a second raw loop, the faster of the two, where it is cheap next to the rest
      const peer =
        n <= 10 ? [raw, await rawGo(root, go, join(work, 'raw-2'))].sort((a, b) => a.ms - b.ms)[0]! : raw
      row('curve', [
        String(n),
        mix(kinds),
        cell(plan),
        cell(release),
        cell(rerun),
        `${plan.rssMiB.toFixed(0)} / ${release.rssMiB.toFixed(0)} / ${rerun.rssMiB.toFixed(0)} MiB`,
        cell(peer),
        ratio(release, peer),
      ])
    }

    if (verdaccio !== undefined && npm.length > 0) {
      // nx release in a clone with nx + @nx/js installed, the registry a loopback Verdaccio
      // (publish --dry-run asks it what is published); polyship packs, checks, signs, makes
      // SBOMs and writes the tarballs to dist/npm.
      const clone = join(work, 'nx-release')
      await sh('git', ['clone', '-q', root, clone])
      await symlink(join(NX_RELEASE_PEER, 'node_modules'), join(clone, 'node_modules'))
      await writeFile(join(clone, '.npmrc'), `registry=${verdaccio.url}\n`)
      await writeFile(join(clone, 'nx.json'), nxReleaseJson(npm))
      const nxBin = join(clone, 'node_modules', '.bin', 'nx')
      const nxEnv = { ...baseEnv, npm_config_registry: verdaccio.url }
      const nx = (args: readonly string[]) => timedProcess(nxBin, args, { cwd: clone, env: nxEnv })
      const [p, x] = await interleaved([
        {
          before: () => fresh(root),
          run: () => polyship(['release', '--only', npm.join(','), ...concurrency]),
        },
        {
          run: () =>
            sequence([
              () => nx(['release', 'version', '1.0.1', '--dry-run']),
              () => nx(['release', 'publish', '--dry-run']),
            ]),
        },
      ])
      row('nxRelease', [
        String(n),
        String(npm.length),
        cell(p!),
        cell(x!),
        ratio(p!, x!),
        `${p!.rssMiB.toFixed(0)} / ${x!.rssMiB.toFixed(0)} MiB`,
      ])
    }

    if (values['nx-cache']) {
      // A clone whose nx.json names polyship's plugin, with this repository's node_modules (nx,
      // polyship): `polyship release` hands the compile step to `nx run-many -t polyship-build`.
      const clone = join(work, 'nx-cache-ws')
      await sh('git', ['clone', '-q', root, clone])
      await symlink(join(REPO, 'node_modules'), join(clone, 'node_modules'))
      await writeFile(join(clone, 'nx.json'), `${JSON.stringify({ plugins: [PLUGIN] })}\n`)
      await sh('git', ['add', 'nx.json'], { cwd: clone })
      await sh('git', ['commit', '-qm', 'nx plugin'], { cwd: clone, env: baseEnv })
      const env = { ...baseEnv, NX_CACHE_DIRECTORY: join(work, 'nx-cache') }
      const nxBin = join(clone, 'node_modules', '.bin', 'nx')
      const nx = (args: readonly string[]) =>
        timedProcess(nxBin, [...args, '--outputStyle=static'], { cwd: clone, env })
      // one task at a time, as polyship's own run-many: each `polyship build` takes the
      // workspace's release lock, and Nx's default --parallel=3 fails with RELEASE_LOCKED
      const build = await nx(['run-many', '-t', 'polyship-build', '--parallel=1'])
      const [cold, warm] = await interleaved([
        {
          before: async () => {
            await timedProcess(nxBin, ['reset'], { cwd: clone, env })
            await fresh(clone)
          },
          run: () => polyship(['release', ...concurrency], clone, env),
        },
        { before: () => fresh(clone), run: () => polyship(['release', ...concurrency], clone, env) },
      ])
      row('nxCache', [
        String(n),
        cell(build),
        cell(cold!),
        cell(warm!),
        ratio(cold!, warm!),
        `${cold!.rssMiB.toFixed(0)} / ${warm!.rssMiB.toFixed(0)} MiB`,
      ])
    }

    if (values.goreleaser && go.length > 0 && !onPath('goreleaser'))
      console.log('goreleaser: not on PATH (tools/test-env.sh --bench installs it); skipped')
    else if (values.goreleaser && go.length > 0) {
      // polyship: binaries, archives, checksums, plus the SBOMs and signatures it always makes;
      // goreleaser: binaries, archives, checksums (no SBOM or signing configured, no images: its
      // image builders need a Docker daemon or a registry for ko's base image, neither here).
      const only = ['--only', go.join(','), '--skip', 'image']
      const [p, g] = await interleaved([
        { before: () => fresh(root), run: () => polyship(['release', ...only, ...concurrency]) },
        { run: () => goreleaserLoop(root, go) },
      ])
      row('goreleaser', [
        String(n),
        String(go.length),
        cell(p!),
        cell(g!),
        ratio(p!, g!),
        `${p!.rssMiB.toFixed(0)} / ${g!.rssMiB.toFixed(0)} MiB`,
      ])
    }

    if (process.env.BENCH_KEEP) console.log(`kept ${root}`)
    else await rm(work, { recursive: true, force: true })
  }
} finally {
  await verdaccio?.stop()
}

console.log(`\nload average at the end: ${load()}; ${new Date().toISOString()}`)
for (const table of Object.values(tables))
  if (table.rows.length > 0) console.log(`\n${table.head}\n${table.rows.join('\n')}`)
