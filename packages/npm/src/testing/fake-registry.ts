import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One publish the fake received: the package and the document PUT, parsed. */
export interface FakePublish {
  readonly name: string
  readonly document: {
    readonly versions: Readonly<Record<string, { readonly dist?: Record<string, unknown> }>>
    readonly _attachments: Readonly<
      Record<string, { readonly content_type: string; readonly data: string; readonly length: number }>
    >
  }
}

export interface FakeNpmRegistry {
  /** The registry URL, with a trailing slash. */
  readonly url: string
  readonly publishes: readonly FakePublish[]
  stop(): Promise<void>
}

/**
 * A loopback fake of the three npm registry endpoints a publish uses: `GET /<name>` (the
 * packument of what it was sent), `PUT /<name>` (the publish document, recorded whole,
 * `_attachments` included, so a test can read the provenance npm's registry would get)
 * and `PUT /-/package/<name>/dist-tags/<tag>`. registry.npmjs.org cannot be reached from
 * tests; Verdaccio runs for everything else, but drops provenance.
 */
export async function startFakeNpmRegistry(): Promise<FakeNpmRegistry> {
  const publishes: FakePublish[] = []
  const packuments = new Map<
    string,
    { versions: Record<string, unknown>; 'dist-tags': Record<string, string> }
  >()
  const server = createServer((req, res) => {
    readBody(req).then(
      (body) => {
        const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1))
        const tag = /^-\/package\/(.+)\/dist-tags\/([^/]+)$/.exec(path)
        if (req.method === 'PUT' && tag !== null) {
          const packument = packuments.get(tag[1]!)
          if (packument === undefined) return res.writeHead(404).end('{}')
          packument['dist-tags'][tag[2]!] = JSON.parse(body.toString()) as string
          return res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}')
        }
        if (req.method === 'PUT') {
          const document = JSON.parse(body.toString()) as FakePublish['document'] & {
            'dist-tags': Record<string, string>
          }
          publishes.push({ name: path, document })
          const packument = packuments.get(path) ?? { versions: {}, 'dist-tags': {} }
          Object.assign(packument.versions, document.versions)
          Object.assign(packument['dist-tags'], document['dist-tags'])
          packuments.set(path, packument)
          return res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}')
        }
        const packument = packuments.get(path)
        if (req.method === 'GET' && packument !== undefined)
          return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument))
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
      },
      (error: unknown) => res.writeHead(500).end(String(error)),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    publishes,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
