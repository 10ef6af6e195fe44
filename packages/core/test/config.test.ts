import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadWorkspace } from '@polyship/core'
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
      /unknown field polyship\.docker \(known: binary, image, wheel, chart, npm\)/,
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
})
