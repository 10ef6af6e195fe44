import { assertNever, type NetLimits, redact } from '@polyship/core'
import { WheelError } from '../errors.ts'
import type { Distribution } from '../inspect/distribution.ts'
import { normalizeName } from '../names.ts'
import type { AttestationSupport } from './attestations.ts'
import {
  basicAuth,
  bodyExcerpt,
  type HttpDeps,
  type IndexTls,
  isLoopback,
  nodeHttpDeps,
  type RetryPolicy,
  send,
} from './http.ts'
import type { AddResult, HeldFile, PackageIndex } from './package-index.ts'
import { isPypi } from './platform-tags.ts'
import { digestOf, type IndexReadOptions, listProjectFiles } from './simple-api.ts'
import { mintPypiToken } from './trusted.ts'
import { uploadBody } from './upload-form.ts'

/** How to authenticate to an index. Tokens go as `__token__:<token>`, the PyPI convention. */
export type IndexCredentials =
  | { readonly type: 'none' }
  | { readonly type: 'token'; readonly token: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  /** GitHub Actions OIDC exchanged for a short-lived token, minted on the first upload. */
  | { readonly type: 'trusted' }

export interface RemoteIndexOptions {
  /** The legacy upload endpoint: `https://upload.pypi.org/legacy/`, a pypiserver root, a devpi index. */
  readonly uploadUrl: string
  /** The simple API; derived from the upload URL when absent (see `defaultSimpleUrl`). */
  readonly simpleUrl?: string
  readonly credentials: IndexCredentials
  readonly deps?: HttpDeps
  readonly retry?: RetryPolicy
  /** Connect, idle, deadline, size and retry-time limits, over the `POLYSHIP_HTTP_*` variables of `deps.env`. */
  readonly limits?: Partial<NetLimits>
  /** Allow credentials over plain http to a host that is not loopback. */
  readonly insecure?: boolean
  /** The .pypirc repository's `ca_cert` and `client_cert`. */
  readonly tls?: IndexTls
  /**
   * Whether the index takes PEP 740 attestations in the upload form (default: PyPI and
   * TestPyPI do; pypiserver, devpi, Nexus and Artifactory ignore or refuse the field).
   */
  readonly attestations?: boolean
}

/**
 * PEP 740 attestations go only to an index that takes them, and PyPI takes them only from
 * a Trusted Publisher (its upload answers 400 to attestations under an API token).
 */
function attestationSupport(options: RemoteIndexOptions): AttestationSupport {
  if (!(options.attestations ?? isPypi(options.uploadUrl)))
    return { accepted: false, reason: `${options.uploadUrl} does not take PEP 740 attestations` }
  if (options.credentials.type !== 'trusted')
    return {
      accepted: false,
      reason: `${options.uploadUrl} takes PEP 740 attestations only from trusted publishing (GitHub Actions OIDC), and this release uploads with ${options.credentials.type === 'none' ? 'no credentials' : 'a token or password'}`,
    }
  return { accepted: true }
}

/**
 * The simple API that goes with an upload URL: pypi.org and test.pypi.org by name,
 * otherwise `simple/` under the upload URL (pypiserver, Nexus, Artifactory, devpi with `+simple`
 * needs an explicit simpleUrl).
 */
export function defaultSimpleUrl(uploadUrl: string): string {
  const url = new URL(uploadUrl)
  if (url.hostname === 'upload.pypi.org') return 'https://pypi.org/simple/'
  if (url.hostname === 'test.pypi.org' && /^\/legacy\/?$/.test(url.pathname))
    return 'https://test.pypi.org/simple/'
  return new URL('simple/', uploadUrl.endsWith('/') ? uploadUrl : `${uploadUrl}/`).href
}

/** A PyPI-compatible index reached over HTTP: simple API to ask, legacy upload API to add. */
export function remoteIndex(options: RemoteIndexOptions): PackageIndex {
  const deps = options.deps ?? nodeHttpDeps
  const uploadUrl = options.uploadUrl
  const simpleUrl = options.simpleUrl ?? defaultSimpleUrl(uploadUrl)
  const credentials = options.credentials
  for (const url of [uploadUrl, simpleUrl]) {
    const parsed = new URL(url)
    if (
      parsed.protocol === 'http:' &&
      !isLoopback(parsed) &&
      credentials.type !== 'none' &&
      options.insecure !== true
    ) {
      throw new WheelError(
        'WHEEL_INDEX_INSECURE',
        `${parsed.origin} is plain http; credentials would travel unencrypted`,
        {
          hint: 'use the https URL of the index (plain http is accepted only for loopback addresses)',
        },
      )
    }
  }
  const trustedOrigins = new Set([new URL(uploadUrl).origin, new URL(simpleUrl).origin])
  let authorization: Promise<string | undefined> | undefined
  const secrets: string[] = []
  const authorize = (): Promise<string | undefined> => {
    authorization ??= (async () => {
      switch (credentials.type) {
        case 'none':
          return undefined
        case 'token':
          secrets.push(credentials.token)
          return basicAuth('__token__', credentials.token)
        case 'basic':
          secrets.push(credentials.password)
          return basicAuth(credentials.username, credentials.password)
        case 'trusted': {
          const token = await mintPypiToken(uploadUrl, deps, options.retry)
          secrets.push(token)
          return basicAuth('__token__', token)
        }
        default:
          return assertNever(credentials, 'credentials')
      }
    })()
    return authorization
  }
  const common = {
    deps,
    secrets,
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  }
  // reads carry static credentials (private indexes need them); a trusted token is minted only to upload
  const readHeaders =
    credentials.type === 'token' || credentials.type === 'basic' ? authorize() : Promise.resolve(undefined)

  return {
    url: uploadUrl,
    attestations: attestationSupport(options),

    async held(project, filenames) {
      const header = await readHeaders
      const read: IndexReadOptions = {
        ...common,
        what: `asking ${simpleUrl} about ${project}`,
        authorize: (url) =>
          header !== undefined && trustedOrigins.has(new URL(url).origin) ? { authorization: header } : {},
      }
      const listed = await listProjectFiles(simpleUrl, project, read)
      const out = new Map<string, HeldFile>()
      for (const filename of filenames) {
        const file = listed.get(filename)
        if (file !== undefined) out.set(filename, { digest: await digestOf(file, read), location: file.url })
      }
      return out
    },

    async heldSize(file) {
      const header = await readHeaders
      const authorized = header !== undefined && trustedOrigins.has(new URL(file.location).origin)
      const response = await send(
        file.location,
        () => ({ method: 'HEAD', headers: authorized ? { authorization: header } : {} }),
        { ...common, what: `asking ${file.location} for its size` },
      )
      await response.body?.cancel()
      const length = Number(response.headers.get('content-length') ?? Number.NaN)
      return response.ok && Number.isSafeInteger(length) ? length : undefined
    },

    async add(distribution: Distribution, attestations?: readonly object[]): Promise<AddResult> {
      const header = await authorize()
      const sending = attestations !== undefined && attestations.length > 0
      const body = uploadBody(distribution, sending ? [['attestations', JSON.stringify(attestations)]] : [])
      const what = `uploading ${distribution.filename} to ${uploadUrl}`
      const response = await send(
        uploadUrl,
        () => ({
          method: 'POST',
          // a repeated upload is refused as "already exists", then confirmed by hash
          idempotent: true,
          body: () => body.stream(),
          transferBytes: body.length,
          headers: {
            'content-type': body.contentType,
            'content-length': String(body.length),
            ...(header === undefined ? {} : { authorization: header }),
          },
        }),
        { ...common, what },
      )
      const status = response.status
      if (status >= 200 && status < 300) {
        await response.body?.cancel()
        return {
          status: 'added',
          location: `${new URL(`${normalizeName(distribution.name)}/`, simpleUrl).href}#${distribution.filename}`,
        }
      }
      const detail = redact(`${status} ${response.statusText}: ${await bodyExcerpt(response)}`, secrets)
      if (status === 409 || (status === 400 && /already exists/i.test(`${response.statusText} ${detail}`)))
        return { status: 'exists' }
      if (status === 401 || status === 403) {
        throw new WheelError(
          'WHEEL_UPLOAD_FORBIDDEN',
          `${what}: the index refused the credentials (${status} ${response.statusText})`,
          {
            hint:
              credentials.type === 'none'
                ? 'the index needs credentials: set the token variable of the wheels destination (PYPI_TOKEN by default)'
                : 'check the token (it is never printed): it must be valid for this index and allowed to upload this project',
          },
        )
      }
      if (sending && status >= 400 && status < 500 && /attestation/i.test(detail)) {
        throw new WheelError(
          'WHEEL_ATTESTATION_REJECTED',
          `${what}: the index refused the PEP 740 attestation (${detail}); ${distribution.filename} was not published`,
          {
            hint: 'the attestation is signed keyless by this workflow: the project on the index must list it as a Trusted Publisher; or turn attestations off for this destination',
          },
        )
      }
      if (status >= 300 && status < 400) {
        throw new WheelError(
          'WHEEL_UPLOAD_REJECTED',
          `${what}: the index redirected the upload to ${response.headers.get('location') ?? '(nowhere)'}`,
          {
            hint: 'uploads are not re-sent across redirects; configure the URL the index redirects to',
          },
        )
      }
      throw new WheelError('WHEEL_UPLOAD_REJECTED', `${what}: ${detail}`, {
        hint:
          status === 413
            ? 'the file is larger than the index accepts'
            : "read the index's reason above; fix the file or its metadata and release again",
      })
    },
  }
}
