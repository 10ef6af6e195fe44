import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync } from 'node:fs'
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type BuiltImage, buildImage, publishImage } from '@polyship/container'
import {
  cachedPypiWheels,
  type DebianBase,
  debianBase,
  type PythonIndex,
  startPythonIndex,
  writeTestSdist,
  writeTestWheel,
} from '@polyship/container/testing'
import type { Artifact, ImageConfig, Platform } from '@polyship/core'
import { LayoutStore, RegistryClient } from '@polyship/oci'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AMD64, ARM64, EPOCH, makeProject, readJson, run, temps, unpack, wheelArtifact } from './helpers.ts'

const EXAMPLE = join(import.meta.dirname, '../../../examples/fastjson-py')
const CACHE = process.env.POLYSHIP_CACHE ?? join(process.env.HOME ?? '', '.cache', 'polyship')
const MATURIN = join(CACHE, 'venv', 'bin', 'maturin')
const CARGO_TARGET = join(CACHE, 'cargo-target', 'container-tests')
const QEMU = '/usr/bin/qemu-aarch64-static'
/** Debian's layout: its python3.11 reads /usr/local/lib/python3.11/dist-packages (pip's place on Debian). */
const DEBIAN_PYTHON = {
  version: '3.11',
  interpreter: '/usr/bin/python3.11',
  sitePackages: '/usr/local/lib/python3.11/dist-packages',
  manylinux: '2_36',
}
const dirs = temps()
const client = new RegistryClient()
const env = {
  ...process.env,
  SOURCE_DATE_EPOCH: EPOCH,
  UV_CACHE_DIR: join(CACHE, 'uv-cache', 'container-tests'),
}
let work: string
let debian: DebianBase
let index: PythonIndex
let greet: Artifact
let fastjson: Artifact

/** The demo app: a console script that uses six (pure Python) and markupsafe (compiled for each arch). */
const GREET = `import platform, six, markupsafe
from markupsafe import _speedups
__version__ = "1.0.0"
def main():
    print("greet", six.PY3, markupsafe.escape("<b>"), platform.machine())
`

beforeAll(async () => {
  work = await dirs.make('python-image')
  debian = await debianBase({ packages: ['python3'], architectures: ['amd64', 'arm64'] })
  const real = await cachedPypiWheels({
    requirements: ['six==1.17.0', 'six==1.16.0', 'markupsafe==3.0.2'],
    platforms: ['manylinux2014_x86_64', 'manylinux2014_aarch64'],
    pythonVersion: '3.11',
  })
  const made = join(work, 'made')
  const local = [
    await writeTestSdist(made, 'onlysdist', '1.0'),
    // compiled for x86_64 only: unresolvable for arm64
    await writeTestWheel(made, {
      name: 'amd64only',
      version: '1.0',
      files: { 'amd64only/__init__.py': '' },
      tag: 'cp311-cp311-manylinux_2_17_x86_64',
    }),
  ]
  index = await startPythonIndex(join(work, 'index'), [...real, ...local])
  greet = await appWheel(join(work, 'app'), GREET)

  const source = join(work, 'fastjson-py')
  await cp(EXAMPLE, source, { recursive: true, filter: (path) => !path.includes('/target') })
  run(
    MATURIN,
    ['build', '--release', '--out', join(work, 'wheels'), '--manifest-path', join(source, 'Cargo.toml')],
    { ...env, CARGO_TARGET_DIR: CARGO_TARGET },
  )
  const [file] = await readdir(join(work, 'wheels'))
  fastjson = await wheelArtifact(join(work, 'wheels', file!))
})

afterAll(async () => {
  client.close()
  await index?.stop()
  await dirs.cleanup()
})

async function appWheel(
  dir: string,
  code: string,
  options: { requires?: string[]; requiresPython?: string } = {},
) {
  const path = await writeTestWheel(dir, {
    name: 'greet',
    version: '1.0.0',
    files: { 'greet/__init__.py': code },
    requires: options.requires ?? ['six>=1.16', 'markupsafe>=2', 'pytest>=7 ; extra == "test"'],
    requiresPython: options.requiresPython ?? '>=3.9',
    scripts: { greet: 'greet:main' },
  })
  return { ...(await wheelArtifact(path)), project: 'greet', version: '1.0.0' }
}

function greetImage(overrides: Partial<ImageConfig> = {}): ImageConfig {
  return {
    base: debian.reference,
    platforms: ['linux/amd64', 'linux/arm64'],
    entrypoint: ['greet'],
    python: { ...DEBIAN_PYTHON, index: index.url },
    ...overrides,
  }
}

async function build(name: string, image: ImageConfig, artifacts: Artifact[]): Promise<BuiltImage> {
  const project = await makeProject(join(work, 'projects', name), image, { name, version: '1.0.0' })
  return buildImage({ project, artifacts }, { env, client, tmpDir: await tmp(name) })
}

async function tmp(name: string): Promise<string> {
  const dir = join(work, 'tmp', name)
  await mkdir(dir, { recursive: true })
  return dir
}

async function publish(image: BuiltImage, name: string): Promise<string> {
  const layout = join(work, 'published', name)
  try {
    await publishImage(image, new LayoutStore(layout), { tags: [{ tag: '1.0.0', moving: false }] })
  } finally {
    await image.dispose()
  }
  return `oci:${layout}:1.0.0`
}

interface ConfigBlob {
  config: { User: string; Entrypoint: string[]; Healthcheck?: { Test: string[] } }
  rootfs: { diff_ids: string[] }
  history: { created_by: string }[]
}

async function configOf(reference: string, platform: Platform): Promise<ConfigBlob> {
  const layout = reference.slice('oci:'.length, reference.lastIndexOf(':'))
  const inspect = run('skopeo', [
    '--override-arch',
    platform.architecture,
    'inspect',
    '--config',
    '--raw',
    reference,
  ])
  expect(existsSync(layout)).toBe(true)
  return JSON.parse(inspect) as ConfigBlob
}

/** Runs argv inside the unpacked rootfs as nonroot 65532, as the image's user would (`qemu` first for arm64). */
function inChroot(rootfs: string, argv: readonly string[], input?: string) {
  return spawnSync('chroot', ['--userspec=65532:65532', rootfs, ...argv], {
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  })
}

/** The health check's command (exec form after `CMD`). */
function healthArgv(config: ConfigBlob): string[] {
  const test = config.config.Healthcheck?.Test ?? []
  expect(test[0]).toBe('CMD')
  return test.slice(1)
}

const qemuReason = existsSync(QEMU)
  ? undefined
  : `${QEMU} is not installed (Debian's qemu-user-static; tools/test-env.sh installs it)`

describe('Python images with dependencies, on a Debian-built Python base (uv resolves per platform)', () => {
  let reference: string
  let amd64Root: string

  it('installs greet and its dependencies for linux/amd64 and linux/arm64: dependencies in their own layer below the wheel, non-root, import health check, OCI annotations', async () => {
    const image = await build('greet', greetImage(), [greet])
    // what the SBOM will list beside the wheel: the dependencies uv resolved, per platform
    expect(image.packages).toEqual(
      expect.arrayContaining([
        { ecosystem: 'pypi', name: 'six', version: '1.17.0', platform: 'linux/amd64' },
        { ecosystem: 'pypi', name: 'markupsafe', version: '3.0.2', platform: 'linux/arm64' },
      ]),
    )
    expect(image.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`)).toEqual([
      'linux/amd64',
      'linux/arm64',
    ])
    expect(image.annotations).toMatchObject({
      'org.opencontainers.image.version': '1.0.0',
      'org.opencontainers.image.base.name': debian.reference,
    })
    reference = await publish(image, 'greet')
    for (const platform of [AMD64, ARM64]) {
      const config = await configOf(reference, platform)
      expect(config.config.User).toBe('65532:65532')
      expect(config.config.Entrypoint).toEqual(['greet'])
      expect(healthArgv(config)).toEqual(['/usr/bin/python3.11', '-c', 'import greet'])
      const ours = config.history.slice(-2).map((h) => h.created_by)
      expect(ours[0]).toMatch(
        /^polyship: Python dependencies \(linux\/(amd64|arm64)\) into \/usr\/local\/lib\/python3\.11\/dist-packages$/,
      )
      expect(ours[1]).toMatch(/^polyship: wheel greet-1\.0\.0-py3-none-any\.whl/)
    }
    const manifest = await readJson<{ annotations: Record<string, string> }>(
      join(work, 'published', 'greet', 'blobs', 'sha256', image.manifests[0]!.descriptor.digest.slice(7)),
    )
    expect(Object.keys(manifest.annotations)).toEqual(
      expect.arrayContaining([
        'org.opencontainers.image.created',
        'org.opencontainers.image.version',
        'org.opencontainers.image.title',
        'org.opencontainers.image.base.digest',
      ]),
    )
  })

  it('linux/amd64 unpacked with umoci runs under chroot as 65532: the entry point and the health check', async () => {
    amd64Root = unpack(reference, join(work, 'run-amd64'), AMD64)
    const config = await configOf(reference, AMD64)
    const entry = inChroot(amd64Root, ['/usr/local/bin/greet'])
    expect(entry.stderr).toBe('')
    expect(entry.stdout.trim()).toBe('greet True &lt;b&gt; x86_64')
    const health = inChroot(amd64Root, healthArgv(config))
    expect({ status: health.status, stderr: health.stderr }).toEqual({ status: 0, stderr: '' })
    // the compiled markupsafe is the x86_64 build, and no bytecode was shipped
    const site = join(amd64Root, 'usr/local/lib/python3.11/dist-packages')
    expect((await readdir(join(site, 'markupsafe'))).filter((f) => f.endsWith('.so'))).toEqual([
      '_speedups.cpython-311-x86_64-linux-gnu.so',
    ])
    expect(execFileSync('find', [site, '-name', '__pycache__'], { encoding: 'utf8' })).toBe('')
  })

  it.skipIf(qemuReason !== undefined)(
    `linux/arm64 runs under qemu-user-static in a chroot: the entry point and the health check${qemuReason === undefined ? '' : ` (skipped: ${qemuReason})`}`,
    async () => {
      const root = unpack(reference, join(work, 'run-arm64'), ARM64)
      copyFileSync(QEMU, join(root, 'qemu-aarch64-static'))
      const config = await configOf(reference, ARM64)
      // qemu runs ELF files only: the launcher goes through the interpreter its #! line names
      const shebang = execFileSync('head', ['-1', join(root, 'usr/local/bin/greet')], { encoding: 'utf8' })
      expect(shebang.trim()).toBe('#!/usr/bin/python3.11')
      const entry = inChroot(root, ['/qemu-aarch64-static', '/usr/bin/python3.11', '/usr/local/bin/greet'])
      expect(entry.stdout.trim()).toBe('greet True &lt;b&gt; aarch64')
      const health = inChroot(root, ['/qemu-aarch64-static', ...healthArgv(config)])
      expect({ status: health.status, stderr: health.stderr }).toEqual({ status: 0, stderr: '' })
      const site = join(root, 'usr/local/lib/python3.11/dist-packages')
      expect((await readdir(join(site, 'markupsafe'))).filter((f) => f.endsWith('.so'))).toEqual([
        '_speedups.cpython-311-aarch64-linux-gnu.so',
      ])
    },
  )

  it('is reproducible (same digests twice), and a code change reuses the dependency layer', async () => {
    const first = await build('greet-again', greetImage(), [greet])
    const second = await build('greet-again', greetImage(), [greet])
    const changed = await build('greet-again', greetImage(), [
      await appWheel(join(work, 'app-changed'), `${GREET}# changed\n`),
    ])
    try {
      expect(second.index.descriptor.digest).toBe(first.index.descriptor.digest)
      expect(changed.index.descriptor.digest).not.toBe(first.index.descriptor.digest)
      const layers = (image: BuiltImage) =>
        image.manifests.map((m) =>
          (
            JSON.parse(Buffer.from(m.content.bytes).toString()) as { layers: { digest: string }[] }
          ).layers.map((l) => l.digest),
        )
      const [before, after] = [layers(first), layers(changed)]
      for (const [i, list] of before.entries()) {
        // base, dependencies: the same; the wheel's layer: new
        expect(after[i]!.slice(0, -1)).toEqual(list.slice(0, -1))
        expect(after[i]!.at(-1)).not.toBe(list.at(-1))
      }
    } finally {
      await Promise.all([first.dispose(), second.dispose(), changed.dispose()])
    }
  })

  it('honours the constraints file: six pinned to 1.16.0 though the index has 1.17.0', async () => {
    const project = join(work, 'projects', 'greet-constrained')
    await mkdir(project, { recursive: true })
    await writeFile(join(project, 'constraints.txt'), 'six==1.16.0\nmarkupsafe==3.0.2\n')
    const image = await build(
      'greet-constrained',
      greetImage({
        platforms: ['linux/amd64'],
        python: { ...DEBIAN_PYTHON, index: index.url, constraints: 'constraints.txt' },
      }),
      [greet],
    )
    const root = unpack(await publish(image, 'greet-constrained'), join(work, 'run-constrained'), AMD64)
    const site = join(root, 'usr/local/lib/python3.11/dist-packages')
    expect(
      (await readdir(site))
        .filter((f) => f.endsWith('.dist-info'))
        .map((f) => f.toLowerCase())
        .sort(),
    ).toEqual(['greet-1.0.0.dist-info', 'markupsafe-3.0.2.dist-info', 'six-1.16.0.dist-info'])
    expect(inChroot(root, ['/usr/local/bin/greet']).stdout.trim()).toBe('greet True &lt;b&gt; x86_64')
  })

  it('resolves a sibling package the same release built (releaseWheels) before any index has it, as a meta package needs', async () => {
    const sibling = await writeTestWheel(join(work, 'sibling'), {
      name: 'greet-sibling',
      version: '2.0.0',
      files: { 'greet_sibling/__init__.py': 'NAME = "sibling"\n' },
    })
    const app = await appWheel(join(work, 'app-with-sibling'), `${GREET}import greet_sibling\n`, {
      requires: ['six>=1.16', 'markupsafe>=2', 'greet-sibling==2.0.0'],
    })
    const project = await makeProject(
      join(work, 'projects', 'greet-sibling'),
      greetImage({ platforms: ['linux/amd64'] }),
      {
        name: 'greet-sibling-app',
        version: '1.0.0',
      },
    )
    const image = await buildImage(
      { project, artifacts: [app], releaseWheels: [sibling] },
      { env, client, tmpDir: await tmp('greet-sibling') },
    )
    const root = unpack(await publish(image, 'greet-sibling'), join(work, 'run-sibling'), AMD64)
    const site = join(root, 'usr/local/lib/python3.11/dist-packages')
    expect((await readdir(site)).map((f) => f.toLowerCase())).toContain('greet_sibling-2.0.0.dist-info')
    expect(inChroot(root, ['/usr/local/bin/greet']).stdout.trim()).toBe('greet True &lt;b&gt; x86_64')
    // without the release's wheels, the index alone cannot resolve it
    const error = await buildImage(
      { project, artifacts: [app] },
      { env, client, tmpDir: await tmp('greet-sibling-2') },
    ).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    )
    expect(error?.code).toBe('CONTAINER_DEPENDENCY_UNRESOLVABLE')
    expect(error?.message).toContain('greet-sibling')
  })

  it('the fastjson example image (PyO3 wheel) on the Debian base: entry point and health check under chroot as 65532', async () => {
    const example = await readJson<{ polyship: { image: ImageConfig } }>(join(EXAMPLE, 'package.json'))
    const image = await build(
      'fastjson',
      {
        ...example.polyship.image,
        base: 'python',
        python: { ...DEBIAN_PYTHON, base: debian.reference, index: index.url },
      },
      [fastjson],
    )
    const reference = await publish(image, 'fastjson')
    const config = await configOf(reference, AMD64)
    expect(config.config.User).toBe('65532')
    expect(healthArgv(config)).toEqual(['/usr/bin/python3.11', '-c', 'import fastjson'])
    // fastjson has no run-time dependencies: no dependency layer, uv never runs
    expect(config.history.at(-1)!.created_by).toMatch(/^polyship: wheel fastjson-0\.1\.0-/)
    expect(config.history.some((h) => h.created_by.includes('Python dependencies'))).toBe(false)
    const root = unpack(reference, join(work, 'run-fastjson'), AMD64)
    const entry = inChroot(root, ['/usr/local/bin/fastjson'], '{ "a" : [1, 2] }\n')
    expect({ status: entry.status, stdout: entry.stdout.trim() }).toEqual({
      status: 0,
      stdout: '{"a":[1,2]}',
    })
    const health = inChroot(root, healthArgv(config))
    expect({ status: health.status, stderr: health.stderr }).toEqual({ status: 0, stderr: '' })
  })
})

describe('Python images: bad input is a coded error naming project, platform and package, and nothing is published', () => {
  async function failure(name: string, image: ImageConfig, artifacts: Artifact[]) {
    const tmpDir = await tmp(name)
    let caught: unknown
    try {
      const built = await build(name, image, artifacts)
      await built.dispose()
    } catch (error) {
      caught = error
    }
    expect(caught).toBeDefined()
    // nothing to publish and nothing left behind
    expect(await readdir(tmpDir)).toEqual([])
    expect(existsSync(join(work, 'published', name))).toBe(false)
    return caught as { code: string; message: string; hint?: string }
  }

  it('a dependency with only an sdist: CONTAINER_DEPENDENCY_SDIST_ONLY', async () => {
    const wheel = await appWheel(join(work, 'bad-sdist'), GREET, { requires: ['onlysdist'] })
    const error = await failure('bad-sdist', greetImage({ platforms: ['linux/amd64'] }), [wheel])
    expect(error.code).toBe('CONTAINER_DEPENDENCY_SDIST_ONLY')
    expect(error.message).toMatch(
      /bad-sdist: dependency onlysdist \(of greet 1\.0\.0\) has only a source distribution for linux\/amd64/,
    )
  })

  it('a dependency with wheels for another architecture only: CONTAINER_DEPENDENCY_UNRESOLVABLE for linux/arm64', async () => {
    const wheel = await appWheel(join(work, 'bad-arch'), GREET, { requires: ['amd64only'] })
    const error = await failure('bad-arch', greetImage(), [wheel])
    expect(error.code).toBe('CONTAINER_DEPENDENCY_UNRESOLVABLE')
    expect(error.message).toMatch(
      /bad-arch: the dependencies of greet 1\.0\.0 cannot be resolved for linux\/arm64 \(package amd64only\)/,
    )
  })

  it('a dependency missing from the index: CONTAINER_DEPENDENCY_UNRESOLVABLE naming it', async () => {
    const wheel = await appWheel(join(work, 'bad-missing'), GREET, { requires: ['nosuchpackage>=1'] })
    const error = await failure('bad-missing', greetImage({ platforms: ['linux/amd64'] }), [wheel])
    expect(error.code).toBe('CONTAINER_DEPENDENCY_UNRESOLVABLE')
    expect(error.message).toMatch(/linux\/amd64 \(package nosuchpackage\)/)
  })

  it('a wheel that needs a newer Python than the base has: CONTAINER_PYTHON_INCOMPATIBLE', async () => {
    const wheel = await appWheel(join(work, 'bad-python'), GREET, { requiresPython: '>=3.12' })
    const error = await failure('bad-python', greetImage(), [wheel])
    expect(error.code).toBe('CONTAINER_PYTHON_INCOMPATIBLE')
    expect(error.message).toMatch(
      /bad-python: greet-1\.0\.0-py3-none-any\.whl requires Python >=3\.12, but the linux\/amd64 image's Python is 3\.11/,
    )
  })

  it('a base without the configured interpreter (it has python3.11, the image wants 3.12): CONTAINER_PYTHON_MISSING', async () => {
    const wheel = await appWheel(join(work, 'bad-interpreter'), GREET, { requires: ['six'] })
    const error = await failure(
      'bad-interpreter',
      greetImage({ python: { version: '3.12', index: index.url } }),
      [wheel],
    )
    expect(error.code).toBe('CONTAINER_PYTHON_MISSING')
    expect(error.message).toMatch(
      /bad-interpreter: the linux\/amd64 image has no \/usr\/local\/bin\/python3\.12 .*; the base has \/usr\/bin\/python3\.11/,
    )
  })
})
