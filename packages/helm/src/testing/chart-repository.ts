import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, normalize } from 'node:path'

/** A Helm chart repository on loopback, serving a directory (index.yaml and .tgz files) as is. */
export interface ChartRepository {
  /** `http://127.0.0.1:<port>`: what a Chart.yaml dependency's `repository` names. */
  readonly url: string
  /** Paths asked for, in order (`/index.yaml`, `/redis-lite-1.0.0.tgz`). */
  readonly requests: readonly string[]
  /** Answer this path with other bytes from now on (a replaced or corrupted chart). */
  replace(path: string, body: Uint8Array | string): void
  stop(): Promise<void>
}

/**
 * Serves `dir` over plain HTTP on 127.0.0.1, as a static chart repository (GitHub Pages,
 * S3, chartmuseum's static view) does: GET only, 404 for anything missing.
 */
export async function startChartRepository(dir: string): Promise<ChartRepository> {
  const requests: string[] = []
  const replaced = new Map<string, Uint8Array | string>()
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    requests.push(path)
    const body = replaced.get(path)
    if (body !== undefined) {
      res.writeHead(200).end(body)
      return
    }
    const file = normalize(join(dir, decodeURIComponent(path)))
    if (req.method !== 'GET' || !file.startsWith(dir)) {
      res.writeHead(405).end()
      return
    }
    readFile(file).then(
      (bytes) => res.writeHead(200, { 'content-length': bytes.length }).end(bytes),
      () => res.writeHead(404).end('not found'),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    replace: (path, body) => void replaced.set(path, body),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
