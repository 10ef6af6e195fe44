import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import {
  type AnswerVerdict,
  type Digest,
  defaultVerdict,
  digestFile,
  type ExchangeBody,
  formatDuration,
  header,
  isDigest,
  isLoopbackHostname,
  isNetError,
  type NetLimits,
  netLimits,
  networkErrorReason,
  originOf,
  type RetryAnswer,
  type RetryDeps,
  redact,
  redirectHop,
  retryAfterMs,
  sendWithRetry,
  toFetchResponse,
} from '@polyship/core'
import { ReleaseError } from '../release/errors.ts'
import type { PublishOutcome, Reconciliation } from './outcome.ts'

export interface GitHubRelease {
  readonly id: number
  readonly tag_name: string
  readonly draft: boolean
  readonly upload_url: string
  readonly html_url: string
}

export interface GitHubAsset {
  readonly id: number
  readonly name: string
  readonly size: number
  /** `sha256:<hex>`; GitHub computes it for every asset uploaded since mid-2025. */
  readonly digest?: string | null
  readonly url: string
}

export interface GitHubOptions {
  /** `owner/name` */
  readonly repository: string
  readonly token: string
  /** API root; `GITHUB_API_URL` in Actions, `https://api.github.com` otherwise. */
  readonly apiUrl?: string
  /** Web root assets are downloaded from; `GITHUB_SERVER_URL` in Actions, `https://github.com` otherwise. */
  readonly serverUrl?: string
  /** Read for the `POLYSHIP_HTTP_*` limits (connect, idle; default: the process's). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Delete and re-upload an asset whose bytes differ instead of stopping. */
  readonly replace?: boolean
  /** Deadline of one API call, in ms (default 60 s or POLYSHIP_HTTP_DEADLINE; transfers get more per byte). */
  readonly timeoutMs?: number
  /** Sleep (and clock) between retries: tests pass one that does not wait. */
  readonly retry?: RetryDeps
}

/** Largest API answer read (a release list page is a few hundred KiB). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024
/** Pages of assets read at most: GitHub keeps up to 1000 assets per release, 100 a page. */
const MAX_ASSET_PAGES = 20

/**
 * Core's retry rules plus GitHub's rate limits: a 403 or 429 with `retry-after` (the
 * secondary limits), or with `x-ratelimit-remaining: 0`, is retried when the limit lifts
 * (`x-ratelimit-reset`, epoch seconds), if that is soon enough; other 403s are final.
 */
export function githubVerdict(answer: RetryAnswer, now: number): AnswerVerdict {
  if (answer.status !== 403 && answer.status !== 429) return defaultVerdict(answer, now)
  const after = retryAfterMs(header(answer, 'retry-after'), now)
  if (after !== undefined) return { verdict: 'retry', afterMs: after }
  const reset = Number(header(answer, 'x-ratelimit-reset'))
  if (header(answer, 'x-ratelimit-remaining') === '0' && Number.isFinite(reset))
    return { verdict: 'retry', afterMs: Math.max(0, reset * 1000 - now) }
  return answer.status === 429 ? { verdict: 'retry' } : { verdict: 'final' }
}

/** The `rel="next"` URL of a Link header (RFC 8288), as GitHub pages lists. */
export function nextLink(link: string | null): string | undefined {
  for (const part of (link ?? '').split(',')) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part)
    if (match === null) continue
    const rels = match[2]!
      .split(';')
      .map((param) => /^\s*rel\s*=\s*"?([^"]*)"?\s*$/i.exec(param)?.[1])
      .find((value) => value !== undefined)
    if (rels?.toLowerCase().split(/\s+/).includes('next')) return match[1]
  }
  return undefined
}

interface SendInit {
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: ExchangeBody
  /** Bytes moved (an upload, an asset download): extends the deadline by the slowest accepted rate. */
  readonly transferBytes?: number
  readonly maxBytes?: number
  /** A non-GET whose repeat is harmless (an asset upload answered 422 the second time, a PATCH). */
  readonly idempotent?: boolean
}

/**
 * An API or web root from the environment, checked before any token is sent: a URL,
 * http(s), no userinfo (never printed), and https unless the host is loopback, since
 * every request carries the token.
 */
function checkedRoot(text: string, variable: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ReleaseError('RELEASE_GITHUB_FAILED', `${variable} is not a URL: "${redact(text)}"`, {
      hint: `set ${variable} to https://api.github.com (or https://HOST/api/v3 for GitHub Enterprise Server), or unset it`,
    })
  }
  const shown = originOf(text)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ReleaseError('RELEASE_GITHUB_FAILED', `${variable} ${shown} is not an http(s) URL`, {
      hint: `set ${variable} to an https:// URL`,
    })
  }
  if (url.username !== '' || url.password !== '') {
    throw new ReleaseError('RELEASE_GITHUB_FAILED', `${variable} ${shown} carries credentials in the URL`, {
      hint: `remove the user:password@ part from ${variable}; polyship sends GITHUB_TOKEN in a header itself`,
    })
  }
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
    throw new ReleaseError(
      'RELEASE_GITHUB_FAILED',
      `${variable} ${shown} is plain http: the GitHub token would be sent unencrypted to ${url.host}`,
      { hint: `use https:// for ${variable} (plain http is only accepted on loopback)` },
    )
  }
  return url.href.replace(/\/$/, '')
}

/** A network failure as a coded error naming GitHub's host and what gave out, never a stack trace. */
function githubNetworkError(error: unknown, host: string, timeoutMs: number, token: string): ReleaseError {
  const reason = !isNetError(error)
    ? `could not be reached (${redact(networkErrorReason(error), [token])})`
    : error.failure === 'deadline'
      ? `did not answer within ${formatDuration(timeoutMs)} (deadline)`
      : `failed: ${redact(error.message, [token])}`
  return new ReleaseError('RELEASE_GITHUB_FAILED', `GitHub at ${host} ${reason}`, {
    hint:
      isNetError(error) && error.failure === 'tls'
        ? (error.hint ?? 'check the scheme of GITHUB_API_URL')
        : 'check GITHUB_API_URL and the network, then re-run: the release is reconciled',
    cause: error,
  })
}

/** An answer's body as text; the exchange refuses more than MAX_ANSWER_BYTES. */
async function answerText(
  response: Response,
  what: string,
  host: string,
  timeoutMs: number,
): Promise<string> {
  if (response.body === null) return ''
  const type = response.headers.get('content-type') ?? 'no content type'
  try {
    return await response.text()
  } catch (error) {
    if (isNetError(error) && error.failure === 'size') {
      throw new ReleaseError(
        'RELEASE_GITHUB_FAILED',
        `GitHub ${what} answered more than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB (${type})`,
        { hint: 'GITHUB_API_URL must be the API root, not a file or web server' },
      )
    }
    throw githubNetworkError(error, host, timeoutMs, '')
  }
}

export interface ReleaseFile {
  readonly name: string
  readonly path: string
  readonly digest: Digest
}

/**
 * GitHub Releases as a reconciling destination: the release is created as a draft, assets
 * are compared by digest (same bytes: unchanged; other bytes: conflict unless `replace`),
 * and the release is published last, so nobody sees a half-uploaded release.
 */
export class GitHubReleases {
  readonly #options: GitHubOptions
  readonly #api: string
  readonly #server: string
  readonly #limits: NetLimits
  readonly #timeoutMs: number

  constructor(options: GitHubOptions) {
    if (!/^[\w.-]+\/[\w.-]+$/.test(options.repository)) {
      throw new ReleaseError(
        'RELEASE_GITHUB_FAILED',
        `"${options.repository}" is not a GitHub repository (owner/name)`,
        {
          hint: 'set destinations.files.repository in polyship.json to owner/name',
        },
      )
    }
    this.#options = options
    this.#api = checkedRoot(options.apiUrl ?? 'https://api.github.com', 'GITHUB_API_URL')
    this.#server = checkedRoot(options.serverUrl ?? 'https://github.com', 'GITHUB_SERVER_URL')
    this.#limits = netLimits(
      options.env ?? process.env,
      options.timeoutMs === undefined ? {} : { deadlineMs: options.timeoutMs },
    )
    this.#timeoutMs = this.#limits.deadlineMs
  }

  /**
   * A request through core's retrying send (connect and idle timeouts, the deadline, the
   * size cap, no redirects followed; 5xx, connection failures and rate limits retried,
   * see `githubVerdict`); a connection refused, reset, timed out or a TLS mismatch becomes
   * a coded error naming the host and what failed, never a stack trace.
   */
  async #send(url: string, init: SendInit): Promise<Response> {
    const host = URL.canParse(url) ? new URL(url).host : originOf(url)
    try {
      const answer = await sendWithRetry(
        () => ({
          method: init.method ?? 'GET',
          url: new URL(url),
          headers: { 'user-agent': 'polyship', ...init.headers },
          ...(init.body === undefined ? {} : { body: init.body }),
          ...(init.transferBytes === undefined ? {} : { transferBytes: init.transferBytes }),
          maxBytes: init.maxBytes ?? MAX_ANSWER_BYTES,
        }),
        {
          limits: this.#limits,
          what: `GitHub ${init.method ?? 'GET'} ${originOf(url)}`,
          verdict: githubVerdict,
          secrets: [this.#options.token],
          ...(init.idempotent === undefined ? {} : { idempotent: init.idempotent }),
          ...(this.#options.retry === undefined ? {} : { deps: this.#options.retry }),
        },
      )
      return toFetchResponse(answer)
    } catch (error) {
      throw githubNetworkError(error, host, this.#timeoutMs, this.#options.token)
    }
  }

  #host(url: string): string {
    return URL.canParse(url) ? new URL(url).host : originOf(url)
  }

  #request(method: string, url: string, body?: unknown): Promise<Response> {
    return this.#send(url, {
      method,
      idempotent: method !== 'POST',
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${this.#options.token}`,
        'x-github-api-version': '2022-11-28',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: new TextEncoder().encode(JSON.stringify(body)) }),
    })
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.#jsonPage<T>(method, `${this.#api}${path}`, path, body)).value
  }

  /** One JSON answer and the URL of the next page (Link rel="next"), on the API's own origin only. */
  async #jsonPage<T>(
    method: string,
    url: string,
    path: string,
    body?: unknown,
  ): Promise<{ value: T; next: string | undefined }> {
    const response = await this.#request(method, url, body)
    if (!response.ok) await this.#fail(`${method} ${path}`, response)
    const next = nextLink(response.headers.get('link'))
    if (next !== undefined && (!URL.canParse(next) || new URL(next).origin !== new URL(this.#api).origin)) {
      await response.body?.cancel()
      throw new ReleaseError(
        'RELEASE_GITHUB_FAILED',
        `GitHub ${method} ${path} points its next page at ${originOf(next)}, not at ${new URL(this.#api).origin}`,
        { hint: 'GITHUB_API_URL must be the API root the pages come from; the token is not sent elsewhere' },
      )
    }
    return { value: await this.#parse<T>(method, path, response), next }
  }

  async #parse<T>(method: string, path: string, response: Response): Promise<T> {
    const text = await answerText(response, `${method} ${path}`, this.#host(this.#api), this.#timeoutMs)
    const type = response.headers.get('content-type') ?? 'no content type'
    try {
      return JSON.parse(text) as T
    } catch {
      throw new ReleaseError(
        'RELEASE_GITHUB_FAILED',
        `GitHub ${method} ${path} answered ${response.status} with ${type}, not JSON: "${redact(text.slice(0, 80), [this.#options.token])}"`,
        {
          hint: 'GITHUB_API_URL must be the API root: https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server (not the web UI)',
        },
      )
    }
  }

  async #fail(what: string, response: Response): Promise<never> {
    const body = await answerText(
      response,
      what,
      this.#host(response.url || this.#api),
      this.#timeoutMs,
    ).catch((error: unknown) => (error instanceof ReleaseError ? '(a body too large to show)' : ''))
    const text = redact(body, [this.#options.token]).slice(0, 500)
    const limited =
      response.status === 429 ||
      response.headers.get('x-ratelimit-remaining') === '0' ||
      response.headers.has('retry-after')
    const hint =
      response.status === 401
        ? 'the token was refused: check GITHUB_TOKEN'
        : limited
          ? 'GitHub is rate-limiting this token for longer than polyship waits; re-run later, the release is reconciled'
          : response.status === 403 || response.status === 404
            ? 'the token needs `contents: write` on the repository (workflow permissions)'
            : 'GitHub answered an error; re-run to resume, the release is reconciled'
    throw new ReleaseError('RELEASE_GITHUB_FAILED', `GitHub ${what} answered ${response.status}: ${text}`, {
      hint,
    })
  }

  /** The release for `tag`, drafts included (the by-tag endpoint does not return drafts). */
  async find(tag: string): Promise<GitHubRelease | undefined> {
    const repo = this.#options.repository
    for (let page = 1; page <= 10; page++) {
      const releases = await this.#json<GitHubRelease[]>(
        'GET',
        `/repos/${repo}/releases?per_page=100&page=${page}`,
      )
      const found = releases.find((release) => release.tag_name === tag)
      if (found !== undefined || releases.length < 100) return found
    }
    return undefined
  }

  /** Finds the release for `tag` or creates it as a draft. */
  async ensureDraft(
    tag: string,
    details: { name: string; body: string; commitish?: string; prerelease?: boolean },
  ): Promise<GitHubRelease> {
    const existing = await this.find(tag)
    if (existing !== undefined) return existing
    return this.#json<GitHubRelease>('POST', `/repos/${this.#options.repository}/releases`, {
      tag_name: tag,
      name: details.name,
      body: details.body,
      draft: true,
      prerelease: details.prerelease ?? false,
      ...(details.commitish === undefined ? {} : { target_commitish: details.commitish }),
    })
  }

  /** Every asset of `release`, page after page (100 each, following Link rel="next"). */
  async assets(release: GitHubRelease): Promise<GitHubAsset[]> {
    const path = `/repos/${this.#options.repository}/releases/${release.id}/assets`
    const all: GitHubAsset[] = []
    let url: string | undefined = `${this.#api}${path}?per_page=100`
    for (let page = 1; url !== undefined; page++) {
      if (page > MAX_ASSET_PAGES) {
        throw new ReleaseError(
          'RELEASE_GITHUB_FAILED',
          `GitHub GET ${path} has more than ${MAX_ASSET_PAGES} pages of assets`,
          { hint: 'GitHub keeps at most 1000 assets per release; check GITHUB_API_URL' },
        )
      }
      const { value, next }: { value: GitHubAsset[]; next: string | undefined } = await this.#jsonPage<
        GitHubAsset[]
      >('GET', url, path)
      all.push(...value)
      url = next
    }
    return all
  }

  /** Digest of an uploaded asset: GitHub's own when it has one, else downloaded and hashed. */
  async #assetDigest(asset: GitHubAsset): Promise<Digest> {
    if (isDigest(asset.digest)) return asset.digest
    // Download without following redirects: the storage host must not receive our token.
    const transfer = { transferBytes: asset.size, maxBytes: asset.size + 64 * 1024 }
    const first = await this.#send(asset.url, {
      headers: { accept: 'application/octet-stream', authorization: `Bearer ${this.#options.token}` },
      ...transfer,
    })
    let response = first
    if (first.status >= 300 && first.status < 400) {
      await first.body?.cancel()
      // core's rules: a Location that is an http(s) URL, never from https to plain http
      const location = first.headers.get('location') ?? undefined
      const hop = redirectHop(
        {
          method: 'GET',
          chain: [new URL(asset.url)],
          hasBody: false,
          replayable: true,
          what: `download of ${asset.name}`,
        },
        { status: first.status, headers: location === undefined ? {} : { location } },
      )
      response = hop === undefined ? first : await this.#send(hop.url.href, transfer)
    }
    if (!response.ok) await this.#fail(`download of ${asset.name}`, response)
    const hash = createHash('sha256')
    try {
      for await (const chunk of response.body ?? []) hash.update(chunk)
    } catch (error) {
      throw githubNetworkError(error, this.#host(asset.url), this.#timeoutMs, this.#options.token)
    }
    return `sha256:${hash.digest('hex')}`
  }

  /** Where an asset of the published release `tag` is downloaded from: what release records list. */
  downloadUrl(tag: string, name: string): string {
    return `${this.#server}/${this.#options.repository}/releases/download/${encodeURIComponent(tag)}/${encodeURIComponent(name)}`
  }

  /** The digest of `release`'s asset `name`, or undefined when it has no asset of that name. */
  async assetDigest(release: GitHubRelease, name: string): Promise<Digest | undefined> {
    const asset = (await this.assets(release)).find((a) => a.name === name)
    return asset === undefined ? undefined : this.#assetDigest(asset)
  }

  async reconcile(
    release: GitHubRelease,
    file: ReleaseFile,
    known?: readonly GitHubAsset[],
  ): Promise<Reconciliation> {
    const location = this.downloadUrl(release.tag_name, file.name)
    const asset = (known ?? (await this.assets(release))).find((a) => a.name === file.name)
    if (asset === undefined) return { status: 'new', location }
    const existing = await this.#assetDigest(asset)
    if (existing === file.digest) return { status: 'unchanged', location, digest: existing }
    return { status: 'conflict', location, existing, wanted: file.digest }
  }

  async upload(release: GitHubRelease, file: ReleaseFile): Promise<PublishOutcome> {
    const state = await this.reconcile(release, file)
    if (state.status === 'unchanged') return state
    if (state.status === 'conflict') {
      if (!this.#options.replace) {
        throw new ReleaseError(
          'RELEASE_CONFLICT',
          `${state.location} holds ${state.existing}, not ${state.wanted}`,
          {
            hint: 'released assets are immutable; bump the version, or pass --replace to overwrite',
          },
        )
      }
      const asset = (await this.assets(release)).find((a) => a.name === file.name)!
      const deleted = await this.#request(
        'DELETE',
        `${this.#api}/repos/${this.#options.repository}/releases/assets/${asset.id}`,
      )
      if (!deleted.ok && deleted.status !== 404) await this.#fail(`delete of ${file.name}`, deleted)
    }
    const { digest } = await digestFile(file.path)
    if (digest !== file.digest) throw new Error(`${file.path} changed since it was packaged`)
    const url = `${release.upload_url.replace(/\{.*\}$/, '')}?name=${encodeURIComponent(file.name)}`
    const { size } = await stat(file.path)
    const response = await this.#send(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.#options.token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(size),
        'x-github-api-version': '2022-11-28',
      },
      body: () => createReadStream(file.path),
      transferBytes: size,
      // a repeated upload is answered 422, then reconciled by digest
      idempotent: true,
    })
    if (response.status === 422) {
      // A concurrent or crashed run uploaded it meanwhile: reconcile again.
      const again = await this.reconcile(release, file)
      if (again.status === 'unchanged') return again
    }
    if (!response.ok) await this.#fail(`upload of ${file.name}`, response)
    return { status: 'published', location: state.location, digest: file.digest }
  }

  /** Publishes the draft: the last step, after every asset is there. */
  async publish(release: GitHubRelease): Promise<GitHubRelease> {
    if (!release.draft) return release
    return this.#json<GitHubRelease>('PATCH', `/repos/${this.#options.repository}/releases/${release.id}`, {
      draft: false,
    })
  }
}

/** The section of a changesets CHANGELOG.md for one version (`## 1.2.0` up to the next `## `). */
export function changelogSection(changelog: string, version: string): string {
  const lines = changelog.split('\n')
  const start = lines.findIndex((line) => line.trim() === `## ${version}`)
  if (start === -1) return ''
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '))
  return lines
    .slice(start + 1, end === -1 ? undefined : end)
    .join('\n')
    .trim()
}
