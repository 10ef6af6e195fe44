import { createHash } from 'node:crypto'
import type { Digest } from '@polyship/core'
import { WheelError } from '../errors.ts'
import type { NormalizedName } from '../names.ts'
import { bodyExcerpt, type SendOptions, send } from './http.ts'

/** A file an index lists for a project. */
export interface IndexedFile {
  readonly filename: string
  /** Absolute URL of the file, fragment removed. */
  readonly url: string
  readonly sha256?: string
}

export interface IndexReadOptions extends SendOptions {
  /** Authorization headers for a URL; return none for hosts the credentials are not meant for. */
  readonly authorize?: (url: string) => Record<string, string>
}

const ACCEPT =
  'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1'
const MAX_REDIRECTS = 5

/**
 * Lists a project's files from a simple repository API: PEP 691 JSON when the index
 * speaks it, PEP 503 HTML otherwise, hashes from `hashes.sha256` or `#sha256=` fragments.
 * Returns an empty map when the project is not on the index (404, or a redirect to
 * another host such as pypiserver's fallback to pypi.org).
 */
export async function listProjectFiles(
  simpleUrl: string,
  project: NormalizedName,
  options: IndexReadOptions,
): Promise<Map<string, IndexedFile>> {
  let url = new URL(`${project}/`, simpleUrl.endsWith('/') ? simpleUrl : `${simpleUrl}/`).href
  for (let hop = 0; ; hop++) {
    const response = await send(
      url,
      () => ({ headers: { accept: ACCEPT, ...options.authorize?.(url) } }),
      options,
    )
    if (response.status === 404) {
      await response.body?.cancel()
      return new Map()
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel()
      const location = response.headers.get('location')
      if (location === null || hop >= MAX_REDIRECTS)
        throw badAnswer(options.what, url, `${response.status} without a usable Location`)
      const next = new URL(location, url)
      if (next.origin !== new URL(url).origin) return new Map()
      url = next.href
      continue
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel()
      throw new WheelError(
        'WHEEL_UPLOAD_FORBIDDEN',
        `${options.what}: ${url} refused to list the project (${response.status} ${response.statusText})`,
        { hint: 'the index needs credentials to read it too; check the token (it is never printed)' },
      )
    }
    if (!response.ok)
      throw badAnswer(
        options.what,
        url,
        `${response.status} ${response.statusText}: ${await bodyExcerpt(response)}`,
      )
    const type = response.headers.get('content-type') ?? ''
    const text = await response.text()
    const files = type.includes('application/vnd.pypi.simple.v1+json')
      ? fromJson(text, url, options.what)
      : fromHtml(text, url)
    return new Map(files.map((file) => [file.filename, file]))
  }
}

function badAnswer(what: string, url: string, detail: string): WheelError {
  return new WheelError('WHEEL_INDEX_ERROR', `${what}: unexpected answer from ${url}: ${detail}`, {
    hint: 'check that the URL points at a PyPI-compatible simple index',
  })
}

function fromJson(text: string, base: string, what: string): IndexedFile[] {
  let doc: { files?: { filename?: unknown; url?: unknown; hashes?: { sha256?: unknown } }[] }
  try {
    doc = JSON.parse(text)
  } catch (cause) {
    throw badAnswer(what, base, `not JSON (${(cause as Error).message})`)
  }
  return (doc.files ?? []).flatMap((file) => {
    if (typeof file.filename !== 'string' || typeof file.url !== 'string') return []
    const url = new URL(file.url, base)
    url.hash = ''
    const sha256 = file.hashes?.sha256
    return [
      {
        filename: file.filename,
        url: url.href,
        ...(typeof sha256 === 'string' ? { sha256: sha256.toLowerCase() } : {}),
      },
    ]
  })
}

/** PEP 503: every `<a href>` is a file; its text is the file name. */
export function fromHtml(html: string, base: string): IndexedFile[] {
  const out: IndexedFile[] = []
  for (const match of html.matchAll(
    /<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>([\s\S]*?)<\/a\s*>/gi,
  )) {
    const href = decodeEntities(match[1] ?? match[2] ?? match[3] ?? '')
    const url = new URL(href, base)
    const fragment = /(?:^|&)sha256=([a-f0-9]{64})/i.exec(url.hash.slice(1))?.[1]
    url.hash = ''
    const text = decodeEntities(match[4]!.replace(/<[^>]*>/g, '').trim())
    const filename = text || decodeURIComponent(url.pathname.split('/').pop() ?? '')
    out.push({
      filename,
      url: url.href,
      ...(fragment === undefined ? {} : { sha256: fragment.toLowerCase() }),
    })
  }
  return out
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_, entity: string) => {
    const lower = entity.toLowerCase()
    if (lower.startsWith('#x')) return String.fromCodePoint(Number.parseInt(lower.slice(2), 16))
    if (lower.startsWith('#')) return String.fromCodePoint(Number(lower.slice(1)))
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[lower] ?? ''
  })
}

/** sha256 of a listed file: from the listing, or by downloading it when the index gives no hash. */
export async function digestOf(file: IndexedFile, options: IndexReadOptions): Promise<Digest> {
  if (file.sha256 !== undefined) return `sha256:${file.sha256}`
  const response = await send(file.url, () => ({ headers: { ...options.authorize?.(file.url) } }), options)
  if (!response.ok || response.body === null)
    throw badAnswer(
      options.what,
      file.url,
      `${response.status} ${response.statusText} while downloading it to compare hashes`,
    )
  const hash = createHash('sha256')
  for await (const chunk of response.body) hash.update(chunk)
  return `sha256:${hash.digest('hex')}`
}
