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

/**
 * Why a request failed: the code of node's error (`ECONNREFUSED`, `ENOTFOUND`...), or of
 * its cause for `fetch` ("fetch failed" says nothing), else the message.
 */
export function networkErrorReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  const code = (error as { code?: unknown }).code
  return (
    cause?.code ??
    (typeof code === 'string' ? code : undefined) ??
    cause?.message ??
    (error as Error).message ??
    String(error)
  )
}
