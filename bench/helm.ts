/**
 * Helm chart benchmark: polyship package + push vs `helm package` + `helm push` of the same
 * chart (examples/charts/mcp-stack) to the same loopback registry, in the same run. Each
 * iteration publishes a new chart version for both (fresh blobs, no shortcut), each side in
 * its own repository. polyship is timed in-process (as `polyship release` runs it, modules
 * loaded once) and as a cold process per chart (Node startup and module loading included).
 * Also checks reproducibility: two packages of the same sources.
 *   tools/run node bench/helm.ts [runs=7]
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '@polyship/core'
import { chartStore, packageChart, pushChart } from '../packages/helm/src/index.ts'
import { RegistryClient } from '../packages/oci/src/index.ts'
import { startRegistry } from '../packages/oci/src/testing/index.ts'
import { compare, report, sh } from './harness.ts'

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
  let inProcessRun = 0
  let polyshipRun = 0
  let helmRun = 0
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
        name: 'polyship (cold process)',
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
      {
        name: 'helm package + helm push',
        run: async () => {
          const version = `1.0.${helmRun++}`
          await sh('helm', ['package', chartDir, '--version', version, '--destination', join(work, 'helm')])
          await sh('helm', [
            'push',
            join(work, 'helm', `mcp-stack-${version}.tgz`),
            `oci://${registry.host}/bench-helm`,
            '--plain-http',
          ])
        },
      },
    ],
    runs,
  )
  client.close()
  report(`package + push of mcp-stack to a loopback registry (${runs} runs each)`, results)

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
