/**
 * Python image with dependencies, polyship vs a seed-004-style multi-stage Dockerfile built by
 * buildah (no daemon), in the same run, on the same Debian-built Python base and the same
 * loopback pypiserver:
 *  - polyship: the app wheel + six + markupsafe (compiled) resolved by uv for the platform,
 *    two layers over the base, published to an OCI layout.
 *  - buildah: stage 1 `pip wheel` (app + dependencies into /wheels), stage 2 `pip install
 *    --no-index --find-links` of those wheels, USER 65532, HEALTHCHECK import, ENTRYPOINT;
 *    `buildah bud --isolation chroot --storage-driver vfs`, then `buildah push` to an OCI layout.
 *    Its bases are the same Debian layout plus python3-pip (stage 2 needs pip to install).
 * Both for linux/amd64 (buildah's RUN cannot run arm64 here: no binfmt); polyship's 2-platform
 * build is timed too. Prints medians, the ratio, and the size of each image (compressed layers,
 * base included, and the part each adds above its base).
 *   tools/run node bench/python-image.ts [runs=3]
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildImage, publishImage } from '../packages/container/src/index.ts'
import {
  cachedPypiWheels,
  debianBase,
  startPythonIndex,
  writeTestWheel,
} from '../packages/container/src/testing/index.ts'
import { digestFile, type ImageConfig, type Project } from '../packages/core/src/index.ts'
import { LayoutStore, RegistryClient } from '../packages/oci/src/index.ts'
import { compare, report, sh } from './harness.ts'

const runs = Number(process.argv[2] ?? 3)
const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' }
const work = await mkdtemp(join(tmpdir(), 'polyship-bench-python-image-'))
const client = new RegistryClient()
const python = await debianBase({ packages: ['python3'], architectures: ['amd64', 'arm64'] })
const withPip = await debianBase({ packages: ['python3', 'python3-pip'], architectures: ['amd64'] })
const real = await cachedPypiWheels({
  requirements: ['six==1.17.0', 'markupsafe==3.0.2'],
  platforms: ['manylinux2014_x86_64', 'manylinux2014_aarch64'],
  pythonVersion: '3.11',
})
const index = await startPythonIndex(join(work, 'index'), real)
const storage = join(work, 'buildah')
try {
  const root = join(work, 'greet')
  const wheelPath = await writeTestWheel(root, {
    name: 'greet',
    version: '1.0.0',
    files: {
      'greet/__init__.py':
        'import six, markupsafe\n__version__ = "1.0.0"\ndef main():\n    print("greet", six.PY3, markupsafe.escape("<b>"))\n',
    },
    requires: ['six>=1.16', 'markupsafe>=2'],
    requiresPython: '>=3.9',
    scripts: { greet: 'greet:main' },
  })
  const wheelName = wheelPath.split('/').pop()!
  const image = (platforms: string[]): ImageConfig => ({
    base: python.reference,
    platforms,
    entrypoint: ['greet'],
    python: {
      version: '3.11',
      interpreter: '/usr/bin/python3.11',
      sitePackages: '/usr/local/lib/python3.11/dist-packages',
      manylinux: '2_36',
      index: index.url,
    },
  })
  const project = (platforms: string[]): Project => ({
    name: 'greet',
    version: '1.0.0',
    root,
    dir: 'greet',
    manifestPath: join(root, 'package.json'),
    config: { image: image(platforms) } as Project['config'],
    dependsOn: [],
  })
  const artifact = {
    kind: 'wheel' as const,
    name: wheelName,
    project: 'greet',
    version: '1.0.0',
    path: wheelPath,
    ...(await digestFile(wheelPath)),
  }
  const polyship = (platforms: string[], out: string) => async () => {
    await rm(out, { recursive: true, force: true })
    const built = await buildImage(
      { project: project(platforms), artifacts: [artifact] },
      { env: { ...env, UV_CACHE_DIR: join(work, 'uv-cache') }, client },
    )
    try {
      await publishImage(built, new LayoutStore(out), { tags: [{ tag: '1.0.0', moving: false }] })
    } finally {
      await built.dispose()
    }
  }

  // buildah reads the base from its own storage: pull the layout once, outside the timing.
  const buildahArgs = [
    '--storage-driver',
    'vfs',
    '--root',
    join(storage, 'root'),
    '--runroot',
    join(storage, 'run'),
  ]
  await sh('skopeo', [
    'copy',
    '--quiet',
    withPip.reference,
    `containers-storage:[vfs@${join(storage, 'root')}+${join(storage, 'run')}]localhost/python-pip:base`,
  ])
  const context = join(work, 'context')
  await mkdir(context, { recursive: true })
  await writeFile(join(context, wheelName), await readFile(wheelPath))
  await writeFile(
    join(context, 'Dockerfile'),
    `# seed 004: builder stage makes the wheels, runtime stage pip-installs them, import health check, non-root
# (exec forms: the Debian base has no shell)
FROM localhost/python-pip:base AS builder
USER 0
COPY ${wheelName} /dist/
RUN ["python3", "-m", "pip", "wheel", "--no-cache-dir", "--only-binary=:all:", "--index-url", "${index.url}", "--wheel-dir", "/wheels", "/dist/${wheelName}"]

FROM localhost/python-pip:base
USER 0
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels ["python3", "-m", "pip", "install", "--no-cache-dir", "--break-system-packages", "--no-index", "--find-links", "/wheels", "greet"]
USER 65532:65532
HEALTHCHECK CMD ["python3", "-c", "import greet"]
ENTRYPOINT ["greet"]
`,
  )
  const buildah = (out: string) => async () => {
    await rm(out, { recursive: true, force: true })
    await sh('buildah', [
      ...buildahArgs,
      'bud',
      '--isolation',
      'chroot',
      '--format',
      'oci',
      '--layers=false',
      '--no-cache',
      '--timestamp',
      '1700000000',
      '--platform',
      'linux/amd64',
      '-t',
      'greet:1.0.0',
      context,
    ])
    await sh('buildah', [...buildahArgs, 'push', '--quiet', 'greet:1.0.0', `oci:${out}:1.0.0`])
  }
  const polyshipOut = join(work, 'out-polyship')
  const buildahOut = join(work, 'out-buildah')
  const results = await compare(
    [
      { name: 'polyship (linux/amd64)', run: polyship(['linux/amd64'], polyshipOut) },
      { name: 'buildah bud multi-stage (amd64)', run: buildah(buildahOut) },
      {
        name: 'polyship (amd64 + arm64)',
        run: polyship(['linux/amd64', 'linux/arm64'], join(work, 'out-polyship-2')),
      },
    ],
    runs,
  )
  report(
    'Python image with dependencies (app wheel + six + markupsafe), Debian python3.11 base, loopback index',
    results,
  )
  const [ours, theirs] = [await sizes(polyshipOut), await sizes(buildahOut)]
  const mib = (n: number) =>
    n < 1048576 ? `${(n / 1024).toFixed(0)} KiB` : `${(n / 1048576).toFixed(1)} MiB`
  console.log(
    `\n  image size, compressed layers: polyship ${mib(ours.total)} (${mib(ours.top)} above its base, ${ours.layers} layers); buildah ${mib(theirs.total)} (${mib(theirs.top)} above its base, ${theirs.layers} layers); base alone ${mib(ours.total - ours.top)} (python3) / ${mib(theirs.total - theirs.top)} (python3 + pip)`,
  )
} finally {
  client.close()
  await index.stop()
  await sh('buildah', [
    '--storage-driver',
    'vfs',
    '--root',
    join(storage, 'root'),
    '--runroot',
    join(storage, 'run'),
    'rm',
    '--all',
  ]).catch(() => {})
  await rm(work, { recursive: true, force: true })
}

/** The amd64 image's compressed layer bytes, all of them and those above the base (its first layer). */
async function sizes(layout: string): Promise<{ total: number; top: number; layers: number }> {
  const blob = async (digest: string) =>
    JSON.parse(await readFile(join(layout, 'blobs', 'sha256', digest.slice(7)), 'utf8'))
  const indexJson = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'))
  let manifest = await blob(indexJson.manifests[0].digest)
  if (manifest.manifests !== undefined) {
    const entry = manifest.manifests.find(
      (m: { platform: { architecture: string } }) => m.platform.architecture === 'amd64',
    )
    manifest = await blob(entry.digest)
  }
  const layerSizes = (manifest.layers as { size: number }[]).map((l) => l.size)
  const total = layerSizes.reduce((a, b) => a + b, 0)
  return { total, top: total - layerSizes[0]!, layers: layerSizes.length }
}
