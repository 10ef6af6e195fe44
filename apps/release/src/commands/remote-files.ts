import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { get as httpGet, type IncomingMessage } from 'node:http'
import { get as httpsGet } from 'node:https'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { AttestationRef, RecordedArtifact, ReleaseRecord } from '@polyship/core'
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
): Promise<{ readonly record: ReleaseRecord; readonly downloaded: ReadonlyMap<RecordedArtifact, string> }> {
  let downloaded = 0
  const download = async (url: string): Promise<string> => {
    const target = join(dir, String(downloaded++))
    await mkdir(target, { recursive: true })
    const path = join(target, decodeURIComponent(new URL(url).pathname.split('/').pop() || 'file'))
    await pipeline(await get(url), createWriteStream(path))
    return path
  }
  const ref = async (value: AttestationRef | undefined) =>
    value === undefined || !isUrl(value.location)
      ? value
      : { ...value, location: await download(value.location) }
  const artifacts: RecordedArtifact[] = []
  const localized = new Map<RecordedArtifact, string>()
  for (const artifact of record.artifacts) {
    const remote = artifact.locations.find(isUrl)
    if (OCI_KINDS.has(artifact.kind) || remote === undefined || artifact.locations.some((l) => !isUrl(l))) {
      artifacts.push(artifact)
      continue
    }
    const [signature, sbom, provenance] = await Promise.all([
      ref(artifact.signature),
      ref(artifact.sbom),
      ref(artifact.provenance),
    ])
    const local: RecordedArtifact = {
      ...artifact,
      locations: [await download(remote)],
      ...(signature === undefined ? {} : { signature }),
      ...(sbom === undefined ? {} : { sbom }),
      ...(provenance === undefined ? {} : { provenance }),
    }
    artifacts.push(local)
    localized.set(local, remote)
  }
  return { record: { ...record, artifacts }, downloaded: localized }
}

/**
 * The body of a GET, following redirects (GitHub sends downloads to its storage host).
 * node:http rather than fetch: the fetch of Node 24.21 can crash the process when a server
 * closes the connection while a response body waits to be read (nodejs/undici#5360).
 */
async function get(url: string, redirects = 5): Promise<IncomingMessage> {
  const response = await new Promise<IncomingMessage>((resolve, reject) =>
    (url.startsWith('https:') ? httpsGet : httpGet)(url, resolve).on('error', reject),
  )
  const status = response.statusCode ?? 0
  const location = response.headers.location
  if (status >= 300 && status < 400 && location !== undefined && redirects > 0) {
    response.resume()
    return get(new URL(location, url).href, redirects - 1)
  }
  if (status !== 200) {
    response.resume()
    throw new CliError('CLI_DOWNLOAD_FAILED', `${url} answered ${status}`, {
      hint: 'the release record lists a file its destination no longer serves; re-run the release to restore it',
    })
  }
  return response
}
