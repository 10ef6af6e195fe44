import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http'
import { sha256 } from '@polyship/core'

export interface ReferrersFake {
  readonly host: string
  readonly url: string
  /** How many GET /v2/<name>/referrers/<digest> it answered. */
  readonly apiCalls: () => number
  stop(): Promise<void>
}

interface Referrer {
  readonly mediaType: string
  readonly digest: string
  readonly size: number
  readonly artifactType?: string
  readonly annotations?: Record<string, string>
}

/**
 * A fake of the one part of distribution spec 1.1 Debian's registry lacks, put in front
 * of a real registry: it answers `GET /v2/<name>/referrers/<digest>` from the manifests
 * with a `subject` it saw pushed, and adds the `OCI-Subject` header to those pushes.
 * Everything else is forwarded untouched.
 */
export async function startReferrersFake(options: { readonly target: string }): Promise<ReferrersFake> {
  const target = new URL(options.target)
  const bySubject = new Map<string, Referrer[]>()
  let apiCalls = 0

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname
    const referrers = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/.exec(path)
    if (req.method === 'GET' && referrers !== null) {
      apiCalls++
      const artifactType = new URL(req.url ?? '/', 'http://fake').searchParams.get('artifactType')
      const all = bySubject.get(`${referrers[1]}@${referrers[2]}`) ?? []
      const manifests = artifactType === null ? all : all.filter((r) => r.artifactType === artifactType)
      res.writeHead(200, {
        'content-type': 'application/vnd.oci.image.index.v1+json',
        ...(artifactType === null ? {} : { 'oci-filters-applied': 'artifactType' }),
      })
      res.end(
        JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
      )
      return
    }
    const manifestPut = /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(path)
    if (req.method === 'PUT' && manifestPut !== null) {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const body = Buffer.concat(chunks)
        const subject = subjectOf(body)
        forward(req, res, target, body, (status) => {
          if (subject === undefined || status !== 201) return {}
          const key = `${manifestPut[1]}@${subject.digest}`
          const doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>
          const list = bySubject.get(key) ?? []
          const digest = sha256(body)
          if (!list.some((r) => r.digest === digest)) {
            const config = doc.config as { mediaType?: string } | undefined
            const artifactType = (doc.artifactType as string | undefined) ?? config?.mediaType
            list.push({
              mediaType: String(doc.mediaType ?? req.headers['content-type']),
              digest,
              size: body.length,
              ...(artifactType === undefined ? {} : { artifactType }),
              ...(doc.annotations === undefined
                ? {}
                : { annotations: doc.annotations as Record<string, string> }),
            })
            bySubject.set(key, list)
          }
          return { 'oci-subject': subject.digest }
        })
      })
      return
    }
    forward(req, res, target, undefined, () => ({}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    apiCalls: () => apiCalls,
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function subjectOf(body: Buffer): { digest: string } | undefined {
  try {
    const subject = (JSON.parse(body.toString('utf8')) as { subject?: { digest?: unknown } }).subject
    return typeof subject?.digest === 'string' ? { digest: subject.digest } : undefined
  } catch {
    return undefined
  }
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  body: Buffer | undefined,
  extraHeaders: (status: number) => Record<string, string>,
): void {
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, {
        ...answer.headers,
        ...extraHeaders(answer.statusCode ?? 502),
      })
      answer.pipe(res)
    },
  )
  upstream.on('error', () => req.socket.destroy())
  if (body === undefined) req.pipe(upstream)
  else upstream.end(body)
}
