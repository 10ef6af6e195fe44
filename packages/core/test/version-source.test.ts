import {
  findVersionInFile,
  locateVersionFile,
  pythonBackendOf,
  pythonVersionSource,
  replaceVersionInFile,
  vcsVersionEnv,
} from '@polyship/core'
import { describe, expect, it } from 'vitest'

const backend = (name: string | undefined, rest: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...(name === undefined ? {} : { 'build-system': { 'build-backend': name } }),
  ...rest,
})
const dynamic = { project: { name: 'acme-x', dynamic: ['version'] } }

describe('pythonVersionSource: where a pyproject keeps its version', () => {
  it('names the backend; none is setuptools (PEP 517 legacy)', () => {
    expect(
      [
        'maturin',
        'hatchling.build',
        'setuptools.build_meta:__legacy__',
        'pdm.backend',
        'poetry.core.masonry.api',
        'flit_core.buildapi',
        'scikit_build_core.build',
        'uv_build',
        'mesonpy',
        undefined,
      ].map((name) => pythonBackendOf(backend(name))),
    ).toEqual([
      'maturin',
      'hatchling',
      'setuptools',
      'pdm-backend',
      'poetry-core',
      'flit-core',
      'scikit-build-core',
      'uv-build',
      'other',
      'setuptools',
    ])
  })

  it('static, Cargo, and each backend file', () => {
    expect(pythonVersionSource({ project: { name: 'a', version: '1.0.0' } })).toEqual({
      kind: 'pyproject',
      field: ['project', 'version'],
      value: '1.0.0',
    })
    expect(
      pythonVersionSource(
        backend('maturin', { ...dynamic, tool: { maturin: { 'manifest-path': 'rs/Cargo.toml' } } }),
      ),
    ).toEqual({
      kind: 'cargo',
      manifestPath: 'rs/Cargo.toml',
    })
    expect(
      pythonVersionSource(
        backend('hatchling.build', {
          ...dynamic,
          tool: { hatch: { version: { path: 'a.py', pattern: 'V = "(?P<version>[^"]+)"' } } },
        }),
      ),
    ).toEqual({
      kind: 'file',
      field: 'tool.hatch.version.path',
      candidates: ['a.py'],
      syntax: { type: 'pattern', pattern: 'V = "(?P<version>[^"]+)"' },
    })
    expect(
      pythonVersionSource(
        backend('setuptools.build_meta', {
          ...dynamic,
          tool: {
            setuptools: {
              dynamic: { version: { attr: 'acme.core.__version__' } },
              'package-dir': { acme: 'lib/acme' },
            },
          },
        }),
      ),
    ).toMatchObject({ candidates: ['lib/acme/core/__init__.py', 'lib/acme/core.py'] })
    expect(
      pythonVersionSource(
        backend('setuptools.build_meta', {
          ...dynamic,
          tool: { setuptools: { dynamic: { version: { attr: 'acme.__version__' } } } },
        }),
      ),
    ).toMatchObject({ candidates: ['src/acme/__init__.py', 'src/acme.py', 'acme/__init__.py', 'acme.py'] })
    expect(
      pythonVersionSource(
        backend('setuptools.build_meta', {
          ...dynamic,
          tool: { setuptools: { dynamic: { version: { file: 'VERSION' } } } },
        }),
      ),
    ).toEqual({
      kind: 'file',
      field: 'tool.setuptools.dynamic.version',
      candidates: ['VERSION'],
      syntax: { type: 'plain' },
    })
    expect(
      pythonVersionSource(
        backend('scikit_build_core.build', {
          ...dynamic,
          tool: {
            'scikit-build': {
              metadata: {
                version: { provider: 'scikit_build_core.metadata.regex', input: 'src/x/__init__.py' },
              },
            },
          },
        }),
      ),
    ).toMatchObject({ kind: 'file', candidates: ['src/x/__init__.py'] })
    expect(
      pythonVersionSource(
        backend('flit_core.buildapi', { ...dynamic, tool: { flit: { module: { name: 'acme_mod' } } } }),
      ),
    ).toMatchObject({
      candidates: ['src/acme_mod/__init__.py', 'src/acme_mod.py', 'acme_mod/__init__.py', 'acme_mod.py'],
    })
  })

  it('VCS plugins, and what cannot be found', () => {
    const vcs = (doc: Record<string, unknown>) => {
      const source = pythonVersionSource(doc)
      return source.kind === 'vcs' ? source.tool : source.kind
    }
    expect([
      vcs(backend('setuptools.build_meta', { ...dynamic, tool: { setuptools_scm: {} } })),
      vcs(
        backend('setuptools.build_meta', {
          ...dynamic,
          'build-system': { requires: ['setuptools', 'setuptools-scm>=8'] },
        }),
      ),
      vcs(backend('hatchling.build', { ...dynamic, tool: { hatch: { version: { source: 'vcs' } } } })),
      vcs(backend('pdm.backend', { ...dynamic, tool: { pdm: { version: { source: 'scm' } } } })),
      vcs(
        backend('poetry.core.masonry.api', {
          ...dynamic,
          tool: { 'poetry-dynamic-versioning': { enable: true } },
        }),
      ),
      vcs(backend('mesonpy', dynamic)),
      vcs(backend('hatchling.build', { project: { name: 'a' } })),
      vcs({ project: { name: 'a', version: '1.0', dynamic: ['version'] } }),
    ]).toEqual([
      'setuptools-scm',
      'setuptools-scm',
      'hatch-vcs',
      'pdm-scm',
      'poetry-dynamic-versioning',
      'unknown',
      'unknown',
      'unknown',
    ])
    expect(vcsVersionEnv('pdm-scm', 'acme', '1.0.0')).toEqual({ PDM_BUILD_SCM_VERSION: '1.0.0' })
    expect(vcsVersionEnv('setuptools-scm', 'acme.x-y', '1.0.0')).toEqual({
      SETUPTOOLS_SCM_PRETEND_VERSION: '1.0.0',
      SETUPTOOLS_SCM_PRETEND_VERSION_FOR_ACME_X_Y: '1.0.0',
    })
  })
})

describe('version files', () => {
  const dunder = { type: 'assignment', variables: ['__version__', 'VERSION'] } as const
  it('finds and replaces the version, keeping everything around it', () => {
    const text = '"""Doc."""\n__all__ = ["x"]\n__version__: str = \'1.2.0\'  # bumped by polyship\n'
    expect(findVersionInFile(text, dunder)?.version).toBe('1.2.0')
    expect(replaceVersionInFile(text, dunder, '1.3.0')).toBe(
      '"""Doc."""\n__all__ = ["x"]\n__version__: str = \'1.3.0\'  # bumped by polyship\n',
    )
    expect(replaceVersionInFile('v1.2.0\n', { type: 'plain' }, '1.3.0')).toBe('v1.3.0\n')
    expect(
      replaceVersionInFile(
        'x = 1\nV = "1.2.0"\n',
        { type: 'pattern', pattern: '(?i)^v = "(?P<version>[^"]+)"' },
        '2.0.0',
      ),
    ).toBe('x = 1\nV = "2.0.0"\n')
    expect(findVersionInFile('version = get_version()\n', dunder)).toBeUndefined()
  })
})

describe('locateVersionFile', () => {
  const source = {
    kind: 'file',
    field: 'tool.setuptools.dynamic.version',
    candidates: ['src/acme/__init__.py', 'acme/__init__.py'],
    syntax: { type: 'assignment', variables: ['__version__'] },
  } as const
  const reader = (files: Record<string, string>) => async (file: string) => files[file]

  it('takes the first candidate that exists, and follows a re-export to _version.py', async () => {
    expect(
      await locateVersionFile(source, reader({ 'acme/__init__.py': '__version__ = "1.0.0"\n' })),
    ).toMatchObject({
      status: 'found',
      file: 'acme/__init__.py',
      span: { version: '1.0.0' },
    })
    expect(
      await locateVersionFile(
        source,
        reader({
          'src/acme/__init__.py': 'from ._version import (\n  __version__,\n)\n',
          'src/acme/_version.py': "__version__ = '2.0.0'\n",
        }),
      ),
    ).toMatchObject({ status: 'found', file: 'src/acme/_version.py', span: { version: '2.0.0' } })
    expect(await locateVersionFile(source, reader({ 'src/acme/__init__.py': 'import acme\n' }))).toEqual({
      status: 'no-version',
      file: 'src/acme/__init__.py',
    })
    expect(await locateVersionFile(source, reader({}))).toEqual({ status: 'missing' })
  })
})
