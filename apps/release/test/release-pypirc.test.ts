import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * A release whose wheels destination is a .pypirc repository: a broken .pypirc, or a
 * repository it lacks, stops `polyship release` before anything is built, naming the file,
 * line and section, never the password in it.
 */

const PASSWORD = 'pypirc-password-never-printed-5Zq'
let ws: TestWorkspace
let home: string

beforeAll(async () => {
  ws = await exampleWorkspace({
    projects: ['time-server-go'],
    platforms: { 'time-server-go': ['linux/amd64'] },
    config: { destinations: { wheels: { type: 'pypi', repository: 'private' } } },
  })
  home = await mkdtemp(join(tmpdir(), 'polyship-pypirc-home-'))
})
afterAll(async () => {
  await ws?.remove()
  if (home !== undefined) await rm(home, { recursive: true, force: true })
})

describe('polyship release with a .pypirc repository', () => {
  it('a malformed .pypirc is WHEEL_PYPIRC_INVALID before any build, without the password', async () => {
    await writeFile(
      join(home, '.pypirc'),
      `[distutils]\nindex-servers = private\n[private]\nrepository = https://pypi.corp.example/\nusername = ci\n${PASSWORD}\n`,
    )
    const result = await polyship(['release'], { root: ws.root, env: { ...ws.env, HOME: home } })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('WHEEL_PYPIRC_INVALID')
    expect(result.stderr).toContain(`${join(home, '.pypirc')}:6:`)
    expect(result.stderr).toContain('[private]')
    expect(`${result.stdout}${result.stderr}`).not.toContain(PASSWORD)
    expect(existsSync(join(ws.root, 'dist', 'build'))).toBe(false)
  })

  it('a repository the .pypirc does not list is WHEEL_PYPIRC_REPOSITORY_MISSING', async () => {
    await writeFile(
      join(home, '.pypirc'),
      `[private]\nrepository = https://pypi.corp.example/\npassword = ${PASSWORD}\n`,
    )
    const result = await polyship(['release'], { root: ws.root, env: { ...ws.env, HOME: home } })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('WHEEL_PYPIRC_REPOSITORY_MISSING')
    expect(result.stderr).toContain('destinations.wheels.repository names the repository "private"')
    expect(`${result.stdout}${result.stderr}`).not.toContain(PASSWORD)
    expect(existsSync(join(ws.root, 'dist', 'build'))).toBe(false)
  })

  it('{ type: pypi } with no credential anywhere is RELEASE_CREDENTIALS_MISSING naming every source', async () => {
    await ws.configure({ destinations: { wheels: { type: 'pypi' } } })
    try {
      const empty = await mkdtemp(join(tmpdir(), 'polyship-pypirc-empty-'))
      const result = await polyship(['release'], { root: ws.root, env: { ...ws.env, HOME: empty } })
      await rm(empty, { recursive: true, force: true })
      expect(result.code).toBe(1)
      expect(result.stderr.replace(empty, '<home>')).toContain(
        "RELEASE_CREDENTIALS_MISSING: destinations.wheels is https://upload.pypi.org/legacy/ (from twine's default for pypi (no <home>/.pypirc)) but PYPI_TOKEN is not set, nor TWINE_PASSWORD, nor a password in the .pypirc",
      )
    } finally {
      await ws.configure({ destinations: { wheels: { type: 'pypi', repository: 'private' } } })
    }
  })
})
