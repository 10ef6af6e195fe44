import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { RegistryClient } from '@polyship/oci'
import type {} from '@polyship/oci/testing'
import { pushTestImage } from '@polyship/oci/testing'
import { type PypiServer, startPypiServer } from '@polyship/wheel/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { registryState, treeState } from './destination-state.ts'
import { exampleWorkspace, polyship, type TestWorkspace, tool } from './workspace.ts'

/**
 * A release to real services on loopback: the shared docker-registry (images and charts)
 * and a pypiserver requiring a token (wheels). Re-running must report every artifact
 * unchanged and leave the registry and the index exactly as they were.
 */

const { host } = inject('ociRegistry')
const PYPI_TOKEN = 'pypi-release-test-token'
const prefix = `release-test/registry-${process.pid}`
const REPOSITORIES = ['time-server-go', 'echo-server-rust', 'fastjson', 'charts/mcp-stack']

let ws: TestWorkspace
let pypi: PypiServer
const client = new RegistryClient()

function config(repositoryPrefix: string, outDir = 'dist') {
  return {
    repository: 'https://github.com/polyship/polyship',
    bases: { python: 'scratch' },
    outDir,
    destinations: {
      images: { type: 'registry', repository: `${host}/${repositoryPrefix}` },
      charts: { type: 'registry', repository: `${host}/${repositoryPrefix}/charts` },
      wheels: { type: 'pypi', url: pypi.url, tokenEnv: 'TEST_PYPI_TOKEN' },
    },
  }
}
const withToken = () => ({ root: ws.root, env: { ...ws.env, TEST_PYPI_TOKEN: PYPI_TOKEN } })
const repositories = (repositoryPrefix: string) => REPOSITORIES.map((r) => `${host}/${repositoryPrefix}/${r}`)

beforeAll(async () => {
  ws = await exampleWorkspace({
    platforms: { 'time-server-go': ['linux/amd64', 'linux/arm64'], 'echo-server-rust': ['linux/amd64'] },
  })
  pypi = await startPypiServer({
    dir: join(ws.root, '..', 'pypiserver'),
    user: { username: '__token__', password: PYPI_TOKEN },
  })
  await ws.configure(config(prefix))
})
afterAll(async () => {
  client.close()
  await pypi?.stop()
  await ws?.remove()
})

describe('release to a registry and a package index on loopback', () => {
  it('publishes everything; an immediate re-run reports it unchanged and writes nothing', async () => {
    const first = await polyship(['release'], withToken())
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/\n11 published; record: /)
    const registry = await registryState(client, repositories(prefix))
    const index = await treeState(pypi.dir)
    expect(Object.keys(index)).toEqual([
      expect.stringMatching(/^fastjson-0\.1\.0-cp39-abi3-.*\.whl$/),
      'fastjson-0.1.0.tar.gz',
    ])
    for (const repository of repositories(prefix)) {
      expect(Object.keys(registry[repository]!.tags)).toHaveLength(2) // 0.1.0 and its referrers index
      expect(registry[repository]!.attestations['0.1.0']).toEqual([
        'https://cyclonedx.org/bom',
        'https://sigstore.dev/cosign/sign/v1',
        'https://slsa.dev/provenance/v1',
        'https://spdx.dev/Document',
      ])
    }
    // what skopeo sees
    const tags = JSON.parse(
      await tool('skopeo', ['list-tags', '--tls-verify=false', `docker://${host}/${prefix}/time-server-go`]),
    ) as { Tags: string[] }
    expect(tags.Tags.sort()).toEqual(Object.keys(registry[`${host}/${prefix}/time-server-go`]!.tags))

    const again = await polyship(['release'], withToken())
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/\n11 unchanged; record: /)
    expect(again.stdout).not.toMatch(/published/)
    // the same tags at the same digests: no new referrer, signature, upload or tag
    expect(await registryState(client, repositories(prefix))).toEqual(registry)
    expect(await treeState(pypi.dir)).toEqual(index)

    const verify = await polyship(['verify'], withToken())
    expect(verify.code, verify.stderr).toBe(0)
    expect(verify.stdout).toMatch(/11 artifacts, \d+ checks: all passed/)
  })
})

describe('refusals before anything is published', () => {
  it('a missing token for the configured index is RELEASE_CREDENTIALS_MISSING before any build', async () => {
    await ws.configure(config(`${prefix}-nocreds`, 'dist-nocreds'))
    try {
      const result = await polyship(['release'], ws)
      expect(result.code).toBe(1)
      expect(result.stderr.replace(pypi.url, '<pypi>/')).toMatchInlineSnapshot(`
        "error RELEASE_CREDENTIALS_MISSING: destinations.wheels is <pypi>/ but TEST_PYPI_TOKEN is not set; nothing was built or published
          hint: export TEST_PYPI_TOKEN with an upload token, or in GitHub Actions grant id-token: write for trusted publishing
        "
      `)
      expect(existsSync(join(ws.root, 'dist-nocreds'))).toBe(false)
    } finally {
      await ws.configure(config(prefix))
    }
  })

  it('a tag holding other content is RELEASE_CONFLICT with a table; nothing new is pushed', async () => {
    const conflicted = `${prefix}-conflict`
    const other = await pushTestImage(client.repository(`${host}/${conflicted}/time-server-go`), {
      seed: 'not-this-release',
      tag: '0.1.0',
    })
    const index = await treeState(pypi.dir)
    const before = await registryState(client, repositories(conflicted))
    await ws.configure(config(conflicted, 'dist-conflict'))
    try {
      const result = await polyship(['release'], withToken())
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(
        'error RELEASE_CONFLICT: 1 released name(s) already hold other content; nothing was published:\n' +
          'project         artifact              where',
      )
      const row = result.stderr.split('\n').find((line) => line.startsWith('time-server-go  '))
      expect(row?.split(/\s+/)).toEqual([
        'time-server-go',
        'time-server-go:0.1.0',
        `${host}/${conflicted}/time-server-go:0.1.0`,
        other.root.digest.slice(0, 19),
        expect.stringMatching(/^sha256:[0-9a-f]{12}$/),
      ])
      expect(await registryState(client, repositories(conflicted))).toEqual(before)
      expect(await treeState(pypi.dir)).toEqual(index)
      expect(existsSync(join(ws.root, 'dist-conflict', 'assets'))).toBe(false)
    } finally {
      await ws.configure(config(prefix))
    }
  })
})

describe('a later commit', () => {
  it('leaves out versions released from an earlier commit instead of rebuilding them into conflicts', async () => {
    await writeFile(join(ws.root, 'NOTES.md'), 'a change that releases nothing\n')
    await tool('git', ['add', 'NOTES.md'], ws.root)
    await tool(
      'git',
      ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'notes'],
      ws.root,
    )
    const registry = await registryState(client, repositories(prefix))
    const index = await treeState(pypi.dir)
    const released = (await tool('git', ['rev-parse', 'HEAD~1'], ws.root)).trim().slice(0, 12)

    const result = await polyship(['release'], withToken())
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe(
      `nothing to release: ${['echo-server-rust', 'fastjson', 'mcp-stack', 'time-server-go'].map((p) => `${p}@0.1.0 (released at ${released})`).join(', ')}\n`,
    )
    expect(result.stderr).toContain(
      `  skipped time-server-go 0.1.0: already released at ${released} (git tag time-server-go@0.1.0)\n`,
    )
    expect(await registryState(client, repositories(prefix))).toEqual(registry)
    expect(await treeState(pypi.dir)).toEqual(index)
  })
})
