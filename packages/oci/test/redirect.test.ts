import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { sha256 } from '@polyship/core'
import { RegistryClient } from '@polyship/oci'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { failure } from './helpers.ts'

const PASSWORD = 'hunter2-Redirect-Horse'
const BLOB = 'blob bytes'
const descriptor = { mediaType: 'application/octet-stream', digest: sha256(BLOB), size: BLOB.length }

/**
 * A fake registry (Basic auth, it redirects blob GETs to storage) and a hostile storage
 * host on another port of the same address (another origin): storage echoes the headers
 * it was sent as the blob, so a leaked credential would come back in the bytes.
 */
describe('blob redirects follow core rules (fake registry and hostile storage, two origins)', () => {
  let registry: Server
  let storage: Server
  let registryUrl = ''
  let storageUrl = ''
  const storageSaw: IncomingMessage['headers'][] = []
  const registrySaw: string[] = []

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`
  }

  beforeAll(async () => {
    storage = createServer((req: IncomingMessage, res: ServerResponse) => {
      storageSaw.push(req.headers)
      if (req.url?.startsWith('/loop')) {
        res.writeHead(302, { location: `${registryUrl}/v2/loop/blobs/${descriptor.digest}` })
        res.end()
        return
      }
      if (req.url?.startsWith('/hop/')) {
        res.writeHead(302, { location: `/hop/${Number(req.url.split('/')[2]) + 1}` })
        res.end()
        return
      }
      const body = req.headers.authorization === undefined ? BLOB : JSON.stringify(req.headers)
      res.writeHead(200, { 'content-length': String(Buffer.byteLength(body)) })
      res.end(body)
    })
    registry = createServer((req: IncomingMessage, res: ServerResponse) => {
      registrySaw.push(req.url ?? '')
      if (req.headers.authorization === undefined) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' })
        res.end()
        return
      }
      const repository = req.url?.split('/')[2]
      const location =
        repository === 'loop'
          ? `${storageUrl}/loop`
          : repository === 'far'
            ? `${storageUrl}/hop/0`
            : `${storageUrl}/bucket/blob?sig=abc`
      res.writeHead(307, { location })
      res.end()
    })
    storageUrl = await listen(storage)
    registryUrl = await listen(registry)
  })
  afterAll(() => {
    registry.close()
    storage.close()
  })

  const client = () =>
    new RegistryClient({
      credentials: { [new URL(registryUrl).host]: { username: 'u', password: PASSWORD } },
    })

  it('storage on another origin gets the blob request without Authorization', async () => {
    const oci = client()
    const chunks: Buffer[] = []
    for await (const chunk of await oci.repository(`${new URL(registryUrl).host}/app`).fetchBlob(descriptor))
      chunks.push(chunk as Buffer)
    oci.close()
    expect(Buffer.concat(chunks).toString()).toBe(BLOB)
    expect(storageSaw.at(-1)?.authorization).toBeUndefined()
  })

  it('a loop between registry and storage is NET_REDIRECT_LIMIT naming the host', async () => {
    const oci = client()
    const error = await failure(oci.repository(`${new URL(registryUrl).host}/loop`).fetchBlob(descriptor))
    oci.close()
    expect(error.code).toBe('NET_REDIRECT_LIMIT')
    expect(error.message).toContain(new URL(storageUrl).host)
    expect(error.message).not.toContain(PASSWORD)
  })

  it('more than five redirects is NET_REDIRECT_LIMIT', async () => {
    const oci = client()
    const before = storageSaw.length
    const error = await failure(oci.repository(`${new URL(registryUrl).host}/far`).fetchBlob(descriptor))
    oci.close()
    expect(error.code).toBe('NET_REDIRECT_LIMIT')
    expect(storageSaw.length - before).toBe(5)
  })
})
