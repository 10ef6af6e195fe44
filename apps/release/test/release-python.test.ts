import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { generateSigningKey } from '@polyship/attest'
import { run } from '@polyship/core'
import { inspectDistribution, pipInstallCommand } from '@polyship/wheel'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { polyship } from './workspace.ts'

/**
 * Seed 003's shape: pure-Python packages with different backends and a meta package that
 * only depends on its siblings, versioned by `polyship version` and released by
 * `polyship release` to the embedded simple index, then installed by pip with the
 * command polyship documents (the dependencies' index is PyPI).
 */

const REPO = join(import.meta.dirname, '..', '..', '..')
const pkg = (name: string, dependencies: readonly string[] = []) =>
  `${JSON.stringify(
    {
      name,
      version: '1.0.0',
      private: true,
      dependencies: Object.fromEntries(dependencies.map((d) => [d, 'workspace:*'])),
      polyship: { wheel: {} },
    },
    null,
    2,
  )}\n`

const FILES: Record<string, string> = {
  'package.json': '{ "name": "py-release-test", "version": "0.0.0", "private": true }\n',
  'pnpm-workspace.yaml': 'packages:\n  - packages/*\n',
  '.gitignore': 'dist/\n',
  'polyship.json': `${JSON.stringify({ repository: 'https://github.com/polyship/polyship' }, null, 2)}\n`,
  'packages/utils/package.json': pkg('acme-utils'),
  'packages/utils/pyproject.toml': `[build-system]
requires = ["hatchling==1.33.0"]
build-backend = "hatchling.build"

[project]
name = "acme-utils"
dynamic = ["version"]
requires-python = ">=3.9"
dependencies = ["typing-extensions>=4"]

[tool.hatch.version]
path = "src/acme_utils/__about__.py"
`,
  'packages/utils/src/acme_utils/__about__.py': '__version__ = "1.0.0"\n',
  'packages/utils/src/acme_utils/__init__.py':
    'from typing_extensions import Literal\n\nfrom .__about__ import __version__\n\nGREETING: Literal["hi"] = "hi"\n',
  'packages/plugin/package.json': pkg('acme-plugin', ['acme-utils']),
  'packages/plugin/pyproject.toml': `[build-system]
requires = ["setuptools==84.2.1"]
build-backend = "setuptools.build_meta"

[project]
name = "acme-plugin"
dynamic = ["version"]
requires-python = ">=3.9"
dependencies = ["acme-utils>=1.0"]

[tool.setuptools.dynamic]
version = { attr = "acme_plugin.__version__" }
`,
  'packages/plugin/src/acme_plugin/__init__.py':
    '__version__ = "1.0.0"\n\nfrom acme_utils import GREETING\n\n\ndef greet() -> str:\n    return GREETING + " from the plugin"\n',
  'packages/plugins-all/package.json': pkg('acme-plugins-all', ['acme-utils', 'acme-plugin']),
  'packages/plugins-all/pyproject.toml': `[build-system]
requires = ["hatchling==1.33.0"]
build-backend = "hatchling.build"

[project]
name = "acme-plugins-all"
version = "1.0.0"
description = "Installs every acme plugin"
requires-python = ">=3.9"
dependencies = [
  "acme-utils==1.0.0",
  "acme-plugin==1.0.0",
]

[tool.hatch.build.targets.wheel]
bypass-selection = true
`,
  '.changeset/add-greeting.md': '---\n"acme-utils": minor\n"acme-plugin": patch\n---\n\nA greeting\n',
}

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'polyship tests',
  GIT_AUTHOR_EMAIL: 'tests@polyship.invalid',
  GIT_COMMITTER_NAME: 'polyship tests',
  GIT_COMMITTER_EMAIL: 'tests@polyship.invalid',
  GIT_AUTHOR_DATE: '2026-01-02T03:04:05Z',
  GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z',
}
const git = (cwd: string, ...args: string[]) => run('git', args, { cwd, env: gitEnv })

let parent: string
let ws: { root: string; env: Record<string, string | undefined> }

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'polyship-release-python-'))
  const root = join(parent, 'repo')
  FILES['.changeset/config.json'] = await readFile(join(REPO, '.changeset', 'config.json'), 'utf8')
  for (const [path, content] of Object.entries(FILES)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), content)
  }
  await git(root, 'init', '-q', '-b', 'main')
  await git(root, 'add', '-A')
  await git(root, 'commit', '-q', '-m', 'init')
  const env: Record<string, string | undefined> = {}
  for (const [name, value] of Object.entries(process.env))
    if (!/TOKEN|^GITHUB_|^PYPI_|^POLYSHIP_|^ACTIONS_|^CI$/.test(name)) env[name] = value
  // CI never generates a key: the key a runner would hold, at the default path.
  await generateSigningKey(join(parent, 'config', 'polyship', 'cosign.key'))
  ws = { root, env: { ...env, XDG_CONFIG_HOME: join(parent, 'config'), CI: 'true' } }
})
afterAll(() => rm(parent, { recursive: true, force: true }))

describe('pure-Python packages and a meta package, one release', () => {
  it('polyship version writes each version file and the meta package pins the released siblings', async () => {
    const result = await polyship(['version'], ws)
    expect(result.code, result.stderr).toBe(0)
    const text = (file: string) => readFile(join(ws.root, 'packages', file), 'utf8')
    expect(await text('utils/src/acme_utils/__about__.py')).toBe('__version__ = "1.1.0"\n')
    expect(await text('plugin/src/acme_plugin/__init__.py')).toMatch(/^__version__ = "1\.0\.1"\n/)
    // a range that still admits 1.1.0 stays
    expect(await text('plugin/pyproject.toml')).toContain('dependencies = ["acme-utils>=1.0"]')
    const meta = await text('plugins-all/pyproject.toml')
    expect(meta).toContain('version = "1.0.1"')
    expect(meta).toContain('  "acme-utils==1.1.0",\n  "acme-plugin==1.0.1",\n')
    await git(ws.root, 'add', '-A')
    await git(ws.root, 'commit', '-q', '-m', 'version packages')
  })

  it('polyship release builds them with uv and publishes them to the embedded index', async () => {
    const result = await polyship(['release'], ws)
    expect(result.code, result.stderr).toBe(0)
    const simple = join(ws.root, 'dist', 'pypi', 'simple')
    expect((await readdir(simple)).filter((f) => f !== 'index.html').sort()).toEqual([
      'acme-plugin',
      'acme-plugins-all',
      'acme-utils',
    ])
    const metaWheel = join(simple, 'acme-plugins-all', 'acme_plugins_all-1.0.1-py3-none-any.whl')
    expect((await inspectDistribution(metaWheel)).metadata.requiresDist).toEqual([
      'acme-plugin==1.0.1',
      'acme-utils==1.1.0',
    ])
    // the tree is as committed: the setuptools build left no egg-info behind
    expect((await git(ws.root, 'status', '--porcelain')).stdout).toBe('')
  })

  it('pip installs the meta package, its siblings and their PyPI dependency with the documented command', async () => {
    const [pip, install, ...args] = pipInstallCommand(
      join(ws.root, 'dist', 'pypi'),
      'acme-plugins-all==1.0.1',
    )
    const target = join(parent, 'site')
    const venvBin = join(
      process.env.POLYSHIP_CACHE ?? join(process.env.HOME ?? '', '.cache', 'polyship'),
      'venv',
      'bin',
    )
    execFileSync(
      join(venvBin, pip!),
      [install!, '--quiet', '--no-cache-dir', '--disable-pip-version-check', '--target', target, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const out = execFileSync(
      join(venvBin, 'python'),
      [
        '-c',
        'import acme_plugin, acme_utils; print(acme_utils.__version__, acme_plugin.__version__, acme_plugin.greet())',
      ],
      { env: { ...process.env, PYTHONPATH: target }, encoding: 'utf8' },
    )
    expect(out).toBe('1.1.0 1.0.1 hi from the plugin\n')
    expect(await readdir(target)).toContain('typing_extensions.py')
  })
})
