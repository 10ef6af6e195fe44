import { createServer } from 'node:http'
import { collectingReporter, sha256 } from '@polyship/core'
import { RegistryClient } from '@polyship/oci'
import {
  codedFailure,
  HOSTILE_LIMITS,
  type HostileServer,
  type HostileServerOptions,
  pushTestImage,
  startHostileServer,
} from '@polyship/oci/testing'
import { afterEach, describe, expect, inject, it } from 'vitest'

const { url: registryUrl } = inject('ociRegistry')

let server: HostileServer | undefined
let client: RegistryClient | undefined
afterEach(async () => {
  client?.close()
  await server?.stop()
  server = undefined
  client = undefined
})

const notPing = (method: string, path: string) => !(method === 'GET' && path === '/v2/')

async function hostile(options: HostileServerOptions) {
  server = await startHostileServer(options)
  const reporter = collectingReporter()
  client = new RegistryClient({
    limits: HOSTILE_LIMITS,
    retry: { attempts: 3 },
    credentials: { [server.host]: { username: 'ci', password: 'hunter2-secret-password' } },
    deps: { reporter, sleep: async () => {} },
  })
  return { server, client, reporter, store: client.repository(`${server.host}/hostile/app`) }
}

describe('the registry client against hostile registries (small configured limits)', () => {
  it('drip: a byte every 50 ms never trips the idle timeout, the deadline ends it with NET_TIMEOUT naming the host', async () => {
    const { server, store } = await hostile({ mode: 'drip', dripIntervalMs: 50, applies: notPing })
    const { error } = await codedFailure(store.getManifest('v1'))
    expect(error.code).toBe('NET_TIMEOUT')
    expect(error.message).toContain(server.host)
    expect(error.message).toContain('deadline')
  })

  it('hang after accept: NET_TIMEOUT (idle) naming the host, with "waiting for" notices meanwhile', async () => {
    const { server, store, reporter } = await hostile({ mode: 'hang', applies: notPing })
    const { error } = await codedFailure(store.resolve('v1'))
    expect(error.code).toBe('NET_TIMEOUT')
    expect(error.message).toContain(`${server.host} accepted the connection but sent no answer`)
    expect(error.message).toMatch(/idle timeout.*gave up after 3 tries/)
    expect(error.hint).toContain('POLYSHIP_HTTP_IDLE_TIMEOUT')
    const warnings = reporter.events.flatMap((e) =>
      e.type === 'log' && e.level === 'warn' ? [e.message] : [],
    )
    expect(warnings.some((m) => m.startsWith(`waiting for ${server.host}: no byte for`))).toBe(true)
    expect(warnings.some((m) => /retrying in/.test(m))).toBe(true)
  })

  it('a dead registry that hangs even its ping is given up within the retry time', async () => {
    const { server, store } = await hostile({ mode: 'hang' })
    const { error } = await codedFailure(store.hasBlob(sha256('x')))
    expect(error.code).toBe('NET_TIMEOUT')
    expect(error.message).toContain(`contact registry ${server.host}`)
  })

  it('lie about digests: blob and manifest bytes that do not match their digest are OCI_DIGEST_MISMATCH', async () => {
    const direct = new RegistryClient()
    const image = await pushTestImage(direct.repository(`${new URL(registryUrl).host}/hostile/lies`), {
      seed: 'hostile-lies',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
      layers: 1,
      layerSize: 4096,
    })
    direct.close()
    const { server, client } = await hostile({ mode: 'lie-digest', target: registryUrl })
    const store = client.repository(`${server.host}/hostile/lies`)
    const blob = image.blobs[0]!
    const read = async () => {
      for await (const _ of await store.fetchBlob(blob));
    }
    const blobError = (await codedFailure(read())).error
    expect(blobError.code).toBe('OCI_DIGEST_MISMATCH')
    expect(blobError.message).toContain(`${server.host}/hostile/lies`)
    const manifestError = (await codedFailure(store.getManifest(image.root.digest))).error
    expect(manifestError.code).toBe('OCI_DIGEST_MISMATCH')
  })

  it('HTML where JSON is expected: a coded error naming the host, no crash', async () => {
    const { server, store } = await hostile({ mode: 'html', applies: notPing })
    const tags = (await codedFailure(store.listTags())).error
    expect(tags.code).toBe('OCI_REGISTRY_ERROR')
    expect(tags.message).toContain(`${server.host}/hostile/app`)
    expect(tags.message).toContain('text/html')
    const manifest = (await codedFailure(store.getManifest('v1'))).error
    expect(manifest.code).toMatch(/^OCI_MANIFEST_INVALID$/)
    expect(manifest.message).toContain(server.host)
  })

  it('a 300 MB answer: the size cap stops reading after about 1 MiB (NET_TOO_LARGE), memory stays put', async () => {
    const { server, store } = await hostile({ mode: 'huge', applies: notPing })
    const before = process.memoryUsage().rss
    const { error } = await codedFailure(store.listTags())
    expect(error.code).toBe('NET_TOO_LARGE')
    expect(error.message).toContain(server.host)
    expect(error.message).toContain('size cap')
    expect(server.sentBytes()).toBeLessThan(32 * 1024 * 1024)
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024)
    const manifest = (await codedFailure(store.getManifest('v1'))).error
    expect(manifest.code).toBe('NET_TOO_LARGE')
  })

  it('a 300 MB answer with its Content-Length is refused before reading', async () => {
    const { server, store } = await hostile({ mode: 'huge', declareLength: true, applies: notPing })
    const { error } = await codedFailure(store.getManifest('v1'))
    expect(['NET_TOO_LARGE', 'OCI_MANIFEST_TOO_LARGE']).toContain(error.code)
    expect(server.sentBytes()).toBeLessThan(32 * 1024 * 1024)
  })

  it('echo of the Authorization header in an error body: the message never shows the credential', async () => {
    const { server, store } = await hostile({ mode: 'echo-auth', applies: notPing })
    const { error } = await codedFailure(store.getManifest('v1'))
    expect(error.code).toMatch(/^OCI_/)
    expect(error.message).toContain(server.host)
    const basic = Buffer.from('ci:hunter2-secret-password').toString('base64')
    expect(error.message).toContain('rejected request with authorization')
    expect(`${error.message} ${error.hint}`).not.toContain(basic)
    expect(`${error.message} ${error.hint}`).not.toContain('hunter2-secret-password')
  })

  it('truncated uploads (reset mid-body) end in a coded error within the retry time', async () => {
    const { server, client } = await hostile({
      mode: 'truncate-upload',
      target: registryUrl,
      applies: (method) => method === 'PUT' || method === 'PATCH',
    })
    const data = Buffer.alloc(256 * 1024, 7)
    const blob = { mediaType: 'application/octet-stream', digest: sha256(data), size: data.length }
    const { error } = await codedFailure(
      client.repository(`${server.host}/hostile/truncated`).pushBlob(blob, data),
    )
    expect(error.code).toMatch(/^OCI_(UNAVAILABLE|UPLOAD_FAILED)$/)
    expect(error.message).toContain(`${server.host}/hostile/truncated`)
    expect(server.log.filter((entry) => entry.hostile).length).toBeGreaterThan(1)
  })

  it('https spoken to a plain-http server (a redirect to https://): NET_TLS_MISMATCH saying how to mark it insecure', async () => {
    const plain = await startHostileServer({ mode: 'html' })
    const redirecting = createServer((req, res) => {
      req.resume()
      if (req.url === '/v2/') res.writeHead(200).end('{}')
      else res.writeHead(307, { location: `https://${plain.host}/storage/blob` }).end()
    })
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve))
    const host = `127.0.0.1:${(redirecting.address() as { port: number }).port}`
    try {
      client = new RegistryClient({ limits: HOSTILE_LIMITS, deps: { sleep: async () => {} } })
      const blob = { mediaType: 'application/octet-stream', digest: sha256('x'), size: 1 }
      const { error } = await codedFailure(client.repository(`${host}/hostile/redirect`).fetchBlob(blob))
      expect(error.code).toBe('NET_TLS_MISMATCH')
      expect(error.message).toContain(`${plain.host} does not speak TLS`)
      expect(error.hint).toContain('mark it insecure')
    } finally {
      redirecting.close()
      await plain.stop()
    }
  })

  it('plain http spoken to a registry that speaks TLS: NET_TLS_MISMATCH naming the host, not a crash', async () => {
    const { server, store } = await hostile({ mode: 'tls' })
    const { error } = await codedFailure(store.getManifest('v1'))
    expect(error.code).toBe('NET_TLS_MISMATCH')
    expect(error.message).toContain(`${server.host} speaks TLS`)
    expect(error.hint).toContain('https')
  })
})
