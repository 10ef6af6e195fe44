import type { Readable } from 'node:stream'

/** Reads a whole stream into memory, refusing more than `limit` bytes. For manifests and small answers only. */
export async function readAll(stream: Readable, limit: number, onOverflow: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    size += (chunk as Buffer).length
    if (size > limit) {
      stream.destroy()
      throw onOverflow()
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, size)
}

/** `scheme://host/path` of a URL, without userinfo, query or fragment: what messages name. */
export function originOf(url: string): string {
  if (!URL.canParse(url)) return '(an unparseable URL)'
  const parsed = new URL(url)
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
}

/** Why `fetch` failed, from its cause (`ECONNREFUSED`, `ENOTFOUND`...) rather than "fetch failed". */
export function networkErrorReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error)
}
