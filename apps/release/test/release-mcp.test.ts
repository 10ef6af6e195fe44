import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { digestHex, parseReleaseRecord } from '@polyship/core'
import { SERVER_SCHEMA_URL, type ServerJson, validateServerJson } from '@polyship/mcp'
import { type FakeMcpRegistry, startFakeMcpRegistry } from '@polyship/mcp/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serverJsonMismatches } from '../src/release/mcp-verify.ts'
import { commitAll, exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * An MCP server project (an npm package marked `polyship.mcp`) released with its server.json
 * to a FAKE MCP registry on loopback (the real one needs a namespace login): published with
 * the Bearer token, signed and recorded like any file, unchanged on a re-run; a registry
 * holding another server.json under the version, or a server.json the schema refuses, stops
 * the release before anything is published. Then the Go example as an MCP server: its
 * server.json lists the image by digest and the archives with their sha256.
 */

const SERVER = 'io.github.polyship/echo-mcp'
const mcp = {
  name: SERVER,
  description: 'Echoes what it is sent',
  environmentVariables: [{ name: 'ECHO_PREFIX' }],
}
const manifest = (version: string, extra: object = {}) =>
  `${JSON.stringify({ name: 'echo-mcp', version, license: 'MIT', polyship: { npm: {}, mcp: { ...mcp, ...extra } } }, null, 2)}\n`

let ws: TestWorkspace
let registry: FakeMcpRegistry

beforeAll(async () => {
  registry = await startFakeMcpRegistry()
  ws = await exampleWorkspace({
    projects: [],
    globs: ['packages/*'],
    files: {
      'packages/echo-mcp/package.json': manifest('1.0.0'),
      'packages/echo-mcp/index.js': 'process.stdin.pipe(process.stdout)\n',
    },
  })
})
afterAll(async () => {
  await ws?.remove()
  await registry?.close()
})

const configure = () =>
  ws.configure({
    repository: 'https://github.com/polyship/polyship',
    destinations: { mcpRegistry: { type: 'registry', url: registry.url } },
  })
const env = () => ({ root: ws.root, env: { ...ws.env, MCP_REGISTRY_TOKEN: registry.token } })

async function setVersion(version: string, extra: object = {}) {
  await writeFile(join(ws.root, 'packages/echo-mcp/package.json'), manifest(version, extra))
  await commitAll(ws.root, `echo-mcp ${version}`)
}

describe('release of an MCP server to a fake MCP registry', () => {
  it('publishes one server.json listing the npm package, signed and recorded; a re-run is unchanged', async () => {
    await configure()
    const plan = await polyship(['plan'], env())
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stdout).toMatch(/mcp-server\s+echo-mcp_1\.0\.0_server\.json/)
    expect(plan.stdout).toContain(registry.url)
    const first = await polyship(['release'], env())
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/mcp-registry\s+io\.github\.polyship\/echo-mcp@1\.0\.0\s+published/)
    expect(first.stdout + first.stderr).not.toContain(registry.token)

    expect(registry.publishes).toHaveLength(1)
    expect(registry.publishes[0]!.authorization).toBe(`Bearer ${registry.token}`)
    const assets = join(ws.root, 'dist', 'assets')
    const written = await readFile(join(assets, 'echo-mcp_1.0.0_server.json'), 'utf8')
    expect(registry.publishes[0]!.body).toBe(written)
    const server = JSON.parse(written) as ServerJson
    validateServerJson(server, 'echo-mcp')

    const recordPath = join(ws.root, 'dist', 'release.json')
    const record = parseReleaseRecord(JSON.parse(await readFile(recordPath, 'utf8')), recordPath)
    const tarball = record.artifacts.find((a) => a.kind === 'npm')!
    expect(server).toEqual({
      $schema: SERVER_SCHEMA_URL,
      name: SERVER,
      description: 'Echoes what it is sent',
      version: '1.0.0',
      repository: { url: 'https://github.com/polyship/polyship', source: 'github' },
      packages: [
        {
          registryType: 'npm',
          identifier: 'echo-mcp',
          version: '1.0.0',
          fileSha256: digestHex(tarball.digest),
          runtimeHint: 'npx',
          transport: { type: 'stdio' },
          environmentVariables: [{ name: 'ECHO_PREFIX' }],
        },
      ],
    })
    const recorded = record.artifacts.find((a) => a.kind === 'mcp-server')!
    expect(recorded).toMatchObject({
      name: 'echo-mcp_1.0.0_server.json',
      project: 'echo-mcp',
      version: '1.0.0',
    })
    expect(recorded.signature && recorded.sbom && recorded.provenance).toBeTruthy()
    // the server.json's SBOM lists the packages it points at
    const sbom = JSON.parse(
      await readFile(join(assets, 'echo-mcp_1.0.0_server.json.sbom.cdx.json'), 'utf8'),
    ) as {
      components: { purl: string }[]
    }
    expect(sbom.components.map((c) => c.purl)).toEqual(['pkg:npm/echo-mcp@1.0.0'])

    const verify = await polyship(['verify'], env())
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    expect(verify.stdout).toMatch(/echo-mcp_1\.0\.0_server\.json\s+signature\s+ok/)
    expect(verify.stdout).toMatch(/echo-mcp_1\.0\.0_server\.json\s+content\s+ok\s+1 packages, as recorded/)
    // a server.json naming another tarball than the one released fails verify's content check
    const other = { ...tarball, digest: `sha256:${'0'.repeat(64)}` as const }
    expect(serverJsonMismatches(server, recorded, { artifacts: [other] })).toEqual([
      `npm echo-mcp has sha256 ${digestHex(tarball.digest)}, the record ${'0'.repeat(64)}`,
    ])

    // the same release again, as after a run killed before it wrote the record: every
    // destination is asked again, and the registry already holds this very server.json
    await rm(recordPath)
    const again = await polyship(['release'], env())
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/mcp-registry\s+io\.github\.polyship\/echo-mcp@1\.0\.0\s+unchanged/)
    expect(registry.publishes).toHaveLength(1)
  })

  it('another server.json under the same version in the registry is a conflict: nothing is published', async () => {
    await configure()
    registry.hold({ name: SERVER, version: '2.0.0', description: 'someone else' } as never)
    await setVersion('2.0.0')
    const result = await polyship(['release'], env())
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('RELEASE_CONFLICT')
    expect(result.stderr).toContain(`${SERVER}@2.0.0`)
    expect(registry.publishes).toHaveLength(1)
    expect(existsSync(join(ws.root, 'dist', 'npm', 'echo-mcp-2.0.0.tgz'))).toBe(false)
    expect(existsSync(join(ws.root, 'dist', 'assets', 'echo-mcp_2.0.0_server.json'))).toBe(false)
  })

  it('a server.json the schema refuses is MCP_SERVER_JSON_INVALID naming project and field, before any build', async () => {
    await configure()
    await setVersion('3.0.0', { description: 'x'.repeat(150) })
    const result = await polyship(['release'], env())
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('MCP_SERVER_JSON_INVALID')
    expect(result.stderr).toContain('echo-mcp')
    expect(result.stderr).toContain('description must NOT have more than 100 characters')
    expect(registry.publishes).toHaveLength(1)
    expect(existsSync(join(ws.root, 'dist', 'npm', 'echo-mcp-3.0.0.tgz'))).toBe(false)
  })

  it('with an MCP registry but no token, the release stops before anything is built', async () => {
    await configure()
    await setVersion('4.0.0')
    const result = await polyship(['release'], ws)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('RELEASE_CREDENTIALS_MISSING')
    expect(result.stderr).toContain('MCP_REGISTRY_TOKEN')
    expect(existsSync(join(ws.root, 'dist', 'npm', 'echo-mcp-4.0.0.tgz'))).toBe(false)
  })
})

describe('an MCP server shipped as binaries and an image', () => {
  let go: TestWorkspace
  afterAll(() => go?.remove())

  it('lists the image by digest and the archives with their sha256, all from the release record', async () => {
    go = await exampleWorkspace({
      projects: ['time-server-go'],
      platforms: { 'time-server-go': ['linux/amd64', 'linux/arm64'] },
    })
    const path = join(go.root, 'examples/time-server-go/package.json')
    const json = JSON.parse(await readFile(path, 'utf8'))
    json.polyship.mcp = {
      name: 'io.github.polyship/time-server',
      description: 'Tells the time',
      transport: { type: 'streamable-http', url: 'http://localhost:8080/mcp' },
    }
    await writeFile(path, `${JSON.stringify(json, null, 2)}\n`)
    await commitAll(go.root, 'time-server-go is an MCP server')
    const result = await polyship(['release'], go)
    expect(result.code, result.stderr).toBe(0)

    const recordPath = join(go.root, 'dist', 'release.json')
    const record = parseReleaseRecord(JSON.parse(await readFile(recordPath, 'utf8')), recordPath)
    const server = JSON.parse(
      await readFile(join(go.root, 'dist', 'assets', 'time-server-go_0.1.0_server.json'), 'utf8'),
    ) as ServerJson
    validateServerJson(server, 'time-server-go')
    const image = record.artifacts.find((a) => a.kind === 'image-index')!
    expect(server.packages).toEqual([
      {
        registryType: 'oci',
        identifier: expect.stringMatching(new RegExp(`/time-server-go:0\\.1\\.0@${image.digest}$`)),
        runtimeHint: 'docker',
        transport: { type: 'streamable-http', url: 'http://localhost:8080/mcp' },
      },
    ])
    const archives = record.artifacts.filter((a) => a.kind === 'archive')
    expect(archives).toHaveLength(2)
    expect(server._meta?.['io.modelcontextprotocol.registry/publisher-provided'].archives).toEqual(
      archives.map((a) => ({ name: a.name, sha256: digestHex(a.digest), platform: a.platform })),
    )
    const verify = await polyship(['verify'], go)
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
  }, 300_000)
})
