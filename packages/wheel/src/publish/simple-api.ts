import { type Digest, digestStream, redact, redirectHop } from '@polyship/core'
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
/** Largest distribution file downloaded to compare hashes (PyPI's own limit is lower). */
const MAX_FILE_BYTES = 4 * 1024 ** 3

/**
 * Lists a project's files from a simple repository API: PEP 691 JSON when the index
 * speaks it, PEP 503 HTML otherwise, hashes from `hashes.sha256` or `#sha256=` fragments.
 * Returns an empty map when the project is not on the index (404, or a redirect to
 * another origin such as pypiserver's fallback to pypi.org). Redirects within the index
 * follow core's rules (`redirectHop`: bounded, never from https to plain http).
 */
export async function listProjectFiles(
  simpleUrl: string,
  project: NormalizedName,
  options: IndexReadOptions,
): Promise<Map<string, IndexedFile>> {
  const chain = [new URL(`${project}/`, simpleUrl.endsWith('/') ? simpleUrl : `${simpleUrl}/`)]
  for (;;) {
    const url = chain.at(-1)!.href
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
      const location = response.headers.get('location') ?? undefined
      const hop = redirectHop(
        { method: 'GET', chain, hasBody: false, replayable: true, what: options.what },
        { status: response.status, headers: location === undefined ? {} : { location } },
      )
      if (hop === undefined)
        throw badAnswer(options.what, url, `${response.status} without a usable Location`)
      if (hop.url.origin !== chain[0]!.origin) return new Map()
      chain.push(hop.url)
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
        options.secrets,
      )
    const type = response.headers.get('content-type') ?? ''
    const text = await response.text()
    const files = /application\/(vnd\.pypi\.simple\.v1\+)?json/.test(type)
      ? fromJson(text, url, options.what)
      : fromHtml(text, url)
    if (files.length === 0 && /<form[\s>]|<input[\s>]/i.test(text)) {
      // A login page or a web UI: PEP 503 pages are anchors only, never forms.
      throw badAnswer(
        options.what,
        url,
        `200 with ${type || 'no content type'}, a page with a form and no file links, not a simple index page`,
      )
    }
    return new Map(files.map((file) => [file.filename, file]))
  }
}

function badAnswer(what: string, url: string, detail: string, secrets: readonly string[] = []): WheelError {
  // An index may echo the request's Authorization header in its error page.
  return new WheelError(
    'WHEEL_INDEX_ERROR',
    redact(`${what}: unexpected answer from ${url}: ${detail}`, secrets),
    {
      hint: 'check that the URL points at a PyPI-compatible simple index',
    },
  )
}

function fromJson(text: string, base: string, what: string): IndexedFile[] {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (cause) {
    throw badAnswer(what, base, `not JSON (${(cause as Error).message}): "${excerptOf(text)}"`)
  }
  const files = (doc as { files?: unknown } | null)?.files ?? []
  if (!Array.isArray(files))
    throw badAnswer(what, base, 'a JSON document whose "files" is not a list (not PEP 691)')
  return files.flatMap((entry: unknown) => {
    const file = (entry ?? {}) as { filename?: unknown; url?: unknown; hashes?: { sha256?: unknown } | null }
    if (typeof file.filename !== 'string' || typeof file.url !== 'string') return []
    if (!URL.canParse(file.url, base))
      throw badAnswer(what, base, `a file URL that is not a URL: "${excerptOf(file.url)}"`)
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
    // a link that is not a URL cannot be a file of the index
    if (!URL.canParse(href, base)) continue
    const url = new URL(href, base)
    const fragment = /(?:^|&)sha256=([a-f0-9]{64})/i.exec(url.hash.slice(1))?.[1]
    url.hash = ''
    const text = decodeEntities(match[4]!.replace(/<[^>]*>/g, '').trim())
    const filename = text || safeDecode(url.pathname.split('/').pop() ?? '')
    out.push({
      filename,
      url: url.href,
      ...(fragment === undefined ? {} : { sha256: fragment.toLowerCase() }),
    })
  }
  return out
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function excerptOf(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 80)
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_, entity: string) => {
    const lower = entity.toLowerCase()
    const code = lower.startsWith('#x')
      ? Number.parseInt(lower.slice(2), 16)
      : lower.startsWith('#')
        ? Number(lower.slice(1))
        : undefined
    if (code !== undefined) return code <= 0x10ffff ? String.fromCodePoint(code) : ''
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[lower] ?? ''
  })
}

/** sha256 of a listed file: from the listing, or by downloading it when the index gives no hash. */
export async function digestOf(file: IndexedFile, options: IndexReadOptions): Promise<Digest> {
  if (file.sha256 !== undefined) return `sha256:${file.sha256}`
  // A file is hashed as it streams: it may be far larger than an answer's cap.
  const response = await send(
    file.url,
    () => ({ headers: { ...options.authorize?.(file.url) }, maxBytes: MAX_FILE_BYTES }),
    options,
  )
  if (!response.ok || response.body === null)
    throw badAnswer(
      options.what,
      file.url,
      `${response.status} ${response.statusText} while downloading it to compare hashes`,
    )
  return (await digestStream(response.body)).digest
}
