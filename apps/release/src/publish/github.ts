import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { type Digest, digestFile, isDigest, redact } from '@polyship/core'
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
  readonly fetch?: typeof fetch
  /** Delete and re-upload an asset whose bytes differ instead of stopping. */
  readonly replace?: boolean
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
  readonly #fetch: typeof fetch

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
    this.#api = (options.apiUrl ?? 'https://api.github.com').replace(/\/$/, '')
    this.#server = (options.serverUrl ?? 'https://github.com').replace(/\/$/, '')
    this.#fetch = options.fetch ?? fetch
  }

  async #request(method: string, url: string, body?: unknown, attempt = 0): Promise<Response> {
    const response = await this.#fetch(url, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${this.#options.token}`,
        'x-github-api-version': '2022-11-28',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    if (response.status >= 500 && attempt < 3) {
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt))
      return this.#request(method, url, body, attempt + 1)
    }
    return response
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#request(method, `${this.#api}${path}`, body)
    if (!response.ok) await this.#fail(`${method} ${path}`, response)
    return (await response.json()) as T
  }

  async #fail(what: string, response: Response): Promise<never> {
    const text = redact(await response.text().catch(() => ''), [this.#options.token]).slice(0, 500)
    const hint =
      response.status === 401
        ? 'the token was refused: check GITHUB_TOKEN'
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

  async assets(release: GitHubRelease): Promise<GitHubAsset[]> {
    return this.#json<GitHubAsset[]>(
      'GET',
      `/repos/${this.#options.repository}/releases/${release.id}/assets?per_page=100`,
    )
  }

  /** Digest of an uploaded asset: GitHub's own when it has one, else downloaded and hashed. */
  async #assetDigest(asset: GitHubAsset): Promise<Digest> {
    if (isDigest(asset.digest)) return asset.digest
    // Download without following redirects: the storage host must not receive our token.
    const first = await this.#fetch(asset.url, {
      headers: { accept: 'application/octet-stream', authorization: `Bearer ${this.#options.token}` },
      redirect: 'manual',
    })
    const response =
      first.status >= 300 && first.status < 400
        ? await this.#fetch(first.headers.get('location') ?? '', {})
        : first
    if (!response.ok) await this.#fail(`download of ${asset.name}`, response)
    return `sha256:${createHash('sha256')
      .update(new Uint8Array(await response.arrayBuffer()))
      .digest('hex')}`
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
    const response = await this.#fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.#options.token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(size),
        'x-github-api-version': '2022-11-28',
      },
      body: Readable.toWeb(createReadStream(file.path)) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit)
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
