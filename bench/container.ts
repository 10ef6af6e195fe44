/**
 * Container benchmark, polyship vs crane in the same run:
 *  1. build and push the 2-platform time-server-go image (built-in static base + the Go
 *     binary per platform) to a loopback docker-registry, vs `crane append` per platform
 *     (+ `crane mutate` for platform, entrypoint and user, which append cannot set) and
 *     `crane index append`, from layer tarballs prepared in advance (crane's time excludes
 *     writing them; polyship's includes it).
 *  2. layer build throughput: polyship's writeLayer (tar + gzip -1 + diff_id + digest in one
 *     pass) vs `tar | gzip -1 | sha256sum` on the same tree.
 *   tools/run node bench/container.ts [layerMiB=256]
 */
import { execFileSync } from 'node:child_process'
import { closeSync, openSync, writeSync } from 'node:fs'
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  buildImage,
  imageTags,
  publishImage,
  staticBaseEntries,
  writeLayer,
} from '../packages/container/src/index.ts'
import {
  type Artifact,
  digestFile,
  type Project,
  parsePlatform,
  tarStream,
  treeEntries,
} from '../packages/core/src/index.ts'
import { RegistryClient } from '../packages/oci/src/index.ts'
import { startRegistry } from '../packages/oci/src/testing/index.ts'
import { compare, report, sh, writePayloadTree } from './harness.ts'

const layerMiB = Number(process.argv[2] ?? 256)
const crane = join(process.env.POLYSHIP_CACHE ?? join(homedir(), '.cache', 'polyship'), 'bin', 'crane')
const example = join(import.meta.dirname, '..', 'examples', 'time-server-go')
const platforms = ['linux/amd64', 'linux/arm64'].map((p) => parsePlatform(p))
const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' }

const work = await mkdtemp(join(tmpdir(), 'polyship-bench-container-'))
const registry = await startRegistry()
const client = new RegistryClient()
try {
  // The project and its binaries (built once, outside any timing).
  const root = join(work, 'time-server-go')
  await cp(example, root, { recursive: true })
  const artifacts: Artifact[] = []
  for (const platform of platforms) {
    const path = join(work, 'bin', platform.architecture, 'time-server-go')
    execFileSync(
      'go',
      ['build', '-trimpath', '-buildvcs=false', '-ldflags', '-X main.version=1.2.3', '-o', path, '.'],
      {
        cwd: root,
        env: {
          ...process.env,
          CGO_ENABLED: '0',
          GOOS: platform.os,
          GOARCH: platform.architecture,
          GOFLAGS: '-mod=mod',
        },
      },
    )
    artifacts.push({
      kind: 'binary',
      name: 'time-server-go',
      project: 'time-server-go',
      version: '1.2.3',
      platform,
      path,
      ...(await digestFile(path)),
    })
  }
  const project: Project = {
    name: 'time-server-go',
    version: '1.2.3',
    root,
    dir: 'time-server-go',
    manifestPath: join(root, 'package.json'),
    config: {
      image: {
        base: 'static',
        platforms: ['linux/amd64', 'linux/arm64'],
        entrypoint: ['/usr/local/bin/time-server-go'],
        ports: [8080],
        user: '65532',
      },
    },
    dependsOn: [],
  }

  // crane's inputs: the same layers as uncompressed tarballs (crane gzips them itself, level 1).
  const staticTar = join(work, 'crane', 'static.tar')
  await mkdir(join(work, 'crane'), { recursive: true })
  await writeStream(staticTar, tarStream(staticBaseEntries(), { mtime: 1_700_000_000 }))
  for (const artifact of artifacts) {
    await writeStream(
      join(work, 'crane', `${artifact.platform!.architecture}.tar`),
      tarStream(
        [{ type: 'file', path: 'usr/local/bin/time-server-go', source: artifact.path!, mode: 0o755 }],
        { mtime: 1_700_000_000 },
      ),
    )
  }

  let run = 0
  const polyship = (gzipLevel: number) => async () => {
    const image = await buildImage({ project, artifacts }, { env, client, gzipLevel })
    try {
      await publishImage(image, client.repository(`${registry.host}/bench/polyship-${run++}`), {
        tags: imageTags('1.2.3').tags,
      })
    } finally {
      await image.dispose()
    }
  }
  const craneRun = async () => {
    const repo = `${registry.host}/bench/crane-${run++}`
    const manifests: string[] = []
    for (const platform of platforms) {
      const ref = `${repo}:${platform.architecture}`
      await sh(crane, [
        'append',
        '--insecure',
        '--oci-empty-base',
        '-f',
        staticTar,
        '-f',
        join(work, 'crane', `${platform.architecture}.tar`),
        '-t',
        ref,
      ])
      await sh(crane, [
        'mutate',
        '--insecure',
        ref,
        '--set-platform',
        `linux/${platform.architecture}`,
        '--entrypoint',
        '/usr/local/bin/time-server-go',
        '--user',
        '65532',
        '--exposed-ports',
        '8080',
        '-t',
        ref,
      ])
      manifests.push(ref)
    }
    await sh(crane, [
      'index',
      'append',
      '--insecure',
      ...manifests.flatMap((m) => ['-m', m]),
      '-t',
      `${repo}:1.2.3`,
    ])
  }
  report(
    'build + push a 2-platform image (static base + Go binary, ~20 MiB of layers) to a loopback registry',
    await compare(
      [
        { name: 'polyship build+publish (gzip -6)', run: polyship(6) },
        { name: 'polyship build+publish (gzip -1)', run: polyship(1) },
        { name: 'crane append+mutate x2, index', run: craneRun },
      ],
      5,
    ),
  )

  // Layer throughput on one tree: half random, half text, like release payloads.
  const tree = join(work, 'tree')
  writePayloadTree(tree, 'payload.bin', layerMiB)
  const layers = join(work, 'layers')
  await mkdir(layers, { recursive: true })
  const throughput = await compare(
    [
      {
        name: 'polyship writeLayer (gzip -1)',
        run: async () => {
          const layer = await writeLayer(await treeEntries(tree), {
            dir: layers,
            mtime: 0,
            gzipLevel: 1,
            createdBy: 'bench',
          })
          await rm(layer.file)
        },
      },
      {
        name: 'tar | gzip -1 | sha256sum',
        run: () =>
          sh('sh', [
            '-c',
            `tar --sort=name --owner=0 --group=0 --mtime=@0 -C ${tree} -cf - . | gzip -1 | sha256sum > /dev/null`,
          ]),
      },
    ],
    3,
  )
  report(`layer of ${layerMiB} MiB`, throughput)
  for (const r of throughput)
    console.log(`  ${r.name.padEnd(32)} ${((layerMiB / r.medianMs) * 1000).toFixed(0)} MiB/s`)
} finally {
  client.close()
  await registry.stop()
  await rm(work, { recursive: true, force: true })
}

async function writeStream(file: string, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  const fd = openSync(file, 'w')
  try {
    for await (const c of chunks) writeSync(fd, c)
  } finally {
    closeSync(fd)
  }
}
