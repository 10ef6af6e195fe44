import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { polyship } from './workspace.ts'

let root: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'polyship-changeset-'))
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'ws', private: true }))
  await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - apps/*\n')
  await mkdir(join(root, 'apps', 'api'), { recursive: true })
  await writeFile(
    join(root, 'apps', 'api', 'package.json'),
    JSON.stringify({ name: 'api', version: '1.2.0', private: true }),
  )
  await mkdir(join(root, '.changeset'))
  await writeFile(
    join(root, '.changeset', 'config.json'),
    JSON.stringify({ baseBranch: 'main', privatePackages: { version: true, tag: true } }),
  )
})

afterAll(() => rm(root, { recursive: true, force: true }))

describe('polyship changeset (no terminal)', () => {
  it('writes a changeset that polyship status reads back as the bump asked for', async () => {
    const add = await polyship(['changeset', '--bump', 'api=minor', '-m', 'Serve v2 routes'], {
      root,
      env: {},
    })
    expect(add.code).toBe(0)
    const [file] = (await readdir(join(root, '.changeset'))).filter((f) => f.endsWith('.md'))
    expect(add.stdout).toBe(`wrote .changeset/${file}\n`)
    expect(await readFile(join(root, '.changeset', file!), 'utf8')).toMatch(
      /"api": minor\n---\n\nServe v2 routes/,
    )
    const status = await polyship(['status', '--json'], { root, env: {} })
    expect(status.code).toBe(0)
    const releases = (JSON.parse(status.stdout) as { releases: { name: string; newVersion: string }[] })
      .releases
    expect(releases.map((r) => [r.name, r.newVersion])).toEqual([['api', '1.3.0']])
  })

  it('refuses an unknown project, a bad bump type and a missing summary, writing nothing', async () => {
    const before = await readdir(join(root, '.changeset'))
    for (const [args, code] of [
      [['--bump', 'nope=patch', '-m', 'x'], 'VERSION_UNKNOWN_PROJECT'],
      [['--bump', 'api=huge', '-m', 'x'], 'VERSION_CHANGESET_INVALID'],
      [['--bump', 'api'], 'VERSION_CHANGESET_INVALID'],
      [[], 'CLI_USAGE'],
    ] as const) {
      const run = await polyship(['changeset', ...args], { root, env: {} })
      expect(run.code).toBe(code === 'CLI_USAGE' ? 2 : 1)
      expect(run.stderr).toContain(`error ${code}`)
    }
    expect(await readdir(join(root, '.changeset'))).toEqual(before)
  })
})
