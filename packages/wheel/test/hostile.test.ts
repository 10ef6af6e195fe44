import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { collectingReporter } from '@polyship/core'
import {
  codedFailure,
  HOSTILE_LIMITS,
  type HostileServer,
  type HostileServerOptions,
  startHostileServer,
} from '@polyship/oci/testing'
import {
  type Distribution,
  type IndexCredentials,
  inspectDistribution,
  nodeHttpDeps,
  publishDistributions,
  remoteIndex,
} from '@polyship/wheel'
import { writeSyntheticWheel } from '@polyship/wheel/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const TOKEN = 'pypi-hostile-secret-token-0123456789'

let work: string
let wheel: Distribution
let server: HostileServer | undefined
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-wheel-hostile-'))
  wheel = await inspectDistribution(
    await writeSyntheticWheel(work, { name: 'hostile-demo', version: '1.0.0', size: 64 * 1024 }),
  )
})
afterAll(() => rm(work, { recursive: true, force: true }))
afterEach(async () => {
  await server?.stop()
  server = undefined
})

async function publishTo(
  options: HostileServerOptions,
  how: { scheme?: 'http' | 'https'; credentials?: IndexCredentials } = {},
) {
  server = await startHostileServer(options)
  const reporter = collectingReporter()
  const url = how.scheme === undefined ? server.url : `${how.scheme}://${server.host}`
  const index = remoteIndex({
    uploadUrl: `${url}/`,
    credentials: how.credentials ?? { type: 'none' },
    deps: { ...nodeHttpDeps, sleep: async () => {}, reporter },
    retry: { retries: 2, baseDelayMs: 1 },
    limits: HOSTILE_LIMITS,
  })
  const { error } = await codedFailure(publishDistributions([wheel], index))
  return { error, server, reporter }
}

const listing = (method: string) => method === 'GET'

describe('the wheel index client against hostile indexes (small configured limits)', () => {
  it('drip: the simple page never ends; NET_TIMEOUT (deadline) naming the host', async () => {
    const { error, server } = await publishTo({ mode: 'drip', dripIntervalMs: 50 })
    expect(error.code).toBe('NET_TIMEOUT')
    expect(error.message).toContain(server.host)
    expect(error.message).toContain('deadline')
  })

  it('hang after accept: NET_TIMEOUT (idle) naming the host, "waiting for" notices meanwhile', async () => {
    const { error, server, reporter } = await publishTo({ mode: 'hang' })
    expect(error.code).toBe('NET_TIMEOUT')
    expect(error.message).toContain(`${server.host} accepted the connection but sent no answer`)
    expect(
      reporter.events.some((e) => e.type === 'log' && e.message.startsWith(`waiting for ${server.host}`)),
    ).toBe(true)
  })

  it('HTML (a login page) with status 200 where the simple index is expected: WHEEL_INDEX_ERROR, no crash', async () => {
    const { error, server } = await publishTo({ mode: 'html' })
    expect(error.code).toBe('WHEEL_INDEX_ERROR')
    expect(error.message).toContain(`${server.url}/simple/hostile-demo/`)
    expect(error.message).toContain('not a simple index page')
  })

  it('a 300 MB simple page: the size cap stops it (NET_TOO_LARGE), memory stays put', async () => {
    const before = process.memoryUsage().rss
    const { error, server } = await publishTo({ mode: 'huge' })
    expect(error.code).toBe('NET_TOO_LARGE')
    expect(error.message).toContain(server.host)
    expect(server.sentBytes()).toBeLessThan(32 * 1024 * 1024)
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024)
  })

  it('an index echoing the Authorization header when listing: the token never shows', async () => {
    const credentials: IndexCredentials = { type: 'token', token: TOKEN }
    const { error, server } = await publishTo({ mode: 'echo-auth', applies: listing }, { credentials })
    expect(error.code).toBe('WHEEL_INDEX_ERROR')
    expect(error.message).toContain(server.host)
    expect(error.message).toContain('rejected request with authorization')
    const basic = Buffer.from(`__token__:${TOKEN}`).toString('base64')
    expect(`${error.message} ${error.hint}`).not.toContain(basic)
    expect(`${error.message} ${error.hint}`).not.toContain(TOKEN)
  })

  it('an index echoing the Authorization header on upload: the token never shows', async () => {
    const credentials: IndexCredentials = { type: 'token', token: TOKEN }
    const { error } = await publishTo(
      { mode: 'echo-auth', applies: (method) => method === 'POST' },
      { credentials },
    )
    expect(error.code).toBe('WHEEL_UPLOAD_REJECTED')
    expect(error.message).toContain('rejected request with authorization')
    expect(error.message).not.toContain(Buffer.from(`__token__:${TOKEN}`).toString('base64'))
  })

  it('an upload reset mid-body: WHEEL_INDEX_UNREACHABLE naming the index after bounded retries', async () => {
    const { error, server } = await publishTo({
      mode: 'truncate-upload',
      applies: (method) => method === 'POST',
    })
    expect(error.code).toBe('WHEEL_INDEX_UNREACHABLE')
    expect(error.message).toContain(server.url)
    expect(server.log.filter((entry) => entry.hostile)).toHaveLength(3)
  })

  it('https spoken to a plain-http index: NET_TLS_MISMATCH naming the host', async () => {
    const { error, server } = await publishTo({ mode: 'html' }, { scheme: 'https' })
    expect(error.code).toBe('NET_TLS_MISMATCH')
    expect(error.message).toContain(`${server.host} does not speak TLS`)
  })

  it('plain http spoken to an index that speaks TLS: NET_TLS_MISMATCH naming the host', async () => {
    const { error, server } = await publishTo({ mode: 'tls' }, { scheme: 'http' })
    expect(error.code).toBe('NET_TLS_MISMATCH')
    expect(error.message).toContain(`${server.host} speaks TLS`)
  })
})
