import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { getPackages } from '@manypkg/get-packages'
import { loadWorkspace } from '@polyship/core'
import { describe, expect, it } from 'vitest'
import { tempWorkspace } from './workspace.ts'

const project = (name: string) =>
  JSON.stringify({ name, version: '1.0.0', private: true, polyship: { binary: { toolchain: 'go' } } })

/** Workspace packages as changesets sees them: @manypkg/get-packages, which @changesets/cli reads with. */
async function changesetsSees(root: string): Promise<string[]> {
  const { packages } = await getPackages(root)
  return packages.map((p) => `${p.packageJson.name} ${p.relativeDir.split('\\').join('/')}`).sort()
}

async function polyshipSees(root: string): Promise<string[]> {
  return (await loadWorkspace(root)).projects.map((p) => `${p.name} ${p.dir}`).sort()
}

const globs = ['packages/**', '!packages/excluded', '!**/skipped/*', 'apps/*']

function workspace(extra: Readonly<Record<string, string>> = {}): Promise<string> {
  return tempWorkspace({
    'package.json': '{ "name": "ws", "version": "0.0.0", "private": true }\n',
    'pnpm-workspace.yaml': `packages:\n${globs.map((g) => `  - "${g}"\n`).join('')}`,
    'packages/a/package.json': project('a'),
    'packages/group/deep/b/package.json': project('b'),
    'packages/excluded/package.json': project('excluded'),
    'packages/group/skipped/c/package.json': project('c'),
    'packages/a/node_modules/dep/package.json': project('dep'),
    'packages/no-manifest/README.md': 'not a package\n',
    'apps/web/package.json': project('web'),
    'apps/web/nested/package.json': project('nested'),
    ...extra,
  })
}

describe('workspace discovery agrees with changesets', () => {
  it('a `!`-excluded package, nested `**` globs and node_modules: the same projects', async () => {
    const root = await workspace()
    const expected = ['a packages/a', 'b packages/group/deep/b', 'web apps/web']
    expect(await changesetsSees(root)).toEqual(expected)
    expect(await polyshipSees(root)).toEqual(expected)
  })

  it('a package.json without a name: changesets refuses the workspace, so does polyship, naming it', async () => {
    const root = await workspace({ 'packages/unnamed/package.json': '{ "version": "1.0.0" }\n' })
    await expect(getPackages(root)).rejects.toThrow(/missing the "name" field/)
    await expect(loadWorkspace(root)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('packages/unnamed/package.json'),
      hint: expect.stringContaining('"!dir"'),
    })

    // excluded with `!`, both accept the workspace again
    await writeFile(
      join(root, 'pnpm-workspace.yaml'),
      `packages:\n${[...globs, '!packages/unnamed'].map((g) => `  - "${g}"\n`).join('')}`,
    )
    expect(await polyshipSees(root)).toEqual(await changesetsSees(root))
  })

  it('a nameless package.json that no glob matches is no package of either', async () => {
    const root = await workspace({ 'packages/excluded/package.json': '{}\n' })
    expect(await polyshipSees(root)).toEqual(await changesetsSees(root))
  })
})
