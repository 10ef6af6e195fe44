import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import http, { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import https, { createServer as createTlsServer } from 'node:https'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  exchangeFollowing,
  isCredentialHeader,
  MAX_REDIRECTS,
  type NetError,
  type NetLimits,
  netLimits,
  readAll,
  sendWithRetry,
} from '@polyship/core'
import { afterEach, describe, expect, it } from 'vitest'

const LIMITS: NetLimits = netLimits({}, { connectMs: 2000, idleMs: 5000, deadlineMs: 10_000 })
const TOKEN = 'registry-bearer-token-7f3a'
const CREDENTIALS = {
  authorization: `Bearer ${TOKEN}`,
  cookie: 'session=s3cr3t',
  'x-api-key': 'key-123',
  'private-token': 'glpat-456',
}

interface Seen {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage['headers']
  readonly body: string
}

interface Origin {
  readonly url: string
  readonly seen: Seen[]
}

const servers: Server[] = []
const sockets = new Set<Socket>()
const dirs: string[] = []
afterEach(async () => {
  for (const socket of sockets) socket.destroy()
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
  servers.length = 0
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
  dirs.length = 0
})

/** A loopback origin (its own port) answering with `route`, recording what each request carried. */
async function origin(
  route: (seen: Seen, res: ServerResponse) => void,
  tls?: { key: Buffer; cert: Buffer },
): Promise<Origin> {
  const seen: Seen[] = []
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const one = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      }
      seen.push(one)
      route(one, res)
    })
  }
  const server = tls === undefined ? createServer(handle) : createTlsServer(tls, handle)
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return { url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`, seen }
}

const tooLarge = () => new Error('answer larger than expected')

const redirect = (res: ServerResponse, status: number, location: string) => {
  res.writeHead(status, { location })
  res.end()
}

/** Blob storage that echoes back every header it was sent (a hostile host collecting credentials). */
const echo = (seen: Seen, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ method: seen.method, headers: seen.headers, body: seen.body }))
}

async function text(
  promise: ReturnType<typeof exchangeFollowing>,
): Promise<{ status: number; text: string }> {
  const answer = await promise
  return { status: answer.status, text: (await readAll(answer.body, 1 << 20, tooLarge)).toString() }
}

async function failure(promise: Promise<unknown>): Promise<NetError> {
  return (await promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (e: unknown) => e,
  )) as NetError
}

describe('redirect rules (loopback origins, one per port)', () => {
  it('sends credential headers to the first origin only: blob storage on another origin gets none', async () => {
    const storage = await origin(echo)
    const registry = await origin((seen, res) =>
      seen.path === '/v2/blob'
        ? redirect(res, 301, '/v2/moved')
        : redirect(res, 307, `${storage.url}/bucket/blob?X-Amz-Signature=abc`),
    )
    const answer = await text(
      exchangeFollowing(
        {
          method: 'GET',
          url: new URL(`${registry.url}/v2/blob`),
          headers: { ...CREDENTIALS, accept: 'application/octet-stream' },
        },
        { limits: LIMITS, what: 'fetch blob' },
      ),
    )
    expect(answer.status).toBe(200)
    expect(answer.text).not.toContain(TOKEN)
    expect(answer.text).not.toContain('s3cr3t')
    const stored = storage.seen[0]!
    expect(stored.path).toBe('/bucket/blob?X-Amz-Signature=abc')
    expect(stored.headers.accept).toBe('application/octet-stream')
    for (const name of Object.keys(CREDENTIALS)) expect(stored.headers[name]).toBeUndefined()
    // the registry's own redirect (same origin) kept the token
    expect(registry.seen.map((s) => [s.path, s.headers.authorization])).toEqual([
      ['/v2/blob', `Bearer ${TOKEN}`],
      ['/v2/moved', `Bearer ${TOKEN}`],
    ])
  })

  it('a redirect loop is NET_REDIRECT_LIMIT naming the host, after one visit of each URL', async () => {
    const looping = await origin((seen, res) => redirect(res, 302, seen.path === '/a' ? '/b' : '/a'))
    const error = await failure(
      exchangeFollowing(
        { method: 'GET', url: new URL(`${looping.url}/a`) },
        { limits: LIMITS, what: 'download x' },
      ),
    )
    expect(error.code).toBe('NET_REDIRECT_LIMIT')
    expect(error.message).toContain(new URL(looping.url).host)
    expect(error.message).toContain('loop')
    expect(looping.seen.map((s) => s.path)).toEqual(['/a', '/b'])
  })

  it(`follows at most ${MAX_REDIRECTS} redirects, then NET_REDIRECT_LIMIT`, async () => {
    const endless = await origin((seen, res) =>
      redirect(res, 302, `/hop/${Number(seen.path.split('/')[2]) + 1}`),
    )
    const error = await failure(
      exchangeFollowing(
        { method: 'GET', url: new URL(`${endless.url}/hop/0`) },
        { limits: LIMITS, what: 'download x' },
      ),
    )
    expect(error.code).toBe('NET_REDIRECT_LIMIT')
    expect(endless.seen).toHaveLength(MAX_REDIRECTS + 1)
  })

  it('never follows https to plain http: NET_REDIRECT_DOWNGRADE, nothing sent to the http host', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'polyship-redirect-tls-'))
    dirs.push(dir)
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ],
      { stdio: 'ignore' },
    )
    const plain = await origin(echo)
    const secure = await origin((_seen, res) => redirect(res, 302, `${plain.url}/blob`), {
      key: await readFile(join(dir, 'key.pem')),
      cert: await readFile(join(dir, 'cert.pem')),
    })
    const agents = { http: new http.Agent(), https: new https.Agent({ rejectUnauthorized: false }) }
    const error = await failure(
      exchangeFollowing(
        { method: 'GET', url: new URL(`${secure.url}/blob`), headers: CREDENTIALS },
        { limits: LIMITS, what: 'fetch blob', agents },
      ),
    )
    expect(error.code).toBe('NET_REDIRECT_DOWNGRADE')
    expect(error.message).toContain(new URL(secure.url).host)
    expect(secure.seen).toHaveLength(1)
    expect(plain.seen).toHaveLength(0)
  })

  it('307/308 keep the method and a replayable body; POST on 302, or a body read once, is NET_REDIRECT_REFUSED', async () => {
    const target = await origin(echo)
    const source = await origin((seen, res) =>
      redirect(res, seen.path === '/found' ? 302 : 308, `${target.url}/upload`),
    )
    const put = await text(
      exchangeFollowing(
        { method: 'PUT', url: new URL(`${source.url}/permanent`), body: new TextEncoder().encode('payload') },
        { limits: LIMITS, what: 'upload x' },
      ),
    )
    expect(JSON.parse(put.text)).toMatchObject({ method: 'PUT', body: 'payload' })

    const posted = await failure(
      exchangeFollowing(
        { method: 'POST', url: new URL(`${source.url}/found`), body: new TextEncoder().encode('form') },
        { limits: LIMITS, what: 'upload x' },
      ),
    )
    expect(posted.code).toBe('NET_REDIRECT_REFUSED')
    expect(posted.message).toContain(new URL(source.url).host)

    const streamed = await failure(
      exchangeFollowing(
        {
          method: 'PUT',
          url: new URL(`${source.url}/permanent`),
          body: async function* () {
            yield new TextEncoder().encode('once')
          },
        },
        { limits: LIMITS, what: 'upload x', replayable: false },
      ),
    )
    expect(streamed.code).toBe('NET_REDIRECT_REFUSED')
    expect(target.seen).toHaveLength(1)
  })

  it('a Location that is not an http(s) URL is NET_REDIRECT_INVALID', async () => {
    const odd = await origin((_seen, res) => redirect(res, 302, 'file:///etc/passwd'))
    const error = await failure(
      exchangeFollowing(
        { method: 'GET', url: new URL(`${odd.url}/x`) },
        { limits: LIMITS, what: 'download x' },
      ),
    )
    expect(error.code).toBe('NET_REDIRECT_INVALID')
  })

  it('sendWithRetry returns redirects as they are by default, follows them with maxRedirects, retries from the first URL', async () => {
    let failures = 1
    const storage = await origin((seen, res) => {
      if (failures-- > 0) {
        res.writeHead(503)
        res.end()
        return
      }
      echo(seen, res)
    })
    const registry = await origin((_seen, res) => redirect(res, 302, `${storage.url}/blob`))
    const request = () => ({ method: 'GET', url: new URL(`${registry.url}/v2/blob`), headers: CREDENTIALS })
    const deps = { sleep: async () => {} }

    const manual = await sendWithRetry(request, { limits: LIMITS, what: 'fetch blob', deps })
    manual.body.destroy()
    expect(manual.status).toBe(302)

    const followed = await sendWithRetry(request, {
      limits: LIMITS,
      what: 'fetch blob',
      deps,
      maxRedirects: MAX_REDIRECTS,
    })
    const echoed = JSON.parse((await readAll(followed.body, 1 << 20, tooLarge)).toString())
    expect(followed.status).toBe(200)
    expect(followed.tries).toBe(2)
    expect(followed.url.href).toBe(`${storage.url}/blob`)
    expect(JSON.stringify(echoed)).not.toContain(TOKEN)
    expect(registry.seen).toHaveLength(3)
  })

  it('names credential headers by what they carry', () => {
    for (const name of [
      'Authorization',
      'proxy-authorization',
      'Cookie',
      'X-Api-Key',
      'private-token',
      'x-auth-token',
    ])
      expect(isCredentialHeader(name)).toBe(true)
    for (const name of ['accept', 'user-agent', 'content-type', 'range'])
      expect(isCredentialHeader(name)).toBe(false)
  })
})
