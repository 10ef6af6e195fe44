import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadWorkspace } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nxReleaseProjects } from '../src/nx/release-config.ts'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/** Two small Go projects; nx.json's release block is changed per test. */
const GO_MAIN = 'package main\n\nfunc main() { println("hi") }\n'
const goProject = (name: string, tags: string[] = []) => ({
  [`tools/${name}/package.json`]: `${JSON.stringify({
    name,
    version: '1.0.0',
    private: true,
    nx: { tags },
    polyship: { binary: { toolchain: 'go', platforms: ['linux/amd64'] } },
  })}\n`,
  [`tools/${name}/go.mod`]: `module example.com/${name}\n\ngo 1.22\n`,
  [`tools/${name}/main.go`]: GO_MAIN,
})

let ws: TestWorkspace
let nxJson: Record<string, unknown>
const setRelease = async (release: unknown) =>
  writeFile(join(ws.root, 'nx.json'), `${JSON.stringify({ ...nxJson, release }, null, 2)}\n`)

beforeAll(async () => {
  ws = await exampleWorkspace({
    projects: [],
    globs: ['tools/*'],
    files: { ...goProject('alpha', ['scope:go']), ...goProject('beta') },
  })
  nxJson = existsSync(join(ws.root, 'nx.json'))
    ? (JSON.parse(await readFile(join(ws.root, 'nx.json'), 'utf8')) as Record<string, unknown>)
    : {}
}, 120_000)
afterAll(() => ws?.remove())

describe('an nx.json release block', () => {
  it('covering projects polyship releases is RELEASE_NX_OVERLAP naming nx.json and them; nothing is built', async () => {
    await setRelease({ version: { conventionalCommits: true } })
    const result = await polyship(['release'], ws)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      `error RELEASE_NX_OVERLAP: ${join(ws.root, 'nx.json')} has a "release" block: nx release would also version and publish alpha, beta, which polyship releases`,
    )
    expect(result.stderr).toContain('"release": { "projects": ["*", "!alpha", "!beta"] }')
    expect(existsSync(join(ws.root, 'dist', 'build'))).toBe(false)
  })

  it('selects projects as nx release does: names, globs over names and directories, tags, negation, groups', async () => {
    const { projects } = await loadWorkspace(ws.root)
    const covered = async (release: unknown) => {
      await setRelease(release)
      return (await nxReleaseProjects(ws.root, projects)).projects
    }
    expect(await covered({ projects: ['alpha'] })).toEqual(['alpha'])
    expect(await covered({ projects: ['tools/*'] })).toEqual(['alpha', 'beta'])
    expect(await covered({ projects: 'tag:scope:*' })).toEqual(['alpha'])
    expect(await covered({ projects: ['*', '!beta'] })).toEqual(['alpha'])
    expect(await covered({ projects: ['some-js-lib'] })).toEqual([])
    expect(await covered({ groups: { go: { projects: ['beta'] }, js: { projects: ['lib-*'] } } })).toEqual([
      'beta',
    ])
  })

  it('leaving polyship`s projects out of nx release lets the release go ahead', async () => {
    await setRelease({ projects: ['*', '!alpha', '!beta'] })
    const result = await polyship(['release', '--dry-run'], ws)
    expect(result.code, result.stderr).toBe(0)
  }, 600_000)
})
