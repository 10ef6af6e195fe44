/**
 * Pushing images to a registry: polyship vs `crane push` vs `skopeo copy`, same OCI
 * layout, same loopback docker-registry (distribution 2.8), same run.
 *
 *   tools/run node bench/oci-push.ts
 *
 * 1. A 2-platform image with ~130 MB of random gzip layers, pushed to a fresh registry
 *    each time (ratio of medians). polyship as a user runs it: `polyship release` of a
 *    workspace holding one image project whose base is that layout (the built package,
 *    apps/release/dist, rebuilt first when stale; whole process, CPU time beside wall
 *    time), which also assembles the image (the layout as its base, one small file added),
 *    writes SBOMs, signs and attests (a release always signs: `signing.mode: none` is
 *    refused), tags the commit and writes its record; and the library call in-process,
 *    for reference.
 * 2. Re-push with everything present: same tag (a no-op), and manifests deleted but blobs
 *    present (a crashed run resumed), with the number of HTTP requests polyship sends;
 *    then the re-run of `polyship release` against `crane push` of the same image.
 * 3. Peak RSS while pushing a single 1 GiB layer (chunked upload).
 *
 * `node bench/oci-push.ts push <layout-dir> <tag> <repository>` is the polyship contender:
 * a process of its own, like the peers, printing its request counts as JSON.
 */
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { collectingReporter, digestFile, sha256 } from '@polyship/core'
import {
  copyImage,
  encodeManifest,
  LayoutStore,
  MEDIA_TYPES,
  RegistryClient,
} from '../packages/oci/src/index.ts'
import {
  pushTestImage,
  randomBytes,
  startRegistry,
  type TestRegistry,
} from '../packages/oci/src/testing/index.ts'
import {
  baselinePolyship,
  builtPolyship,
  commitWorkspace,
  compare,
  type ProcessContender,
  peakRssMiB,
  processContender,
  releaseEnv,
  reportProcesses,
  sh,
  unrelease,
} from './harness.ts'

const CRANE = join(process.env.POLYSHIP_CACHE ?? join(process.env.HOME ?? '', '.cache/polyship'), 'bin/crane')
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
/** Size of each of the 4 layers; BENCH_LAYER_SIZE=1000000 for a quick check of the bench itself. */
const LAYER_SIZE = Number(process.env.BENCH_LAYER_SIZE ?? 32_500_000)

if (process.argv[2] === 'idle') process.exit(0)
if (process.argv[2] === 'push') {
  const [, , , dir, tag, repository] = process.argv as [string, string, string, string, string, string]
  const reporter = collectingReporter()
  const client = new RegistryClient({ deps: { reporter } })
  const outcome = await copyImage(new LayoutStore(dir), client.repository(repository), tag)
  client.close()
  const requests: Record<string, number> = {}
  for (const event of reporter.events) {
    if (event.type !== 'log') continue
    const method = event.message.split(' ')[0]!
    requests[method] = (requests[method] ?? 0) + 1
  }
  process.stdout.write(`${JSON.stringify({ status: outcome.status, requests })}\n`)
  process.exit(0)
}

const work = await mkdtemp(join(tmpdir(), 'polyship-bench-oci-'))
const registry = await startRegistry()
const self = new URL(import.meta.url).pathname

const env = releaseEnv()

/**
 * A workspace of one image project, `app`, whose image is the layout's `bench` image (its
 * base) plus one small file; committed, the layout git-ignored.
 */
async function imageWorkspace(root: string, layout: string): Promise<string> {
  await mkdir(join(root, 'app'), { recursive: true })
  await cp(layout, join(root, 'app', 'layout'), { recursive: true })
  await writeFile(join(root, 'app', 'run'), '#!/bin/sh\n')
  const image = {
    base: 'oci:layout:bench',
    platforms: ['linux/amd64', 'linux/arm64'],
    entrypoint: ['/run'],
    files: [{ from: 'run', to: '/run', mode: '0755' }],
  }
  const manifest = { name: 'app', version: '1.0.0', private: true, polyship: { image } }
  await writeFile(join(root, 'app', 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  await writeFile(join(root, 'package.json'), '{ "name": "ws", "private": true }\n')
  await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - app\n')
  await writeFile(join(root, '.gitignore'), 'dist/\napp/layout/\n')
  await writeFile(join(root, 'polyship.json'), '{}\n')
  await commitWorkspace(root, env)
  return root
}

/** The skopeo contender: copies every platform of `layout`'s `bench` tag, digests kept. */
function skopeoCopy(layout: string, repository: string): Promise<void> {
  return sh('skopeo', [
    'copy',
    '--all',
    '--preserve-digests',
    '--dest-tls-verify=false',
    `oci:${layout}:bench`,
    `docker://${repository}:bench`,
  ])
}

/** Runs the polyship contender as its own process and returns what it printed. */
function polyshipPush(
  dir: string,
  tag: string,
  repository: string,
): Promise<{ status: string; requests: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, 'push', dir, tag, repository], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`polyship push exited ${code}`)),
    )
  })
}

try {
  // 1. ~130 MB, two platforms, two layers each.
  const layout = join(work, 'layout')
  console.log(`building a 2-platform layout with 4 x ${(LAYER_SIZE / 1e6).toFixed(1)} MB random layers...`)
  const image = await pushTestImage(new LayoutStore(layout), {
    seed: 'bench',
    tag: 'bench',
    layerSize: LAYER_SIZE,
  })
  const total = image.blobs.reduce((sum, b) => sum + b.size, 0)
  console.log(
    `  ${(total / 1e6).toFixed(1)} MB in ${image.blobs.length} blobs, ${image.manifests.length} manifests + index`,
  )

  // Every timed push goes to a registry of its own, started before the clock runs: skopeo
  // remembers where it pushed blobs before and would mount them instead of uploading.
  let timed: TestRegistry | undefined
  const freshRegistry = async () => {
    await timed?.stop()
    timed = await startRegistry()
  }
  const fresh = () => `${timed!.host}/bench/app`
  const inProcess = new RegistryClient()
  const bin = await builtPolyship()
  const ws = await imageWorkspace(join(work, 'ws'), layout)
  /** `polyship release` of `root` into `registry`'s `bench/` (the image lands at bench/app:1.0.0). */
  const baseline = baselinePolyship()
  const release = (
    name: string,
    root: string,
    registryHost: () => string,
    before?: () => Promise<unknown>,
    cli = bin,
  ) =>
    processContender(
      name,
      () => [[process.execPath, [cli, 'release', '--registry', `${registryHost()}/bench`]]],
      { cwd: root, env, ...(before === undefined ? {} : { before }) },
    )
  const crane = (name: string, repository: () => string, before?: () => Promise<unknown>) =>
    processContender(name, () => [[CRANE, ['push', '--insecure', layout, `${repository()}:bench`]]], {
      ...(before === undefined ? {} : { before }),
    })
  const firstRelease = async () => {
    await freshRegistry()
    await unrelease(ws)
  }
  const processes: ProcessContender[] = [
    release('polyship release (built)', ws, () => timed!.host, firstRelease),
    crane('crane push', fresh, freshRegistry),
    ...(baseline === undefined
      ? []
      : [release('polyship release (baseline)', ws, () => timed!.host, firstRelease, baseline)]),
  ]
  const results = await compare(
    [
      ...processes,
      {
        name: 'polyship copyImage (in-process)',
        before: freshRegistry,
        run: () => copyImage(new LayoutStore(layout), inProcess.repository(fresh()), 'bench'),
      },
      {
        name: 'skopeo copy --all',
        before: freshRegistry,
        run: () => skopeoCopy(layout, fresh()),
      },
    ],
    RUNS,
  )
  await timed?.stop()
  inProcess.close()
  reportProcesses(
    `push ~${(total / 1e6).toFixed(0)} MB 2-platform image to a fresh registry (loopback docker-registry 2.8); whole processes`,
    processes,
    results,
  )

  // 2. Re-push with everything present.
  const target = `${registry.host}/bench/repush`
  await polyshipPush(layout, 'bench', target)
  const again = await polyshipPush(layout, 'bench', target)
  console.log(
    `\nre-push, same tag already there: ${again.status}, requests ${JSON.stringify(again.requests)}`,
  )
  const deleteManifests = async () => {
    for (const digest of [image.root.digest, ...image.manifests.map((m) => m.digest)]) {
      const res = await fetch(`${registry.url}/v2/bench/repush/manifests/${digest}`, { method: 'DELETE' })
      if (res.status !== 202 && res.status !== 404) throw new Error(`DELETE manifest answered ${res.status}`)
    }
  }
  await deleteManifests()
  const resumed = await polyshipPush(layout, 'bench', target)
  console.log(
    `re-push, blobs present but manifests gone (a resumed run): ${resumed.status}, requests ${JSON.stringify(resumed.requests)} for ${image.blobs.length} blobs`,
  )
  const again2 = new RegistryClient()
  // The re-run of a release: the same workspaces, everything already in the registry.
  await unrelease(ws)
  await sh(process.execPath, [bin, 'release', '--registry', `${registry.host}/bench`], { cwd: ws, env })
  const reruns: ProcessContender[] = [
    release('polyship release re-run', ws, () => registry.host),
    crane('crane push', () => `${registry.host}/bench/app`),
    ...(baseline === undefined
      ? []
      : [release('polyship re-run (baseline)', ws, () => registry.host, undefined, baseline)]),
  ]
  await sh(CRANE, ['push', '--insecure', layout, `${registry.host}/bench/app:bench`])
  const repush = await compare(
    [
      ...reruns,
      {
        name: 'polyship copyImage (in-process)',
        run: () => copyImage(new LayoutStore(layout), again2.repository(target), 'bench'),
      },
      { name: 'polyship push (sources, process)', run: () => polyshipPush(layout, 'bench', target) },
      {
        name: 'skopeo copy --all',
        run: () => skopeoCopy(layout, target),
      },
    ],
    RUNS,
  )
  again2.close()
  reportProcesses('re-push, everything present; whole processes', reruns, repush)

  // 3. Peak RSS with a 1 GiB layer (BENCH_RSS=0 leaves it out).
  if (process.env.BENCH_RSS === '0') process.exit(0)
  const big = join(work, 'big')
  const file = join(work, 'big.bin')
  console.log('\nwriting a 1 GiB random layer...')
  await pipeline(Readable.from(randomBytes('bench-1gib', 1 << 30)), createWriteStream(file))
  const bigLayout = new LayoutStore(big)
  const layer = { mediaType: MEDIA_TYPES.ociLayer, ...(await digestFile(file)) }
  await bigLayout.pushBlob(layer, { path: file })
  await rm(file)
  const config = new TextEncoder().encode(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
    }),
  )
  const configDescriptor = { mediaType: MEDIA_TYPES.ociConfig, digest: sha256(config), size: config.length }
  await bigLayout.pushBlob(configDescriptor, config)
  await bigLayout.putManifest(
    encodeManifest({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: configDescriptor,
      layers: [layer],
    }),
    { tag: 'big' },
  )
  const rss = {
    'polyship (idle)': await peakRssMiB(process.execPath, [self, 'idle']),
    polyship: await peakRssMiB(process.execPath, [
      self,
      'push',
      big,
      'big',
      `${registry.host}/bench/big-polyship`,
    ]),
    crane: await peakRssMiB(CRANE, ['push', '--insecure', big, `${registry.host}/bench/big-crane:big`]),
    skopeo: await peakRssMiB('skopeo', [
      'copy',
      '--dest-tls-verify=false',
      `oci:${big}:big`,
      `docker://${registry.host}/bench/big-skopeo:big`,
    ]),
  }
  console.log('\npeak RSS pushing one 1 GiB layer (fresh repository each)')
  for (const [name, mib] of Object.entries(rss)) {
    const ratio = name.startsWith('polyship') ? '' : `  peer/polyship = ${(mib / rss.polyship).toFixed(2)}`
    console.log(`  ${name.padEnd(16)} ${mib.toFixed(0).padStart(6)} MiB${ratio}`)
  }
} finally {
  await registry.stop()
  await rm(work, { recursive: true, force: true })
}
