import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the fake received on `POST /v0/publish`. */
export interface FakePublish {
  readonly authorization: string | undefined
  readonly body: string
}

export interface FakeMcpRegistry {
  readonly url: string
  readonly token: string
  readonly publishes: readonly FakePublish[]
  /** Server versions held, keyed `name@version`. */
  readonly servers: ReadonlyMap<string, unknown>
  /** Makes the fake hold a version (published earlier by someone else). */
  hold(server: { name: string; version: string }): void
  close(): Promise<void>
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

function problem(res: ServerResponse, status: number, detail: string) {
  send(res, status, { title: status === 401 ? 'Unauthorized' : 'Bad Request', status, detail })
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * A FAKE of the MCP registry's publish and read endpoints on loopback (the real one needs a
 * GitHub or DNS namespace login): `POST /v0/publish` with `Authorization: Bearer <token>`
 * stores a version and refuses a duplicate one (400, as the registry does);
 * `GET /v0/servers/{name}/versions/{version}` and `GET /v0/servers?search=` read them back
 * wrapped as the registry wraps them (`{ server, _meta }`).
 */
export async function startFakeMcpRegistry(options: { token?: string } = {}): Promise<FakeMcpRegistry> {
  const token = options.token ?? 'fake-mcp-registry-token-0123456789'
  const servers = new Map<string, unknown>()
  const publishes: FakePublish[] = []
  const entry = (server: unknown) => ({
    server,
    _meta: {
      'io.modelcontextprotocol.registry/official': {
        status: 'active',
        publishedAt: '2026-01-01T00:00:00Z',
        isLatest: true,
      },
    },
  })
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    if (req.method === 'POST' && url.pathname === '/v0/publish') {
      const body = await bodyOf(req)
      publishes.push({ authorization: req.headers.authorization, body })
      if (req.headers.authorization !== `Bearer ${token}`)
        return problem(res, 401, 'Invalid or expired Registry JWT token')
      let server: { name?: unknown; version?: unknown }
      try {
        server = JSON.parse(body) as typeof server
      } catch {
        return problem(res, 400, 'invalid JSON body')
      }
      if (typeof server.name !== 'string' || typeof server.version !== 'string')
        return problem(res, 422, 'name and version are required')
      const key = `${server.name}@${server.version}`
      if (servers.has(key)) return problem(res, 400, 'invalid version: cannot publish duplicate version')
      servers.set(key, server)
      return send(res, 200, entry(server))
    }
    const version = /^\/v0\/servers\/([^/]+)\/versions\/([^/]+)$/.exec(url.pathname)
    if (req.method === 'GET' && version) {
      const key = `${decodeURIComponent(version[1]!)}@${decodeURIComponent(version[2]!)}`
      const server = servers.get(key)
      return server === undefined ? problem(res, 404, 'Server not found') : send(res, 200, entry(server))
    }
    if (req.method === 'GET' && url.pathname === '/v0/servers') {
      const search = url.searchParams.get('search') ?? ''
      const found = [...servers.values()].filter((s) => (s as { name: string }).name.includes(search))
      return send(res, 200, { servers: found.map(entry), metadata: { count: found.length } })
    }
    return problem(res, 404, 'not found')
  }
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => problem(res, 500, String(error)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    publishes,
    servers,
    hold: (held) => void servers.set(`${held.name}@${held.version}`, held),
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  }
}
