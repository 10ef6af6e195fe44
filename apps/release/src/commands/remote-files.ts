import { createWriteStream } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { FILE_SUFFIXES } from '@polyship/attest'
import {
  type AttestationRef,
  type ExchangeResponse,
  exchangeFollowing,
  formatBytes,
  formatDuration,
  isNetError,
  isPolyshipError,
  NetError,
  type NetLimits,
  netLimits,
  type RecordedArtifact,
  type ReleaseRecord,
  type Reporter,
  RetryBudget,
} from '@polyship/core'
import { CliError } from '../errors.ts'

const OCI_KINDS = new Set(['image', 'image-index', 'chart'])
const isUrl = (location: string) => /^https?:\/\//i.test(location)

/**
 * A copy of `record` in which files published to web destinations (a package index, GitHub
 * release assets) and their attestation bundles are downloaded into `dir` and listed at
 * their local paths, so they are verified like files of the embedded destinations. Files
 * that have a local location are left as they are. `downloaded` maps the artifacts that
 * now point at a download to the URL they were downloaded from.
 */
export async function localizeRecord(
  record: ReleaseRecord,
  dir: string,
  options: DownloadOptions = {},
): Promise<{ readonly record: ReleaseRecord; readonly downloaded: ReadonlyMap<RecordedArtifact, string> }> {
  const limits = netLimits(options.env ?? process.env, options.limits)
  let downloaded = 0
  /** Downloads `url` (to `into`, else a fresh directory); `size`, when the record knows it, caps the answer. */
  const download = async (url: string, size?: number, into?: string): Promise<string> => {
    const target = join(dir, String(downloaded++))
    if (into === undefined) await mkdir(target, { recursive: true })
    const path = into ?? join(target, fileNameOf(new URL(url)))
    try {
      await downloadTo(url, path, size, limits, options.reporter)
    } catch (error) {
      if (!(size !== undefined && isNetError(error) && error.failure === 'size')) throw error
      // More bytes than the released file has: the host serves another file under its name.
      // That fails this artifact, not the whole verify: what was received is replaced by a
      // stand-in that can never have the recorded digest (its first `size` bytes may well
      // be the released file's), so its digest check fails and the other checks go on.
      options.reporter?.emit({
        type: 'log',
        level: 'warn',
        message: `${error.message}: ${error.hint ?? ''}`,
      })
      await writeFile(path, size === 0 ? '\0' : '')
    }
    return path
  }
  const ref = async (value: AttestationRef | undefined, into?: string) =>
    value === undefined || !isUrl(value.location)
      ? value
      : { ...value, location: await download(value.location, undefined, into) }
  const artifacts: RecordedArtifact[] = []
  const localized = new Map<RecordedArtifact, string>()
  for (const artifact of record.artifacts) {
    const remote = artifact.locations.find(isUrl)
    if (OCI_KINDS.has(artifact.kind) || remote === undefined || artifact.locations.some((l) => !isUrl(l))) {
      artifacts.push(artifact)
      continue
    }
    // one download at a time: the first failure ends verify, with nothing left running
    const locations = [await download(remote, artifact.size)]
    const signature = await ref(artifact.signature)
    const sbom = await ref(artifact.sbom)
    // beside the download, where the file check looks for the SPDX attestation
    const spdx = await ref(artifact.spdx, `${locations[0]}${FILE_SUFFIXES.spdxAttestation}`)
    const provenance = await ref(artifact.provenance)
    const local: RecordedArtifact = {
      ...artifact,
      locations,
      ...(signature === undefined ? {} : { signature }),
      ...(sbom === undefined ? {} : { sbom }),
      ...(spdx === undefined ? {} : { spdx }),
      ...(provenance === undefined ? {} : { provenance }),
    }
    artifacts.push(local)
    localized.set(local, remote)
  }
  return { record: { ...record, artifacts }, downloaded: localized }
}

/** The URL's last path segment as a file name; `file` when it is none (empty, `..`, a decoded `/`). */
function fileNameOf(url: URL): string {
  const segment = url.pathname.split('/').pop() ?? ''
  let name: string
  try {
    name = decodeURIComponent(segment)
  } catch {
    name = segment
  }
  return name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name) ? 'file' : name
}

/** `https://host/path` of a URL: no userinfo, no query (a storage host's signed parameters). */
const shown = (url: URL) => `${url.origin}${url.pathname}`

/** How long and how much the downloads of one `polyship verify` may take, and who hears their waits. */
export interface DownloadOptions {
  /** `POLYSHIP_HTTP_*` limits are read from it (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly limits?: Partial<NetLimits>
  readonly reporter?: Reporter
}

/**
 * `url`'s bytes into `path` through the core exchange (connect, idle and overall timeouts,
 * a size cap: `size` when the record knows the file's size, the general cap otherwise),
 * following redirects (GitHub sends downloads to its storage host). Timeouts and 5xx are
 * retried within the retry time; every failure is a coded error naming the host.
 */
async function downloadTo(
  url: string,
  path: string,
  size: number | undefined,
  limits: NetLimits,
  reporter: Reporter | undefined,
): Promise<void> {
  const budget = new RetryBudget(limits.retryMs)
  for (let attempt = 0; ; attempt++) {
    const delay = 200 * 2 ** attempt
    try {
      const answer = await get(new URL(url), size, limits, reporter)
      await pipeline(answer.body, createWriteStream(path))
      return
    } catch (error) {
      // writing the download failed (ENOSPC, EACCES): not the host's doing
      if ((error as NodeJS.ErrnoException).path !== undefined) throw error
      // timeouts, resets and 5xx are retried; a size cap, a TLS mismatch, a 404 never
      const retryable = isNetError(error)
        ? error.retryable
        : isPolyshipError(error)
          ? SERVER_FAILURES.has(error)
          : true
      if (retryable && budget.allows(delay)) {
        reporter?.emit({
          type: 'log',
          level: 'warn',
          message: `${isPolyshipError(error) ? error.message : `download ${shown(new URL(url))}: ${reasonOf(error)}`}; retrying in ${formatDuration(delay)}`,
        })
        await new Promise((resolve) => setTimeout(resolve, delay))
        continue
      }
      if (isNetError(error) && error.failure === 'size' && size !== undefined) {
        // the cap is the released file's own size: more bytes are not that file
        throw new NetError(
          'size',
          error.host,
          `download ${shown(new URL(url))}: ${error.host} sent more than the ${formatBytes(size)} the release recorded for this file (size cap)`,
          {
            hint: `${error.host} serves other bytes under the released name (a replaced file, an error or login page); check the host, or re-run the release to restore the file`,
            cause: error,
          },
        )
      }
      if (isNetError(error)) throw error.gaveUp(attempt + 1, formatDuration(budget.elapsedMs()))
      if (isPolyshipError(error)) throw error
      const target = new URL(url)
      throw new CliError(
        'CLI_DOWNLOAD_FAILED',
        `download ${shown(target)}: cannot reach ${target.host} (${reasonOf(error)})${attempt > 0 ? ` after ${attempt + 1} tries in ${formatDuration(budget.elapsedMs())}` : ''}`,
        {
          hint: `check that ${target.host} is up and reachable from here, then re-run polyship verify`,
          cause: error,
        },
      )
    }
  }
}

/** The 5xx answers among download errors: retried. */
const SERVER_FAILURES = new WeakSet<Error>()

const reasonOf = (error: unknown) =>
  (error as NodeJS.ErrnoException | undefined)?.code ??
  (error instanceof Error ? error.message : String(error))

/**
 * A GET answered 200, following redirects under core's rules (at most 5, never https to
 * http, no credential to another origin); other answers are coded errors.
 */
async function get(
  url: URL,
  size: number | undefined,
  limits: NetLimits,
  reporter: Reporter | undefined,
): Promise<ExchangeResponse> {
  const answer = await exchangeFollowing(
    {
      method: 'GET',
      url,
      headers: { 'user-agent': 'polyship', accept: '*/*' },
      ...(size === undefined ? {} : { maxBytes: size, transferBytes: size }),
    },
    { limits, what: `download ${shown(url)}`, ...(reporter === undefined ? {} : { reporter }) },
  )
  const { status } = answer
  if (status !== 200) {
    answer.body.destroy()
    const error = new CliError(
      'CLI_DOWNLOAD_FAILED',
      `download ${shown(url)}: ${url.host} answered ${status}`,
      {
        hint:
          status >= 500
            ? `${url.host} failed to serve it; re-run polyship verify later`
            : 'the release record lists a file its destination no longer serves; re-run the release to restore it',
      },
    )
    if (status >= 500) SERVER_FAILURES.add(error)
    throw error
  }
  return answer
}
