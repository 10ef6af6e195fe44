import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

interface FakeAsset {
  id: number
  name: string
  size: number
  digest: string | null
  bytes: Buffer
}

interface FakeRelease {
  id: number
  tag_name: string
  name: string
  body: string
  draft: boolean
  assets: FakeAsset[]
}

/**
 * A loopback FAKE of the GitHub Releases endpoints polyship uses (GitHub cannot be reached
 * here): list/create/patch releases, list/upload/delete/download assets, bearer auth, and
 * the public download URLs of published releases (github.com/<repo>/releases/download/...).
 * `omitDigests` imitates assets uploaded before GitHub computed digests.
 */
export class FakeGitHub {
  readonly releases: FakeRelease[] = []
  readonly requests: string[] = []
  /** JSON bodies of release creations and updates, in order. */
  readonly bodies: { readonly request: string; readonly body: Record<string, unknown> }[] = []
  omitDigests = false
  /** Answers for the next authenticated requests: a status, or a status with headers (rate limits). */
  failNext: (number | { status: number; headers: Record<string, string>; message?: string })[] = []
  #server: Server | undefined
  #nextId = 1
  url = ''
  readonly token: string

  constructor(token: string) {
    this.token = token
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const reply = this.#handle(req, Buffer.concat(chunks))
        res.writeHead(reply.status, reply.headers ?? { 'content-type': 'application/json' })
        res.end(
          reply.body === undefined
            ? ''
            : Buffer.isBuffer(reply.body)
              ? reply.body
              : JSON.stringify(reply.body),
        )
      })
    })
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
    return this.url
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.#server?.close(resolve))
  }

  #view(release: FakeRelease) {
    return {
      id: release.id,
      tag_name: release.tag_name,
      name: release.name,
      body: release.body,
      draft: release.draft,
      html_url: `${this.url}/owner/repo/releases/tag/${release.tag_name}`,
      upload_url: `${this.url}/uploads/repos/owner/repo/releases/${release.id}/assets{?name,label}`,
    }
  }

  #handle(
    req: IncomingMessage,
    body: Buffer,
  ): { status: number; body?: unknown; headers?: Record<string, string> } {
    const url = new URL(req.url ?? '/', this.url)
    this.requests.push(`${req.method} ${url.pathname}`)
    if (req.headers['content-type'] === 'application/json')
      this.bodies.push({ request: `${req.method} ${url.pathname}`, body: JSON.parse(body.toString()) })
    const download = url.pathname.match(/^\/owner\/repo\/releases\/download\/([^/]+)\/([^/]+)$/)
    if (download && req.method === 'GET') {
      // github.com serves the assets of published releases to anyone
      const tag = decodeURIComponent(download[1]!)
      const name = decodeURIComponent(download[2]!)
      const release = this.releases.find((r) => r.tag_name === tag && !r.draft)
      const asset = release?.assets.find((a) => a.name === name)
      if (!asset) return { status: 404, body: { message: 'Not Found' } }
      return { status: 200, body: asset.bytes, headers: { 'content-type': 'application/octet-stream' } }
    }
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return { status: 401, body: { message: 'Bad credentials' } }
    const failure = this.failNext.shift()
    if (typeof failure === 'number') return { status: failure, body: { message: 'injected' } }
    if (failure !== undefined)
      return {
        status: failure.status,
        body: { message: failure.message ?? 'injected' },
        headers: { 'content-type': 'application/json', ...failure.headers },
      }
    if (req.method === 'GET' && url.pathname === '/repos/owner/repo/releases') {
      return { status: 200, body: this.releases.map((r) => this.#view(r)) }
    }
    if (req.method === 'POST' && url.pathname === '/repos/owner/repo/releases') {
      const input = JSON.parse(body.toString()) as {
        tag_name: string
        name: string
        body: string
        draft: boolean
      }
      if (this.releases.some((r) => r.tag_name === input.tag_name))
        return { status: 422, body: { message: 'already_exists' } }
      const release = {
        id: this.#nextId++,
        tag_name: input.tag_name,
        name: input.name,
        body: input.body,
        draft: input.draft,
        assets: [],
      }
      this.releases.push(release)
      return { status: 201, body: this.#view(release) }
    }
    const releaseMatch = url.pathname.match(/^\/repos\/owner\/repo\/releases\/(\d+)$/)
    const assetsMatch = url.pathname.match(/^\/repos\/owner\/repo\/releases\/(\d+)\/assets$/)
    const uploadMatch = url.pathname.match(/^\/uploads\/repos\/owner\/repo\/releases\/(\d+)\/assets$/)
    const assetMatch = url.pathname.match(/^\/repos\/owner\/repo\/releases\/assets\/(\d+)$/)
    if (releaseMatch && req.method === 'PATCH') {
      const match = releaseMatch
      const release = this.releases.find((r) => r.id === Number(match[1]))
      if (!release) return { status: 404, body: { message: 'Not Found' } }
      Object.assign(release, JSON.parse(body.toString()))
      return { status: 200, body: this.#view(release) }
    }
    if (assetsMatch && req.method === 'GET') {
      const match = assetsMatch
      const release = this.releases.find((r) => r.id === Number(match[1]))
      // GitHub pages lists: per_page (default 30, at most 100), page, Link rel="next"
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30))
      const page = Number(url.searchParams.get('page') ?? 1)
      const all = release?.assets ?? []
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (page * perPage < all.length) {
        const next = new URL(url)
        next.searchParams.set('page', String(page + 1))
        headers.link = `<${next.href}>; rel="next", <${url.href}>; rel="first"`
      }
      return {
        status: 200,
        headers,
        body: all.slice((page - 1) * perPage, page * perPage).map((a) => ({
          id: a.id,
          name: a.name,
          size: a.size,
          digest: this.omitDigests ? null : a.digest,
          url: `${this.url}/repos/owner/repo/releases/assets/${a.id}`,
        })),
      }
    }
    if (uploadMatch && req.method === 'POST') {
      const match = uploadMatch
      const release = this.releases.find((r) => r.id === Number(match[1]))
      const name = url.searchParams.get('name') ?? ''
      if (!release) return { status: 404, body: { message: 'Not Found' } }
      if (release.assets.some((a) => a.name === name))
        return { status: 422, body: { message: 'already_exists' } }
      const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`
      release.assets.push({ id: this.#nextId++, name, size: body.length, digest, bytes: body })
      return { status: 201, body: { name } }
    }
    if (assetMatch) {
      const match = assetMatch
      const id = Number(match[1])
      const release = this.releases.find((r) => r.assets.some((a) => a.id === id))
      const asset = release?.assets.find((a) => a.id === id)
      if (!release || !asset) return { status: 404, body: { message: 'Not Found' } }
      if (req.method === 'DELETE') {
        release.assets = release.assets.filter((a) => a.id !== id)
        return { status: 204 }
      }
      return { status: 200, body: asset.bytes, headers: { 'content-type': 'application/octet-stream' } }
    }
    return { status: 404, body: { message: `fake has no ${req.method} ${url.pathname}` } }
  }
}
