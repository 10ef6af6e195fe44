import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { debianBase } from '@polyship/container/testing'
import { run } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commitAll, exampleWorkspace, polyship, type TestWorkspace, tool } from './workspace.ts'

/**
 * `polyship release` of a workspace npm package with `polyship.image.base: "node"`: the
 * release's `bases.node` points at a Node base built from Debian's packages (no registry
 * reachable for node:slim), and the image lands in dist/oci like any other.
 */

let ws: TestWorkspace

const API = {
  name: '@demo/api',
  version: '0.3.0',
  license: 'MIT',
  dependencies: { '@demo/words': 'workspace:*', ms: '2.1.3' },
  polyship: { image: { base: 'node', platforms: ['linux/amd64', 'linux/arm64'], ports: [8080] } },
}

beforeAll(async () => {
  const base = await debianBase({ packages: ['nodejs'], architectures: ['amd64', 'arm64'] })
  ws = await exampleWorkspace({
    projects: [],
    globs: ['packages/*'],
    files: {
      'packages/words/package.json': `${JSON.stringify({ name: '@demo/words', version: '1.0.0', main: 'index.js' })}\n`,
      'packages/words/index.js': "module.exports = 'hello'\n",
      // no main yet: the first release must refuse it
      'packages/api/package.json': `${JSON.stringify(API, null, 2)}\n`,
      'packages/api/server.js': "console.log(require('@demo/words'), require('ms')(60000))\n",
    },
    config: { repository: 'https://github.com/polyship/polyship', bases: { node: base.reference } },
  })
  await writeFile(join(ws.root, '.gitignore'), 'dist*/\nnode_modules/\n')
  await run('pnpm', ['install', '--no-frozen-lockfile', '--prefer-offline'], { cwd: ws.root, env: ws.env })
  await commitAll(ws.root, 'install')
}, 300_000)
afterAll(() => ws.remove())

describe('release of a Node server image', () => {
  it('refuses a package without an entry point, naming it, and publishes nothing', async () => {
    const result = await polyship(['release'], ws)
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('CONTAINER_NODE_ENTRY_MISSING')
    expect(result.stderr).toMatch(/@demo\/api has no entry point/)
    expect(existsSync(join(ws.root, 'dist', 'oci'))).toBe(false)
    expect(existsSync(join(ws.root, 'dist', 'release.json'))).toBe(false)
  })

  it('with main set, publishes the deployed package on the node base to dist/oci', async () => {
    const manifest = join(ws.root, 'packages/api/package.json')
    await writeFile(manifest, `${JSON.stringify({ ...API, main: 'server.js' }, null, 2)}\n`)
    await commitAll(ws.root, 'main')
    const result = await polyship(['release'], ws)
    expect(result.code, result.stderr).toBe(0)
    const layout = `oci:${join(ws.root, 'dist', 'oci', 'demo', 'api')}:0.3.0`
    const image = JSON.parse(await tool('skopeo', ['inspect', '--raw', '--config', layout]))
    expect(image.config.Cmd).toEqual(['/usr/bin/node', '/app/server.js'])
    expect(image.config.User).toBe('65532:65532')
    expect(image.config.Healthcheck.Test[0]).toBe('CMD')
    const index = JSON.parse(await tool('skopeo', ['inspect', '--raw', layout]))
    expect(
      index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture),
    ).toEqual(['amd64', 'arm64'])
    const record = JSON.parse(await readFile(join(ws.root, 'dist', 'release.json'), 'utf8'))
    expect(record.artifacts).toContainEqual(
      expect.objectContaining({ kind: 'image-index', name: 'demo/api' }),
    )
  })
})
