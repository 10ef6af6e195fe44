/**
 * Helm chart benchmark: polyship vs `helm package` + `helm push` of the same chart
 * (examples/charts/mcp-stack, its image wiring left out) to loopback registries, same run:
 *   1. first release: `polyship release` (the built package, apps/release/dist, rebuilt
 *      first when stale) of a workspace holding just the chart, into a fresh registry, as a
 *      user runs it: package, SBOM, signature and provenance, push, git tag, record; against
 *      helm package + helm push of a new version. Whole processes, CPU time beside wall time.
 *   2. the re-run of that release with the chart already in the registry, against helm push
 *      of the same package again.
 *   3. for reference, the library calls (packageChart + pushChart) in-process and as a
 *      process of their own from the type-stripped sources.
 * Also checks reproducibility: two packages of the same sources.
 *   tools/run node bench/helm.ts [runs=7]
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '@polyship/core'
import { chartStore, packageChart, pushChart } from '../packages/helm/src/index.ts'
import { RegistryClient } from '../packages/oci/src/index.ts'
import { startRegistry, type TestRegistry } from '../packages/oci/src/testing/index.ts'
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

const EXAMPLE = new URL('../examples/charts/mcp-stack', import.meta.url).pathname

if (process.argv[2] === '--child') {
  // One `polyship` invocation: package the chart and push it, as the release CLI would.
  const [, , , chartDir, outDir, repository, version] = process.argv
  const chart = await packageChart(chartDir!, {
    outDir: outDir!,
    version: version!,
    env: { SOURCE_DATE_EPOCH: '1700000000' },
  })
  const client = new RegistryClient()
  await pushChart(
    chart,
    chartStore({ type: 'registry', repository: repository! }, chart.name, { baseDir: outDir!, client }),
  )
  client.close()
  process.exit(0)
}

const runs = Number(process.argv[2] ?? 7)
const work = await mkdtemp(join(tmpdir(), 'polyship-bench-helm-'))
const registry = await startRegistry()
try {
  const chartDir = join(work, 'mcp-stack')
  await cp(EXAMPLE, chartDir, { recursive: true, filter: (src) => !src.includes('node_modules') })
  const env = releaseEnv()
  const bin = await builtPolyship()
  // A workspace of one project, the chart; package.json without the image wiring (no image
  // projects here), otherwise the example as it is.
  const ws = join(work, 'ws')
  await mkdir(join(ws, 'charts'), { recursive: true })
  await cp(chartDir, join(ws, 'charts', 'mcp-stack'), { recursive: true })
  const chartManifest = { name: 'mcp-stack', version: '0.1.0', private: true, polyship: { chart: {} } }
  await writeFile(
    join(ws, 'charts', 'mcp-stack', 'package.json'),
    `${JSON.stringify(chartManifest, null, 2)}\n`,
  )
  await writeFile(join(ws, 'package.json'), '{ "name": "ws", "private": true }\n')
  await writeFile(join(ws, 'pnpm-workspace.yaml'), 'packages:\n  - charts/*\n')
  await writeFile(join(ws, '.gitignore'), 'dist/\n')
  await writeFile(join(ws, 'polyship.json'), '{}\n')
  await commitWorkspace(ws, env)

  let timed: TestRegistry | undefined
  const freshRegistry = async () => {
    await timed?.stop()
    timed = await startRegistry()
  }
  let helmVersion = 0
  const helmSteps = (host: () => string, version: () => string) => () => [
    ['helm', ['package', chartDir, '--version', version(), '--destination', join(work, 'helm')]] as const,
    [
      'helm',
      [
        'push',
        join(work, 'helm', `mcp-stack-${version()}.tgz`),
        `oci://${host()}/bench-helm`,
        '--plain-http',
      ],
    ] as const,
  ]
  // `polyship release --registry R` pushes charts under R/charts.
  const baseline = baselinePolyship()
  const release = (name: string, host: () => string, before?: () => Promise<unknown>, cli = bin) =>
    processContender(name, () => [[process.execPath, [cli, 'release', '--registry', `${host()}/bench`]]], {
      cwd: ws,
      env,
      ...(before === undefined ? {} : { before }),
    })
  const firstRelease = async () => {
    await freshRegistry()
    await unrelease(ws)
  }
  const firsts: ProcessContender[] = [
    release('polyship release (built)', () => timed!.host, firstRelease),
    processContender(
      'helm package + helm push',
      helmSteps(
        () => timed!.host,
        () => `1.0.${helmVersion}`,
      ),
      {
        before: async () => {
          await freshRegistry()
          helmVersion++
        },
      },
    ),
    ...(baseline === undefined
      ? []
      : [release('polyship release (baseline)', () => timed!.host, firstRelease, baseline)]),
  ]
  reportProcesses(
    `first release of mcp-stack into a fresh loopback registry (${runs} runs each)`,
    firsts,
    await compare(firsts, runs),
  )
  await timed?.stop()

  // Re-run: the chart is in the registry already (the release's, and helm's same version).
  await unrelease(ws)
  await sh(process.execPath, [bin, 'release', '--registry', `${registry.host}/bench`], { cwd: ws, env })
  const reruns: ProcessContender[] = [
    release('polyship release re-run', () => registry.host),
    processContender(
      'helm package + helm push again',
      helmSteps(
        () => registry.host,
        () => '2.0.0',
      ),
    ),
    ...(baseline === undefined
      ? []
      : [release('polyship re-run (baseline)', () => registry.host, undefined, baseline)]),
  ]
  reportProcesses(
    `re-run, mcp-stack already in the registry (${runs} runs each)`,
    reruns,
    await compare(reruns, runs),
  )

  let inProcessRun = 0
  let polyshipRun = 0
  const client = new RegistryClient()
  const results = await compare(
    [
      {
        name: 'polyship (in-process)',
        run: async () => {
          const chart = await packageChart(chartDir, {
            outDir: join(work, 'in-process'),
            version: `1.0.${inProcessRun++}`,
            env: { SOURCE_DATE_EPOCH: '1700000000' },
          })
          const store = chartStore(
            { type: 'registry', repository: `${registry.host}/bench-in-process` },
            chart.name,
            {
              baseDir: work,
              client,
            },
          )
          await pushChart(chart, store)
        },
      },
      {
        name: 'polyship (sources, cold process)',
        run: () =>
          sh(process.execPath, [
            import.meta.filename,
            '--child',
            chartDir,
            join(work, 'polyship'),
            `${registry.host}/bench-polyship`,
            `1.0.${polyshipRun++}`,
          ]),
      },
    ],
    runs,
  )
  client.close()
  report(`library calls: package + push of mcp-stack (${runs} runs each)`, results)

  // Reproducibility: the same sources packaged twice.
  const digests = async (make: (out: string) => Promise<string>) => {
    const first = sha256(await readFile(await make(join(work, 'r1'))))
    await new Promise((resolve) => setTimeout(resolve, 1100)) // helm stamps seconds
    const second = sha256(await readFile(await make(join(work, 'r2'))))
    return first === second ? 'identical' : 'different'
  }
  const ours = await digests(
    async (out) =>
      (await packageChart(chartDir, { outDir: out, env: { SOURCE_DATE_EPOCH: '1700000000' } })).file,
  )
  const theirs = await digests(async (out) => {
    await sh('helm', ['package', chartDir, '--destination', out])
    return join(out, 'mcp-stack-0.1.0.tgz')
  })
  console.log(`  same sources packaged twice: polyship ${ours}, helm package ${theirs}`)
} finally {
  await registry.stop()
  await rm(work, { recursive: true, force: true })
}
