import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jsonPointerPosition, jsonSyntaxErrorPosition, loadWorkspace } from '@polyship/core'
import { describe, expect, it } from 'vitest'

async function workspace(manifests: Record<string, object>, root?: object): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'polyship-config-'))
  await writeFile(join(dir, 'pnpm-workspace.yaml'), 'packages:\n  - projects/*\n')
  if (root) await writeFile(join(dir, 'polyship.json'), JSON.stringify(root))
  for (const [name, manifest] of Object.entries(manifests)) {
    await mkdir(join(dir, 'projects', name), { recursive: true })
    await writeFile(join(dir, 'projects', name, 'package.json'), JSON.stringify(manifest))
  }
  return dir
}

const go = {
  name: 'srv',
  version: '1.2.3',
  private: true,
  polyship: { binary: { toolchain: 'go', platforms: ['linux/amd64'] } },
}

describe('loadWorkspace', () => {
  it('finds projects with a polyship field and ignores the rest', async () => {
    const dir = await workspace({ srv: go, lib: { name: 'lib', version: '1.0.0' } })
    const loaded = await loadWorkspace(join(dir, 'projects', 'srv'))
    expect(loaded.root).toBe(dir)
    expect(loaded.projects.map((p) => [p.name, p.version, p.dir])).toEqual([['srv', '1.2.3', 'projects/srv']])
  })

  it.each([
    [
      'unknown format',
      { ...go, polyship: { docker: {} } },
      /unknown field polyship\.docker \(known: binary, image, wheel, chart, npm, mcp\)/,
    ],
    ['missing version', { name: 'srv', polyship: go.polyship }, /missing field version/],
    ['non-SemVer version', { ...go, version: 'v1.2' }, /version: "v1.2" does not have the expected form/],
    [
      'wrong platform',
      { ...go, polyship: { binary: { toolchain: 'go', platforms: ['linux/amd65'] } } },
      /polyship\.binary\.platforms\[0\]: "linux\/amd65" is not a platform: unknown architecture/,
    ],
    [
      'unknown field',
      { ...go, polyship: { binary: { toolchain: 'go', platfroms: [] } } },
      /unknown field polyship\.binary\.platfroms/,
    ],
    [
      'unknown field nested in a list, with the fields it may have',
      { ...go, polyship: { binary: { toolchain: 'go', binaries: [{ mian: '.' }] } } },
      /unknown field polyship\.binary\.binaries\[0\]\.mian \(known: main, name, ldflags, tags, strip, env\)/,
    ],
    [
      'unknown toolchain',
      { ...go, polyship: { binary: { toolchain: 'zig' } } },
      /polyship\.binary\.toolchain: "zig" is not one of "go", "rust"/,
    ],
  ])('rejects %s with CONFIG_INVALID naming file and field', async (_, manifest, message) => {
    const dir = await workspace({ srv: manifest })
    const error = await loadWorkspace(dir).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: expect.stringMatching(/^(CONFIG|PLATFORM)_INVALID$/) })
    expect((error as Error).message).toContain(join('projects', 'srv', 'package.json'))
    expect((error as Error).message).toMatch(message)
  })

  it('rejects a chart naming an unknown image project, listing the known ones', async () => {
    const chart = {
      name: 'stack',
      version: '0.1.0',
      polyship: { chart: { images: { 'app.image': 'nope' } } },
    }
    const error = await loadWorkspace(await workspace({ srv: go, stack: chart })).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' })
    expect((error as Error).message).toContain('polyship.chart.images["app.image"] names "nope"')
    expect((error as { hint: string }).hint).toBe('known projects: srv, stack')
  })

  it('loads an npm package; refuses polyship.npm on a private package', async () => {
    const lib = { name: '@acme/lib', version: '1.0.0', polyship: { npm: { access: 'public' } } }
    const dir = await workspace(
      { lib },
      { destinations: { npm: { type: 'registry', url: 'https://registry.npmjs.org/' } } },
    )
    const loaded = await loadWorkspace(dir)
    expect(loaded.projects.map((p) => [p.name, p.config, p.private])).toEqual([
      ['@acme/lib', { npm: { access: 'public' } }, undefined],
    ])
    expect(loaded.config.destinations?.npm).toEqual({ type: 'registry', url: 'https://registry.npmjs.org/' })
    const error = await loadWorkspace(await workspace({ lib: { ...lib, private: true } })).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/"private": true/) })
  })

  it('validates polyship.json', async () => {
    const dir = await workspace({ srv: go }, { destinations: { images: { type: 'ftp' } } })
    await expect(loadWorkspace(dir)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('polyship.json'),
    })
  })

  it('names an unknown polyship.json field and the fields its object may have', async () => {
    const root = {
      destinations: { mcpRegistry: { type: 'registry', url: 'https://mcp.test', tokenEnvv: 'T' } },
    }
    const dir = await workspace({ srv: go }, root)
    await expect(loadWorkspace(dir)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(
        'unknown field destinations.mcpRegistry.tokenEnvv (known: type, url, tokenEnv)',
      ),
    })
  })

  it('locates config errors at the line of the offending field, for CI annotations', async () => {
    const manifest = `{
  "name": "srv",
  "version": "1.2.3",
  "polyship": {
    "binary": {
      "toolchain": "go",
      "platfroms": ["linux/amd64"]
    }
  }
}
`
    const dir = await workspace({})
    await mkdir(join(dir, 'projects', 'srv'), { recursive: true })
    const file = join(dir, 'projects', 'srv', 'package.json')
    await writeFile(file, manifest)
    const unknown = await loadWorkspace(dir).catch((e: unknown) => e)
    expect(unknown).toMatchObject({ code: 'CONFIG_INVALID', source: { file, line: 7, column: 7 } })

    await writeFile(file, manifest.replace('"platfroms"', '"platforms"').replace('"go"', '"zig"'))
    const badValue = await loadWorkspace(dir).catch((e: unknown) => e)
    expect(badValue).toMatchObject({ code: 'CONFIG_INVALID', source: { file, line: 6, column: 20 } })

    await writeFile(file, manifest.replace('"go",', '"go"'))
    const syntax = await loadWorkspace(dir).catch((e: unknown) => e)
    expect(syntax).toMatchObject({ code: 'CONFIG_INVALID', source: { file, line: 7 } })

    await writeFile(join(dir, 'polyship.json'), '{\n  "signing": { "mode": "sometimes" }\n}\n')
    const root = await loadWorkspace(dir).catch((e: unknown) => e)
    expect(root).toMatchObject({ source: { file: join(dir, 'polyship.json'), line: 2, column: 24 } })
  })
})

describe('jsonPointerPosition', () => {
  const text = '{"a": [1, {"b~c/d": "x"}, [true]], "e": null,\n "f": {}}'
  it.each([
    ['', undefined, { line: 1, column: 1 }],
    ['/a', undefined, { line: 1, column: 7 }],
    ['/a/1/b~0c~1d', undefined, { line: 1, column: 21 }],
    ['/a/2/0', undefined, { line: 1, column: 28 }],
    ['/f', undefined, { line: 2, column: 7 }],
    ['/f', 'g', undefined],
    ['', 'f', { line: 2, column: 2 }],
    ['/a/3', undefined, undefined],
    ['/nope', undefined, undefined],
  ])('%s (key %s)', (pointer, key, position) => {
    expect(jsonPointerPosition(text, pointer, key === undefined ? {} : { key })).toEqual(position)
  })

  it('reads the position from a JSON.parse error', () => {
    const bad = '{\n  "a": 1\n  "b": 2\n}'
    let error: unknown
    try {
      JSON.parse(bad)
    } catch (e) {
      error = e
    }
    expect(jsonSyntaxErrorPosition(bad, error)?.line).toBe(3)
  })
})
