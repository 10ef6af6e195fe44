import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createNodes, createNodesV2 } from '@polyship/nx-plugin'
import { describe, expect, it } from 'vitest'

const repoRoot = join(import.meta.dirname, '..', '..', '..')
const manifests = [
  'examples/time-server-go/package.json',
  'examples/echo-server-rust/package.json',
  'examples/fastjson-py/package.json',
  'examples/charts/mcp-stack/package.json',
  'packages/core/package.json',
]

async function inferred() {
  const [, create] = createNodes
  const results = await create(manifests, {}, { workspaceRoot: repoRoot, nxJsonConfiguration: {} })
  return Object.fromEntries(results.flatMap(([, result]) => Object.entries(result.projects ?? {})))
}

describe('Nx plugin: targets inferred from the polyship field', () => {
  it('registers for every package.json, under both names Nx looks for', () => {
    expect(createNodes[0]).toBe('**/package.json')
    expect(createNodesV2).toBe(createNodes)
  })

  it('gives each example a build target (binaries, wheels) and a package target; ignores other packages', async () => {
    const projects = await inferred()
    expect(Object.keys(projects).sort()).toEqual([
      'examples/charts/mcp-stack',
      'examples/echo-server-rust',
      'examples/fastjson-py',
      'examples/time-server-go',
    ])
    expect(Object.keys(projects['examples/charts/mcp-stack']?.targets ?? {})).toEqual(['polyship-package'])
    expect(projects['examples/time-server-go']?.targets?.['polyship-build']).toMatchInlineSnapshot(`
      {
        "cache": true,
        "command": "polyship build --only time-server-go",
        "inputs": [
          "{projectRoot}/**/*.go",
          "{projectRoot}/go.mod",
          "{projectRoot}/go.sum",
          "{projectRoot}/vendor/modules.txt",
          "{workspaceRoot}/go.work",
          "{workspaceRoot}/go.work.sum",
          "{projectRoot}/package.json",
          "!{projectRoot}/**/*_test.go",
          {
            "runtime": "go env GOVERSION GOFLAGS GOAMD64 GOARM GOARM64 GO386 GOEXPERIMENT",
          },
          {
            "env": "GOFLAGS",
          },
          {
            "env": "GOAMD64",
          },
          {
            "env": "GOARM",
          },
          {
            "env": "GOARM64",
          },
          {
            "env": "GO386",
          },
          {
            "env": "GOEXPERIMENT",
          },
          {
            "env": "SOURCE_DATE_EPOCH",
          },
        ],
        "metadata": {
          "description": "Compile the binaries and wheels of this project",
          "technologies": [
            "polyship",
          ],
        },
        "outputs": [
          "{workspaceRoot}/dist/build/time-server-go",
        ],
      }
    `)
  })

  it('makes a chart package depend on the packages, and the sources, of the images it deploys', async () => {
    const chart = (await inferred())['examples/charts/mcp-stack']
    expect(chart?.targets?.['polyship-package']).toMatchInlineSnapshot(`
      {
        "cache": true,
        "command": "polyship package --only mcp-stack",
        "dependsOn": [
          {
            "projects": [
              "echo-server-rust",
              "time-server-go",
            ],
            "target": "polyship-package",
          },
        ],
        "inputs": [
          "polyship-sources",
          "{workspaceRoot}/polyship.json",
          {
            "input": "polyship-sources",
            "projects": [
              "echo-server-rust",
              "time-server-go",
            ],
          },
          {
            "env": "SOURCE_DATE_EPOCH",
          },
        ],
        "metadata": {
          "description": "Package archives, images and charts of this project",
          "technologies": [
            "polyship",
          ],
        },
        "outputs": [
          "{workspaceRoot}/dist/package/mcp-stack",
        ],
      }
    `)
    // README, LICENSE, templates, values: helm packages the whole chart directory.
    expect(chart?.namedInputs).toEqual({
      'polyship-sources': ['{projectRoot}/package.json', '{projectRoot}/**/*'],
    })
  })

  it('builds wheels from the whole Python project, as its sdist holds it, never from target/ or a virtualenv', async () => {
    const wheel = (await inferred())['examples/fastjson-py']
    expect(wheel?.namedInputs?.['polyship-sources']).toEqual([
      '{projectRoot}/**/*',
      '{projectRoot}/rust-toolchain.toml',
      '{projectRoot}/rust-toolchain',
      '{projectRoot}/.cargo/config.toml',
      '{projectRoot}/.cargo/config',
      '{projectRoot}/package.json',
      '!{projectRoot}/target/**/*',
      '!{projectRoot}/.venv/**/*',
      '!{projectRoot}/venv/**/*',
      '!{projectRoot}/build/**/*',
      '!{projectRoot}/dist/**/*',
      '!{projectRoot}/**/__pycache__/**/*',
      '!{projectRoot}/.pytest_cache/**/*',
      '!{projectRoot}/.mypy_cache/**/*',
      '!{projectRoot}/.ruff_cache/**/*',
    ])
    expect(wheel?.targets?.['polyship-build']?.inputs).toContainEqual({
      runtime: 'maturin --version 2>/dev/null || echo no maturin',
    })
    expect(wheel?.targets?.['polyship-package']?.dependsOn).toEqual(['polyship-build'])
  })

  it('a Go project inside a module, or a member crate of a Cargo workspace, takes the enclosing module`s files', async () => {
    const root = await mkdtemp(join(tmpdir(), 'polyship-nx-'))
    try {
      const files: Record<string, string> = {
        'mono/go.mod': 'module example.com/mono\n\ngo 1.22\n',
        'mono/cmd/podcli/package.json': JSON.stringify({
          name: 'podcli',
          version: '1.0.0',
          polyship: { binary: { toolchain: 'go' } },
        }),
        'mono/cmd/podcli/main.go': 'package main\n\nfunc main() {}\n',
        'crates/Cargo.toml': '[workspace]\nmembers = ["tool"]\n',
        'crates/tool/package.json': JSON.stringify({
          name: 'tool',
          version: '1.0.0',
          polyship: { binary: { toolchain: 'rust' } },
        }),
      }
      for (const [file, text] of Object.entries(files)) {
        await mkdir(join(root, dirname(file)), { recursive: true })
        await writeFile(join(root, file), text)
      }
      const [, create] = createNodes
      const results = await create(
        ['mono/cmd/podcli/package.json', 'crates/tool/package.json'],
        {},
        { workspaceRoot: root, nxJsonConfiguration: {} },
      )
      const projects = Object.fromEntries(results.flatMap(([, r]) => Object.entries(r.projects ?? {})))
      const inputs = (dir: string) =>
        (projects[dir]?.targets?.['polyship-build']?.inputs ?? []).filter((i) => typeof i === 'string')
      expect(inputs('mono/cmd/podcli')).toEqual([
        '{projectRoot}/**/*.go',
        '{workspaceRoot}/mono/**/*.go',
        '{workspaceRoot}/mono/go.mod',
        '{workspaceRoot}/mono/go.sum',
        '{workspaceRoot}/mono/vendor/modules.txt',
        '{workspaceRoot}/go.work',
        '{workspaceRoot}/go.work.sum',
        '{projectRoot}/package.json',
        '!{projectRoot}/**/*_test.go',
        '!{workspaceRoot}/mono/**/*_test.go',
      ])
      expect(inputs('crates/tool')).toEqual(
        expect.arrayContaining([
          '{workspaceRoot}/crates/Cargo.lock',
          '{workspaceRoot}/crates/.cargo/config.toml',
          '{projectRoot}/rust-toolchain.toml',
          '!{workspaceRoot}/crates/target/**/*',
        ]),
      )
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
