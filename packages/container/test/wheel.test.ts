import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildImage, publishImage } from '@polyship/container'
import { type Artifact, collectingReporter, type ImageConfig } from '@polyship/core'
import { LayoutStore, RegistryClient } from '@polyship/oci'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { busyboxLayout, codeOf, EPOCH, makeProject, run, temps, unpack, wheelArtifact } from './helpers.ts'

const EXAMPLE = join(import.meta.dirname, '../../../examples/fastjson-py')
const CACHE = process.env.POLYSHIP_CACHE ?? join(process.env.HOME ?? '', '.cache', 'polyship')
const MATURIN = join(CACHE, 'venv', 'bin', 'maturin')
/** Cargo's target dir outlives the run, so the crates the wheel links are compiled once per machine, not per run. */
const CARGO_TARGET = join(CACHE, 'cargo-target', 'container-tests')
const SITE = '/usr/local/lib/python3.11/site-packages'
const dirs = temps()
const client = new RegistryClient()
const env = { ...process.env, SOURCE_DATE_EPOCH: EPOCH }
let work: string
let wheel: Artifact
let base: string

beforeAll(async () => {
  work = await dirs.make('wheel')
  const source = join(work, 'fastjson-py')
  await cp(EXAMPLE, source, { recursive: true, filter: (path) => !path.includes('/target') })
  run(
    MATURIN,
    ['build', '--release', '--out', join(work, 'wheels'), '--manifest-path', join(source, 'Cargo.toml')],
    {
      ...env,
      CARGO_TARGET_DIR: CARGO_TARGET,
    },
  )
  const [file] = await readdir(join(work, 'wheels'))
  wheel = await wheelArtifact(join(work, 'wheels', file!))
  await busyboxLayout(join(work, 'bases', 'busybox'), { tag: '3.11' })
  base = `oci:${join(work, 'bases', 'busybox')}:3.11`
})

afterAll(async () => {
  client.close()
  await dirs.cleanup()
})

/** The example's image config with the python base pointed at a local layout (no registry is reachable here). */
function fastjsonImage(pythonBase: string): ImageConfig {
  return {
    base: 'python',
    python: { base: pythonBase, version: '3.11' },
    platforms: ['linux/amd64'],
    entrypoint: ['fastjson'],
    env: { PATH: '/usr/local/bin:/bin' },
    user: '65532',
    healthcheck: {
      test: ['python3.11', '-c', 'import fastjson; assert fastjson.__version__'],
      interval: '30s',
    },
  }
}

describe('a Python image from the fastjson wheel', () => {
  it('installs the wheel into site-packages without pip: importable, entry point runs, RECORD checks out', async () => {
    const project = await makeProject(join(work, 'project'), fastjsonImage(base), {
      name: 'fastjson',
      version: '0.1.0',
    })
    const reporter = collectingReporter()
    const image = await buildImage({ project, artifacts: [wheel] }, { env, client, reporter })
    const layout = join(work, 'published')
    try {
      await publishImage(image, new LayoutStore(layout), { tags: [{ tag: '0.1.0', moving: false }] })
    } finally {
      await image.dispose()
    }
    // honest about the stand-in base: the wheel is installed, but there is no interpreter to run it
    expect(reporter.events).toContainEqual(
      expect.objectContaining({
        type: 'log',
        level: 'warn',
        message: expect.stringMatching(/no \/usr\/local\/bin\/python3\.11/),
      }),
    )
    const manifest = JSON.parse(run('skopeo', ['inspect', '--raw', `oci:${layout}:0.1.0`]))
    expect(manifest.annotations['org.opencontainers.image.base.name']).toBe(base)

    const rootfs = unpack(`oci:${layout}:0.1.0`, join(work, 'unpacked'))
    const site = join(rootfs, SITE)
    const python = (args: string[], input?: string) =>
      run(
        'sh',
        ['-c', `${input === undefined ? '' : `printf '%s' '${input}' | `}python3 "$@"`, 'python3', ...args],
        { ...process.env, PYTHONPATH: site },
      )
    expect(python(['-c', 'import fastjson; print(fastjson.__version__)']).trim()).toBe('0.1.0')

    const launcher = join(rootfs, 'usr/local/bin/fastjson')
    expect(((await stat(launcher)).mode & 0o777).toString(8)).toBe('755')
    expect((await readFile(launcher, 'utf8')).split('\n')[0]).toBe('#!/usr/local/bin/python3.11')
    expect(python([launcher], '{ "a" : [1, 2] }').trim()).toBe('{"a":[1,2]}')

    expect(await readFile(join(site, 'fastjson-0.1.0.dist-info', 'INSTALLER'), 'utf8')).toBe('polyship\n')
    const listed = JSON.parse(
      run('python3', [
        '-m',
        'pip',
        'list',
        '--path',
        site,
        '--format',
        'json',
        '--disable-pip-version-check',
      ]),
    )
    expect(listed).toEqual([{ name: 'fastjson', version: '0.1.0' }])
    // every RECORD row names an installed file with its sha256 and size
    const check = `
import base64, csv, hashlib, os, sys
site = sys.argv[1]
rows = list(csv.reader(open(os.path.join(site, 'fastjson-0.1.0.dist-info', 'RECORD'))))
for path, digest, size in rows:
    full = os.path.normpath(os.path.join(site, path))
    data = open(full, 'rb').read()
    if digest:
        algo, value = digest.split('=', 1)
        assert base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b'=').decode() == value, path
        assert int(size) == len(data), path
print(len(rows), sorted(p for p, _, _ in rows if p.startswith('..')))`
    expect(run('python3', ['-c', check, site]).trim()).toMatch(/^\d+ \['\.\.\/\.\.\/\.\.\/bin\/fastjson'\]$/)
  })

  it('is reproducible, and refuses a wheel whose tags do not fit the image', async () => {
    const project = await makeProject(join(work, 'again'), fastjsonImage(base), {
      name: 'fastjson',
      version: '0.1.0',
    })
    const [a, b] = await Promise.all(
      [1, 2].map(() => buildImage({ project, artifacts: [wheel] }, { env, client })),
    )
    expect(b!.index.descriptor.digest).toBe(a!.index.descriptor.digest)
    await Promise.all([a!.dispose(), b!.dispose()])

    const arm = await makeProject(join(work, 'arm'), {
      ...fastjsonImage('scratch'),
      platforms: ['linux/arm64'],
    })
    const error = buildImage({ project: arm, artifacts: [wheel] }, { env, client })
    await expect(error).rejects.toThrow(
      /no wheel of fastjson fits the linux\/arm64 image with CPython 3\.11: fastjson-0\.1\.0-cp39-abi3-/,
    )
    expect(await codeOf(error)).toBe('CONTAINER_WHEEL_INCOMPATIBLE')
    const old = await makeProject(join(work, 'py38'), {
      ...fastjsonImage('scratch'),
      python: { base: 'scratch', version: '3.8' },
    })
    expect(await codeOf(buildImage({ project: old, artifacts: [wheel] }, { env, client }))).toBe(
      'CONTAINER_WHEEL_INCOMPATIBLE',
    )
  })

  it('builds offline with the release pointing the python base at scratch, and says the image cannot run', async () => {
    const { python: _configured, ...config } = fastjsonImage(base)
    const project = await makeProject(join(work, 'offline'), config)
    const reporter = collectingReporter()
    const image = await buildImage(
      { project, artifacts: [wheel], bases: { python: 'scratch' } },
      { env, client, reporter },
    )
    await image.dispose()
    expect(reporter.events.some((e) => e.type === 'log' && e.level === 'warn')).toBe(true)
  })
})

/** A wheel made with Python's zipfile, the way build backends write them; `tamper` breaks it on purpose. */
async function syntheticWheel(
  dir: string,
  tamper: 'none' | 'hash' | 'escape' | 'no-record' = 'none',
): Promise<Artifact> {
  const script = `
import base64, hashlib, sys, zipfile
out, tamper = sys.argv[1], sys.argv[2]
files = {
  'demo_tool/__init__.py': 'def main():\\n    print("demo main")\\n    return 0\\n',
  'demo_tool/app.py': 'class App:\\n    @staticmethod\\n    def run():\\n        print("gui run")\\n',
  'demo_tool-1.0.data/scripts/demo-script': '#!python\\nprint("script ran")\\n',
  'demo_tool-1.0.data/data/share/demo/readme.txt': 'data file\\n',
  'demo_tool-1.0.data/headers/demo.h': '#define DEMO 1\\n',
  'demo_tool-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\\nName: demo-tool\\nVersion: 1.0\\n',
  'demo_tool-1.0.dist-info/WHEEL': 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n',
  'demo_tool-1.0.dist-info/entry_points.txt': '[console_scripts]\\ndemo = demo_tool:main\\n\\n[gui_scripts]\\ndemo-gui = demo_tool.app:App.run\\n',
}
if tamper == 'escape':
  files['../evil.py'] = 'print("owned")\\n'
record = ''
for name, text in files.items():
  data = text.encode()
  digest = base64.urlsafe_b64encode(hashlib.sha256(data if tamper != 'hash' or 'app.py' not in name else b'other').digest()).rstrip(b'=').decode()
  record += f'{name},sha256={digest},{len(data)}\\n'
record += 'demo_tool-1.0.dist-info/RECORD,,\\n'
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
  for name, text in files.items():
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o100755 if 'scripts' in name else 0o100644) << 16
    z.writestr(info, text)
  if tamper != 'no-record':
    z.writestr('demo_tool-1.0.dist-info/RECORD', record)
`
  const path = join(dir, tamper, 'demo_tool-1.0-py3-none-any.whl')
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'make-wheel.py'), script)
  run('sh', [
    '-c',
    `mkdir -p "$(dirname "$1")" && python3 "$2" "$1" "$3"`,
    'sh',
    path,
    join(dir, 'make-wheel.py'),
    tamper,
  ])
  return wheelArtifact(path)
}

describe('the wheel spec, on a synthetic wheel', () => {
  it('puts .data schemes where they belong, rewrites #!python, writes console and gui launchers', async () => {
    const dir = join(work, 'synthetic')
    const demo = await syntheticWheel(dir)
    const project = await makeProject(join(dir, 'project'), {
      base: 'scratch',
      entrypoint: ['demo'],
      python: { version: '3.12' },
    })
    const image = await buildImage({ project, artifacts: [demo] }, { env, client })
    const layout = join(dir, 'oci')
    try {
      await publishImage(image, new LayoutStore(layout), { tags: [{ tag: 'v1', moving: false }] })
    } finally {
      await image.dispose()
    }
    const rootfs = unpack(`oci:${layout}:v1`, join(dir, 'unpacked'))
    const site = join(rootfs, 'usr/local/lib/python3.12/site-packages')
    expect(await readFile(join(rootfs, 'usr/local/bin/demo-script'), 'utf8')).toBe(
      '#!/usr/local/bin/python3.12\nprint("script ran")\n',
    )
    expect(await readFile(join(rootfs, 'usr/local/share/demo/readme.txt'), 'utf8')).toBe('data file\n')
    expect(await readFile(join(rootfs, 'usr/local/include/python3.12/demo_tool/demo.h'), 'utf8')).toBe(
      '#define DEMO 1\n',
    )
    const withSite = { ...process.env, PYTHONPATH: site }
    expect(run('python3', [join(rootfs, 'usr/local/bin/demo')], withSite)).toBe('demo main\n')
    expect(run('python3', [join(rootfs, 'usr/local/bin/demo-gui')], withSite)).toBe('gui run\n')
    const record = await readFile(join(site, 'demo_tool-1.0.dist-info/RECORD'), 'utf8')
    expect(record).toContain('../../../bin/demo-script,sha256=')
    expect(record).toContain('../../../include/python3.12/demo_tool/demo.h,sha256=')
    expect(record).toContain('demo_tool-1.0.dist-info/INSTALLER,sha256=')
    expect(record).toMatch(/^demo_tool-1\.0\.dist-info\/RECORD,,$/m)
  })

  it('refuses a file that fails its RECORD hash, a path that escapes, and a wheel without RECORD', async () => {
    const dir = join(work, 'broken')
    const project = await makeProject(join(dir, 'project'), { base: 'scratch', entrypoint: ['demo'] })
    const attempt = async (tamper: 'hash' | 'escape' | 'no-record') =>
      codeOf(buildImage({ project, artifacts: [await syntheticWheel(dir, tamper)] }, { env, client }))
    expect(await attempt('hash')).toBe('CONTAINER_WHEEL_INVALID')
    expect(await attempt('escape')).toBe('CONTAINER_PATH_ESCAPES')
    expect(await attempt('no-record')).toBe('CONTAINER_WHEEL_INVALID')
  })
})
