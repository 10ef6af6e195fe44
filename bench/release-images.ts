/**
 * Re-assembling a release's image from unchanged binaries (issue 18): `buildImage` of a
 * 2-platform image on the static base with a binary of SIZE MiB per platform, every layer
 * written (no cache) against every layer taken from the layer cache a release keeps in
 * dist/build/.layers (checked against its digest), interleaved, same run. The digests are
 * checked equal.
 *   tools/run node bench/release-images.ts [sizeMiB=16] [runs=5]
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Artifact, digestFile, type Platform, type Project, parseProjectManifest } from '@polyship/core'
import { buildImage } from '../packages/container/src/index.ts'
import { compare, report, writePayloadTree } from './harness.ts'

const sizeMiB = Number(process.argv[2] ?? 16)
const runs = Number(process.argv[3] ?? 5)
const work = await mkdtemp(join(tmpdir(), 'polyship-bench-images-'))
const platforms: Platform[] = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64' },
]
const artifacts: Artifact[] = []
for (const platform of platforms) {
  const dir = join(work, platform.architecture)
  writePayloadTree(dir, 'app', sizeMiB)
  await chmod(join(dir, 'app'), 0o755)
  const { digest, size } = await digestFile(join(dir, 'app'))
  artifacts.push({
    kind: 'binary',
    name: 'app',
    project: 'app',
    version: '1.0.0',
    platform,
    path: join(dir, 'app'),
    digest,
    size,
  })
}
const manifest = {
  name: 'app',
  version: '1.0.0',
  polyship: {
    image: { base: 'static', platforms: ['linux/amd64', 'linux/arm64'], entrypoint: ['/usr/local/bin/app'] },
  },
}
const parsed = parseProjectManifest(manifest, join(work, 'package.json'))
const project: Project = {
  name: parsed.name,
  version: parsed.version,
  root: work,
  dir: '.',
  manifestPath: join(work, 'package.json'),
  config: parsed.config,
  dependsOn: [],
}
const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' }
const cache = join(work, '.layers')
const digests = new Set<string>()
const assemble = async (layerCache?: string) => {
  const image = await buildImage(
    { project, artifacts },
    { env, tmpDir: work, ...(layerCache === undefined ? {} : { layerCache }) },
  )
  digests.add(image.index.descriptor.digest)
  await image.dispose()
}
await assemble(cache) // fills the cache
const results = await compare(
  [
    { name: 'layer cache hit (.layers)', run: () => assemble(cache) },
    { name: 'every layer written (no cache)', run: () => assemble() },
  ],
  runs,
)
report(
  `re-assemble a 2-platform image, ${sizeMiB} MiB binary per platform (ratio: no cache / cached)`,
  results,
)
if (digests.size !== 1) throw new Error(`digests differ: ${[...digests].join(', ')}`)
console.log(`  same index digest both ways: ${[...digests][0]}`)
await rm(work, { recursive: true, force: true })
