import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { collectingReporter } from '@polyship/core'
import { followPythonRequirement, type VersioningError, versionWorkspace } from '@polyship/versioning'
import { describe, expect, it } from 'vitest'
import { addChangeset, changedFiles, commitAll, repoRoot, tempWorkspace } from './workspace.ts'

const changesetsConfig = await readFile(join(repoRoot, '.changeset', 'config.json'), 'utf8')
const manifest = (name: string, dependencies: readonly string[] = []) =>
  `${JSON.stringify(
    {
      name,
      version: '1.4.0',
      private: true,
      dependencies: Object.fromEntries(dependencies.map((d) => [d, 'workspace:*'])),
      polyship: { wheel: {} },
    },
    null,
    2,
  )}\n`
const buildSystem = (requires: string, backend: string) =>
  `[build-system]\nrequires = ["${requires}"]\nbuild-backend = "${backend}"\n`

async function versioned(files: Record<string, string>, releases: Record<string, string>) {
  const root = await tempWorkspace({
    'package.json': '{ "name": "ws", "version": "0.0.0", "private": true }\n',
    'pnpm-workspace.yaml': 'packages:\n  - p/*\n',
    '.changeset/config.json': changesetsConfig,
    ...files,
  })
  await addChangeset(root, 'change', releases, 'A change')
  await commitAll(root, 'changeset')
  const reporter = collectingReporter()
  const result = await versionWorkspace(root, { reporter }).catch((error: unknown) => error)
  const text = (file: string) => readFile(join(root, file), 'utf8')
  return { root, result, reporter, text }
}

describe('pyproject.toml: the version goes where the backend reads it', () => {
  it('hatch __about__.py, setuptools attr (also re-exported from _version.py), pdm file, flit module, poetry tool.poetry.version; formatting kept', async () => {
    const { text, root } = await versioned(
      {
        'p/hatch/package.json': manifest('acme-hatch'),
        'p/hatch/pyproject.toml': `${buildSystem('hatchling', 'hatchling.build')}
[project]
name = "acme-hatch"
dynamic = ["version"]

[tool.hatch.version]
path = "src/acme_hatch/__about__.py"
`,
        'p/hatch/src/acme_hatch/__about__.py': '# SPDX-License-Identifier: MIT\n__version__ = "1.4.0"\n',
        'p/st/package.json': manifest('acme-st'),
        'p/st/pyproject.toml': `${buildSystem('setuptools', 'setuptools.build_meta')}
[project]
name = "acme-st"
dynamic = ["version"]

[tool.setuptools.dynamic]
version = { attr = "acme_st.about.VERSION" }
`,
        'p/st/src/acme_st/about.py': "VERSION: str = '1.4.0'  # keep in step\nOTHER = '1.4.0'\n",
        'p/pdm/package.json': manifest('acme-pdm'),
        'p/pdm/pyproject.toml': `${buildSystem('pdm-backend', 'pdm.backend')}
[project]
name = "acme-pdm"
dynamic = ["version"]

[tool.pdm.version]
source = "file"
path = "acme_pdm/__init__.py"
`,
        'p/pdm/acme_pdm/__init__.py': '"""pdm."""\n__version__ = "1.4.0"\n',
        'p/flit/package.json': manifest('acme-flit'),
        'p/flit/pyproject.toml': `${buildSystem('flit_core', 'flit_core.buildapi')}
[project]
name = "acme-flit"
dynamic = ["version", "description"]
`,
        'p/flit/src/acme_flit/__init__.py': '"""flit."""\n\n__version__ = "1.4.0"\n',
        'p/re/package.json': manifest('acme-re'),
        'p/re/pyproject.toml': `${buildSystem('setuptools', 'setuptools.build_meta')}
[project]
name = "acme-re"
dynamic = ["version"]

[tool.setuptools.dynamic]
version = { attr = "acme_re.__version__" }
`,
        'p/re/src/acme_re/__init__.py': 'from ._version import __version__\n',
        'p/re/src/acme_re/_version.py': '__version__ = "1.4.0"\n',
        'p/poetry/package.json': manifest('acme-poetry'),
        'p/poetry/pyproject.toml': `${buildSystem('poetry-core', 'poetry.core.masonry.api')}
[tool.poetry]
name = "acme-poetry"
version = '1.4.0'  # polyship writes this
`,
      },
      {
        'acme-hatch': 'minor',
        'acme-st': 'minor',
        'acme-pdm': 'minor',
        'acme-flit': 'minor',
        'acme-poetry': 'minor',
        'acme-re': 'minor',
      },
    )
    expect(await text('p/hatch/src/acme_hatch/__about__.py')).toBe(
      '# SPDX-License-Identifier: MIT\n__version__ = "1.5.0"\n',
    )
    expect(await text('p/st/src/acme_st/about.py')).toBe(
      "VERSION: str = '1.5.0'  # keep in step\nOTHER = '1.4.0'\n",
    )
    expect(await text('p/pdm/acme_pdm/__init__.py')).toBe('"""pdm."""\n__version__ = "1.5.0"\n')
    expect(await text('p/flit/src/acme_flit/__init__.py')).toBe('"""flit."""\n\n__version__ = "1.5.0"\n')
    // a module that re-exports its version from _version.py: the version is written there
    expect(await text('p/re/src/acme_re/__init__.py')).toBe('from ._version import __version__\n')
    expect(await text('p/re/src/acme_re/_version.py')).toBe('__version__ = "1.5.0"\n')
    expect(await text('p/poetry/pyproject.toml')).toContain("version = '1.5.0'  # polyship writes this\n")
    expect((await changedFiles(root)).filter((f) => f.endsWith('pyproject.toml'))).toEqual([
      'M p/poetry/pyproject.toml',
    ])
  })

  it('a VCS-derived version (hatch-vcs) changes no file; the build pretends it', async () => {
    const { root, result } = await versioned(
      {
        'p/vcs/package.json': manifest('acme-vcs'),
        'p/vcs/pyproject.toml': `${buildSystem('hatchling', 'hatchling.build')}
[project]
name = "acme-vcs"
dynamic = ["version"]

[tool.hatch.version]
source = "vcs"
`,
      },
      { 'acme-vcs': 'patch' },
    )
    expect(result).toMatchObject({ status: 'versioned' })
    expect(
      (await changedFiles(root)).filter((f) => !f.includes('package.json') && !f.includes('CHANGELOG')),
    ).toEqual(['D .changeset/change.md'])
  })

  it('a version file that does not exist stops the run before anything is written', async () => {
    const { root, result } = await versioned(
      {
        'p/hatch/package.json': manifest('acme-hatch'),
        'p/hatch/pyproject.toml': `${buildSystem('hatchling', 'hatchling.build')}
[project]
name = "acme-hatch"
dynamic = ["version"]

[tool.hatch.version]
path = "src/acme_hatch/__about__.py"
`,
      },
      { 'acme-hatch': 'minor' },
    )
    const error = result as VersioningError
    expect([error.code, error.message]).toEqual([
      'VERSION_MANIFEST_INVALID',
      'p/hatch/pyproject.toml: tool.hatch.version.path reads the version from src/acme_hatch/__about__.py, which does not exist',
    ])
    expect(await changedFiles(root)).toEqual([])
  })
})

describe('pins between sibling Python packages', () => {
  const project = (name: string, dependencies: readonly string[], optional = '') =>
    `${buildSystem('hatchling', 'hatchling.build')}
[project]
name = "${name}"
version = "1.4.0"
dependencies = [ # siblings are pinned by polyship version
${dependencies.map((d) => `  ${d},`).join('\n')}
]
${optional}`

  it('a meta package released in the same run pins exactly what was released; ranges that still admit it stay', async () => {
    const { text, reporter, result } = await versioned(
      {
        'p/utils/package.json': manifest('acme-utils'),
        'p/utils/pyproject.toml': project('acme-utils', ['"typing-extensions>=4"']),
        'p/plugin-a/package.json': manifest('acme-plugin-a', ['acme-utils']),
        'p/plugin-a/pyproject.toml': project('acme-plugin-a', ['"acme_utils>=1.0"']),
        'p/plugins-all/package.json': manifest('acme-plugins-all', ['acme-utils', 'acme-plugin-a']),
        'p/plugins-all/pyproject.toml': project(
          'acme-plugins-all',
          [
            '"acme-utils==1.4.0"',
            `'acme-plugin-a[fast] ~= 1.4.0; python_version >= "3.9"'`,
            '"typing-extensions==4.12.2"',
          ],
          '\n[project.optional-dependencies]\ndev = ["Acme.Utils===1.4.0"]\n',
        ),
      },
      { 'acme-utils': 'major', 'acme-plugin-a': 'minor' },
    )
    expect(result).toMatchObject({ status: 'versioned' })
    expect(await text('p/plugins-all/pyproject.toml')).toBe(
      project(
        'acme-plugins-all',
        [
          '"acme-utils==2.0.0"',
          `'acme-plugin-a[fast] ~= 1.5.0; python_version >= "3.9"'`,
          '"typing-extensions==4.12.2"',
        ],
        '\n[project.optional-dependencies]\ndev = ["Acme.Utils===2.0.0"]\n',
      ).replace('version = "1.4.0"', 'version = "1.4.1"'),
    )
    expect(await text('p/plugin-a/pyproject.toml')).toContain('"acme_utils>=1.0",')
    expect(reporter.events.filter((e) => e.type === 'log' && e.level === 'warn')).toEqual([])
  })

  it('warns about a pin it cannot retarget, and about an unreleased dependent whose pin goes stale', async () => {
    const { text, reporter } = await versioned(
      {
        'p/utils/package.json': manifest('acme-utils'),
        'p/utils/pyproject.toml': project('acme-utils', []),
        'p/ranged/package.json': manifest('acme-ranged', ['acme-utils']),
        'p/ranged/pyproject.toml': project('acme-ranged', ['"acme-utils>=1.4,<2"']),
        'p/stale/package.json': manifest('acme-stale'),
        'p/stale/pyproject.toml': project('acme-stale', ['"acme-utils==1.4.0"']),
      },
      { 'acme-utils': 'major' },
    )
    expect(await text('p/ranged/pyproject.toml')).toContain('"acme-utils>=1.4,<2",')
    expect(await text('p/stale/pyproject.toml')).toContain('"acme-utils==1.4.0",')
    const warnings = reporter.events.flatMap((e) =>
      e.type === 'log' && e.level === 'warn' ? [e.message] : [],
    )
    expect(warnings).toEqual([
      'p/ranged/pyproject.toml project.dependencies: "acme-utils>=1.4,<2" does not admit acme-utils 2.0.0, which is released now; polyship retargets only single ==, >=, ~= and === pins, so update it by hand',
      'p/stale/pyproject.toml project.dependencies: "acme-utils==1.4.0" does not admit acme-utils 2.0.0, but acme-stale is not released: add "acme-utils": "workspace:*" to its package.json dependencies so it is released along',
    ])
  })

  it('followPythonRequirement: PEP 440 operators', () => {
    const cases: [string, string, string | undefined][] = [
      ['acme==1.2.0', '1.3.0', 'acme==1.3.0'],
      ['acme == 1.2.0', '1.2.0', 'acme == 1.2.0'],
      ['acme==1.2.*', '1.2.5', 'acme==1.2.*'],
      ['acme==1.2.*', '1.3.0', 'acme==1.3.*'],
      ['acme>=1.0', '2.0.0', 'acme>=1.0'],
      ['acme>=1.0', '2.0.0rc1', 'acme>=2.0.0rc1'],
      ['acme~=1.2', '1.9.0', 'acme~=1.2'],
      ['acme~=1.2', '2.0.0', 'acme~=2.0'],
      ['acme~=1.2.0', '1.3.0', 'acme~=1.3.0'],
      ['acme>=1.0,<2', '1.5.0', 'acme>=1.0,<2'],
      ['acme>=1.0,<2', '2.0.0', undefined],
      ['acme!=1.3.0', '1.3.0', undefined],
      ['acme', '9.0.0', 'acme'],
      ['acme[cli]==1.0.0; python_version>"3.8"', '1.1.0', 'acme[cli]==1.1.0; python_version>"3.8"'],
      ['acme @ https://example.invalid/acme.whl', '1.1.0', undefined],
      ['acme==1.0.0', '1.0.0.dev2', 'acme==1.0.0.dev2'],
    ]
    expect(cases.map(([req, version]) => followPythonRequirement(req, version))).toEqual(
      cases.map((c) => c[2]),
    )
  })
})
