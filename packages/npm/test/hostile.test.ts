import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { collectingReporter } from '@polyship/core'
import {
  type NpmTarball,
  npmRegistry,
  packPackage,
  parsePackageName,
  type RegistryCredential,
} from '@polyship/npm'
import {
  codedFailure,
  HOSTILE_LIMITS,
  type HostileServer,
  type HostileServerOptions,
  startHostileServer,
} from '@polyship/oci/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type NpmWorkspace, npmWorkspace, SCOPE } from './workspace.ts'

const TOKEN = 'npm_hostileSecretToken0123456789'
const credential: RegistryCredential = { type: 'token', token: TOKEN, source: 'test' }
const NAME = parsePackageName(`${SCOPE}/hostile`, 'test')

let ws: NpmWorkspace
let tarball: NpmTarball
let server: HostileServer | undefined
beforeAll(async () => {
  ws = await npmWorkspace()
  await ws.write('hostile', { name: NAME, version: '1.0.0' })
  const manifest = JSON.parse(await readFile(join(ws.dir('hostile'), 'package.json'), 'utf8'))
  expect(manifest.name).toBe(NAME)
  tarball = await packPackage(ws.dir('hostile'), {
    outDir: join(ws.root, 'out'),
    name: NAME,
    version: '1.0.0',
  })
})
afterAll(() => ws.remove())
afterEach(async () => {
  await server?.stop()
  server = undefined
})

async function registryAt(options: HostileServerOptions, scheme?: 'http' | 'https') {
  server = await startHostileServer(options)
  const reporter = collectingReporter()
  const registry = npmRegistry({
    url: `${scheme === undefined ? server.url : `${scheme}://${server.host}`}/`,
    credential,
    limits: HOSTILE_LIMITS,
    reporter,
    retry: { retries: 2, baseDelayMs: 1 },
    sleep: async () => {},
  })
  return { registry, server, reporter }
}

describe('the npm registry client against hostile registries (small configured limits)', () => {
  it('drip: the packument never ends; NET_TIMEOUT (deadline) naming the host', async () => {
    const { registry, server } = await registryAt({ mode: 'drip', dripIntervalMs: 50 })
    const { error } = await codedFailure(registry.lookup(NAME, '1.0.0'))
    expect(error.code).toBe('NET_TIMEOUT')
    expect(error.message).toContain(server.host)
    expect(error.message).toContain('deadline')
  })

  it('hang after accept: NET_TIMEOUT (idle) naming the host, "waiting for" notices meanwhile', async () => {
    const { registry, server, reporter } = await registryAt({ mode: 'hang' })
    const { error } = await codedFailure(registry.lookup(NAME, '1.0.0'))
    expect(error.code).toBe('NET_TIMEOUT')
    expect(error.message).toContain(`${server.host} accepted the connection but sent no answer`)
    expect(error.message).toContain('gave up after 3 tries')
    expect(
      reporter.events.some((e) => e.type === 'log' && e.message.startsWith(`waiting for ${server.host}`)),
    ).toBe(true)
  })

  it('HTML with status 200 where the packument is expected: NPM_REGISTRY_ERROR naming the host', async () => {
    const { registry, server } = await registryAt({ mode: 'html' })
    const { error } = await codedFailure(registry.lookup(NAME, '1.0.0'))
    expect(error.code).toBe('NPM_REGISTRY_ERROR')
    expect(error.message).toContain(`${server.host} answered 200 with text/html`)
    expect(error.hint).toContain('npm registry')
  })

  it('a 300 MB packument: the size cap stops it (NET_TOO_LARGE), memory stays put', async () => {
    const { registry, server } = await registryAt({ mode: 'huge' })
    const before = process.memoryUsage().rss
    const { error } = await codedFailure(registry.lookup(NAME, '1.0.0'))
    expect(error.code).toBe('NET_TOO_LARGE')
    expect(error.message).toContain(server.host)
    expect(server.sentBytes()).toBeLessThan(32 * 1024 * 1024)
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024)
  })

  it('a registry echoing the Authorization header: the token never shows', async () => {
    const { registry, server } = await registryAt({ mode: 'echo-auth' })
    const { error } = await codedFailure(registry.lookup(NAME, '1.0.0'))
    expect(error.code).toBe('NPM_REGISTRY_ERROR')
    expect(error.message).toContain(server.url)
    expect(error.message).toContain('rejected request with authorization')
    expect(`${error.message} ${error.hint}`).not.toContain(TOKEN)
  })

  it('a publish reset mid-body: NPM_REGISTRY_UNREACHABLE naming the registry after bounded retries', async () => {
    const { registry, server } = await registryAt({
      mode: 'truncate-upload',
      applies: (method) => method === 'PUT',
    })
    const { error } = await codedFailure(registry.add(tarball, 'latest'))
    expect(error.code).toBe('NPM_REGISTRY_UNREACHABLE')
    expect(error.message).toContain(server.url)
    expect(server.log.filter((entry) => entry.hostile)).toHaveLength(3)
  })

  it('https spoken to a plain-http registry: NET_TLS_MISMATCH naming the host', async () => {
    const { registry, server } = await registryAt({ mode: 'html' }, 'https')
    const { error } = await codedFailure(registry.lookup(NAME, '1.0.0'))
    expect(error.code).toBe('NET_TLS_MISMATCH')
    expect(error.message).toContain(`${server.host} does not speak TLS`)
  })

  it('plain http spoken to a registry that speaks TLS: NET_TLS_MISMATCH naming the host', async () => {
    const { registry, server } = await registryAt({ mode: 'tls' }, 'http')
    const { error } = await codedFailure(registry.whoami())
    expect(error.code).toBe('NET_TLS_MISMATCH')
    expect(error.message).toContain(`${server.host} speaks TLS`)
  })
})
