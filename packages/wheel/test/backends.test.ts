import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { collectingReporter } from '@polyship/core'
import { buildWheels, pipInstallCommand, publishWheels, readPythonProject } from '@polyship/wheel'
import { describe, expect, it } from 'vitest'
import { caught } from './helpers.ts'
import {
  flitProject,
  hatchProject,
  packageJson,
  pdmProject,
  poetryProject,
  pythonWorkspace,
  scikitBuildProject,
  setuptoolsProject,
} from './python-workspace.ts'
import { edit, editJson, projectIn } from './workspace.ts'

const EPOCH = 1_767_225_600 // 2026-01-01

/** Every path under `dir`, for comparing a tree before and after a build. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort()
}

describe('where each backend keeps its version (no build)', () => {
  const cases = [
    ['hatchling', hatchProject, 'packages/p/src/acme_p/__about__.py (tool.hatch.version.path)'],
    ['setuptools', setuptoolsProject, 'packages/p/src/acme_p/__init__.py (tool.setuptools.dynamic.version)'],
    ['flit-core', flitProject, "packages/p/acme_p/__init__.py (the acme_p module's __version__ (flit))"],
    ['pdm-backend', pdmProject, 'packages/p/src/acme_p/__init__.py (tool.pdm.version.path)'],
    ['poetry-core', poetryProject, 'packages/p/pyproject.toml tool.poetry.version'],
  ] as const
  for (const [backend, fixture, source] of cases) {
    it(`${backend}: reads the version from ${source.split(' ')[0]}`, async () => {
      const root = await pythonWorkspace(backend, { p: fixture('acme-p', '1.2.0') })
      const python = await readPythonProject(await projectIn(join(root, 'packages', 'p')))
      expect([python.backend, python.version, python.versionSource]).toEqual([
        backend,
        '1.2.0',
        join(root, source),
      ])
    })
  }

  it('setuptools: follows tool.setuptools.package-dir to the attr module', async () => {
    const files = setuptoolsProject('acme-p', '1.2.0')
    const root = await pythonWorkspace('pkgdir', {
      p: {
        'package.json': files['package.json']!,
        'pyproject.toml': `${files['pyproject.toml']}\n[tool.setuptools.package-dir]\n"" = "lib"\n`,
        'lib/acme_p.py': '__version__ = "1.2.0"\n',
      },
    })
    expect((await readPythonProject(await projectIn(join(root, 'packages', 'p')))).versionSource).toBe(
      `${join(root, 'packages/p/lib/acme_p.py')} (tool.setuptools.dynamic.version)`,
    )
  })

  it('follows a re-export (`from ._version import __version__`) to the file that assigns it', async () => {
    const files = setuptoolsProject('acme-p', '1.2.0')
    const root = await pythonWorkspace('reexport', {
      p: {
        'package.json': files['package.json']!,
        'pyproject.toml': files['pyproject.toml']!,
        'src/acme_p/__init__.py': '"""acme."""\nfrom ._version import __version__ as __version__\n',
        'src/acme_p/_version.py': "__version__ = '1.2.0'\n",
      },
    })
    expect((await readPythonProject(await projectIn(join(root, 'packages', 'p')))).versionSource).toBe(
      `${join(root, 'packages/p/src/acme_p/_version.py')} (tool.setuptools.dynamic.version)`,
    )
  })

  it('a VCS-derived version is pretended through the environment, never read from git', async () => {
    const root = await pythonWorkspace('vcs', {
      p: {
        'package.json': packageJson('acme-p', '1.2.0-rc.1'),
        'pyproject.toml':
          '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "acme-p"\ndynamic = ["version"]\n\n[tool.hatch.version]\nsource = "vcs"\n',
      },
    })
    const python = await readPythonProject(await projectIn(join(root, 'packages', 'p')))
    expect([python.version, python.buildEnv]).toEqual([
      '1.2.0rc1',
      { SETUPTOOLS_SCM_PRETEND_VERSION: '1.2.0rc1', SETUPTOOLS_SCM_PRETEND_VERSION_FOR_ACME_P: '1.2.0rc1' },
    ])
  })

  it('refuses a dynamic version it cannot find, naming the pyproject', async () => {
    const root = await pythonWorkspace('nover', { p: hatchProject('acme-p', '1.2.0') })
    const pyproject = join(root, 'packages/p/pyproject.toml')
    await edit(pyproject, (t) => t.replace(/\[tool\.hatch\.version\]\npath = .*\n/, ''))
    const error = await caught(readPythonProject(await projectIn(join(root, 'packages', 'p'))))
    expect([error.code, error.message]).toEqual([
      'WHEEL_VERSION_MISSING',
      `${pyproject} has no version polyship can find: tool.hatch.version has source "regex" and no path`,
    ])
  })

  it('refuses a version file that disagrees with the release, naming the file', async () => {
    const root = await pythonWorkspace('stale', { p: hatchProject('acme-p', '1.2.0') })
    await editJson(join(root, 'packages/p/package.json'), (p) => {
      p.version = '1.3.0'
    })
    const error = await caught(readPythonProject(await projectIn(join(root, 'packages', 'p'))))
    expect([error.code, error.message]).toEqual([
      'WHEEL_VERSION_MISMATCH',
      `${join(root, 'packages/p/src/acme_p/__about__.py')} (tool.hatch.version.path) is 1.2.0 but ${join(root, 'packages/p/package.json')} releases 1.3.0 (1.3.0 in Python terms)`,
    ])
  })
})

describe('uv build of every backend', () => {
  it('hatchling: wheel and sdist, byte-identical when built twice, tree untouched', async () => {
    const root = await pythonWorkspace('hatch', {
      p: hatchProject('acme-p', '1.2.0', ['typing-extensions>=4']),
    })
    const dir = join(root, 'packages', 'p')
    const before = await tree(dir)
    const build = await buildWheels(await projectIn(dir), {
      outDir: join(root, 'out'),
      sourceDateEpoch: EPOCH,
    })
    expect(build.frontend).toBe('uv')
    expect(build.toolchains.uv).toMatch(/^0\.13\.\d+$/)
    expect(build.distributions.map((d) => [d.filename, d.version, d.tags])).toEqual([
      ['acme_p-1.2.0-py3-none-any.whl', '1.2.0', ['py3-none-any']],
      ['acme_p-1.2.0.tar.gz', '1.2.0', []],
    ])
    expect(build.distributions[0]!.metadata.requiresDist).toEqual(['typing-extensions>=4'])
    expect(build.reproducibility).toEqual({
      status: 'reproducible',
      files: ['acme_p-1.2.0-py3-none-any.whl', 'acme_p-1.2.0.tar.gz'],
    })
    expect(await tree(dir)).toEqual(before)
    expect((await readdir(join(root, 'out'))).sort()).toEqual([
      'acme_p-1.2.0-py3-none-any.whl',
      'acme_p-1.2.0.tar.gz',
    ])
  })

  it('setuptools: the wheel is reproducible, the sdist is not and the result says so; egg-info is not left behind', async () => {
    const root = await pythonWorkspace('setuptools', { p: setuptoolsProject('acme-p', '1.2.0') })
    const dir = join(root, 'packages', 'p')
    const before = await tree(dir)
    const reporter = collectingReporter()
    const build = await buildWheels(await projectIn(dir), {
      outDir: join(root, 'out'),
      sourceDateEpoch: EPOCH,
      reporter,
    })
    expect(build.distributions.map((d) => d.filename)).toEqual([
      'acme_p-1.2.0-py3-none-any.whl',
      'acme_p-1.2.0.tar.gz',
    ])
    expect(await tree(dir)).toEqual(before)
    const r = build.reproducibility
    if (r.status !== 'not-reproducible') throw new Error(`expected not-reproducible, got ${r.status}`)
    expect(r.files.map((f) => f.filename)).toEqual(['acme_p-1.2.0.tar.gz'])
    expect(r.reason).toContain('setuptools writes the sdist')
    expect(reporter.events).toContainEqual({ type: 'log', level: 'warn', message: `acme-p: ${r.reason}` })
  })

  it('flit-core, pdm-backend, poetry-core: built at the version their own files carry; reproducibility as observed', async () => {
    const root = await pythonWorkspace('others', {
      f: flitProject('acme-f', '2.0.0'),
      d: pdmProject('acme-d', '2.0.0'),
      o: poetryProject('acme-o', '2.0.0'),
    })
    for (const [dir, name, tag] of [
      ['f', 'acme_f', 'py2.py3'],
      ['d', 'acme_d', 'py2.py3'],
      ['o', 'acme_o', 'py2.py3'],
    ] as const) {
      const build = await buildWheels(await projectIn(join(root, 'packages', dir)), {
        outDir: join(root, 'out', dir),
        sourceDateEpoch: EPOCH,
      })
      expect(build.distributions.map((d) => [d.filename, d.version])).toEqual([
        [`${name}-2.0.0-${tag}-none-any.whl`, '2.0.0'],
        [`${name}-2.0.0.tar.gz`, '2.0.0'],
      ])
      const r = build.reproducibility
      if (dir === 'd') {
        // pdm-backend's sdist entries honour SOURCE_DATE_EPOCH, its gzip header carries the build
        // second: two builds within one second match, across a second boundary only the header differs
        if (r.status === 'not-reproducible') {
          expect(r).toMatchObject({ files: [{ filename: 'acme_d-2.0.0.tar.gz' }] })
          expect(r.reason).toContain('only the gzip header differs')
        } else expect(r.status).toBe('reproducible')
      } else expect([dir, r.status]).toEqual([dir, 'reproducible'])
    }
  })

  it('scikit-build-core: a compiled C extension, platform-tagged, reproducible, importable', async () => {
    const root = await pythonWorkspace('skbuild', { p: scikitBuildProject('acme-native', '0.3.0') })
    const dir = join(root, 'packages', 'p')
    const before = await tree(dir)
    const build = await buildWheels(await projectIn(dir), {
      outDir: join(root, 'out'),
      sourceDateEpoch: EPOCH,
    })
    const [wheel, sdist] = build.distributions
    expect(wheel!.tags).toEqual([expect.stringMatching(/^cp3\d+-cp3\d+-linux_[a-z0-9_]+$/)])
    expect([sdist!.filename, build.reproducibility.status]).toEqual([
      'acme_native-0.3.0.tar.gz',
      'reproducible',
    ])
    expect(await tree(dir)).toEqual(before)
    const target = join(root, 'site')
    const bin = join(process.env.POLYSHIP_CACHE ?? join(process.env.HOME!, '.cache/polyship'), 'venv/bin')
    execFileSync(join(bin, 'pip'), ['install', '--quiet', '--no-deps', '--target', target, wheel!.path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out = execFileSync(
      join(bin, 'python'),
      ['-c', 'import acme_native; print(acme_native.add(2, 3))'],
      {
        env: { ...process.env, PYTHONPATH: target },
        encoding: 'utf8',
      },
    )
    expect(out).toBe('5\n')
  })

  it('setuptools-scm without git: the release version is pretended', async () => {
    const root = await pythonWorkspace('scm', {
      p: {
        'package.json': packageJson('acme-p', '3.1.0'),
        'pyproject.toml':
          '[build-system]\nrequires = ["setuptools==84.2.1", "setuptools-scm==9.2.2"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "acme-p"\ndynamic = ["version"]\n\n[tool.setuptools_scm]\n',
        'src/acme_p/__init__.py': '',
      },
    })
    const build = await buildWheels(await projectIn(join(root, 'packages', 'p')), {
      outDir: join(root, 'out'),
      sourceDateEpoch: EPOCH,
      checkReproducible: false,
    })
    expect(build.distributions.map((d) => d.version)).toEqual(['3.1.0', '3.1.0'])
  })

  it('a failing backend is WHEEL_BUILD_FAILED with the tail of its output, and nothing is left in the output directory', async () => {
    const root = await pythonWorkspace('fails', { p: setuptoolsProject('acme-p', '1.2.0') })
    const dir = join(root, 'packages', 'p')
    await writeFile(join(dir, 'setup.py'), 'raise SystemExit("acme-p: this setup.py refuses to build")\n')
    const error = await caught(
      buildWheels(await projectIn(dir), { outDir: join(root, 'out'), sourceDateEpoch: EPOCH }),
    )
    expect(error.code).toBe('WHEEL_BUILD_FAILED')
    expect(error.message).toContain(
      `acme-p: setuptools.build_meta could not build ${join(dir, 'pyproject.toml')}`,
    )
    expect(error.message).toContain('this setup.py refuses to build')
    expect(await readdir(join(root, 'out'))).toEqual([])
  })

  it('says how to install uv when it is missing', async () => {
    const root = await pythonWorkspace('nouv', { p: hatchProject('acme-p', '1.2.0') })
    const error = await caught(
      buildWheels(await projectIn(join(root, 'packages', 'p')), {
        outDir: join(root, 'out'),
        env: { ...process.env, UV: 'uv-not-installed' },
      }),
    )
    expect([error.code, error.hint]).toEqual(['WHEEL_UV_MISSING', expect.stringContaining('pip install uv')])
  })
})

describe('the embedded simple index', () => {
  it('installs a package with a PyPI dependency with the command polyship prints', async () => {
    const root = await pythonWorkspace('index', {
      p: hatchProject('acme-needs-te', '1.0.0', ['typing-extensions>=4.0']),
    })
    const build = await buildWheels(await projectIn(join(root, 'packages', 'p')), {
      outDir: join(root, 'out'),
      sourceDateEpoch: EPOCH,
      checkReproducible: false,
    })
    await publishWheels(build.distributions, { type: 'simple-index', path: 'dist/pypi' }, { root })
    const [pip, ...args] = pipInstallCommand(join(root, 'dist', 'pypi'), 'acme-needs-te==1.0.0')
    expect(args.slice(0, 5)).toEqual([
      'install',
      '--index-url',
      `file://${join(root, 'dist', 'pypi', 'simple')}/`,
      '--extra-index-url',
      'https://pypi.org/simple',
    ])
    const target = await mkdtemp(join(tmpdir(), 'polyship-pip-target-'))
    try {
      execFileSync(
        join(process.env.POLYSHIP_CACHE ?? join(process.env.HOME!, '.cache/polyship'), 'venv/bin', pip!),
        [
          ...args.slice(0, 1),
          '--quiet',
          '--no-cache-dir',
          '--disable-pip-version-check',
          '--target',
          target,
          ...args.slice(1),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      const installed = (await readdir(target)).sort()
      expect(installed).toContain('acme_needs_te')
      expect(installed).toContain('typing_extensions.py')
      expect(await readFile(join(target, 'acme_needs_te', '__about__.py'), 'utf8')).toContain('1.0.0')
    } finally {
      await rm(target, { recursive: true, force: true })
    }
  })
})
