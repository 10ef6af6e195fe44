import { readFile } from 'node:fs/promises'
import { isLoopbackHostname, type NetLimits, netLimits, type Reporter, redact } from '@polyship/core'
import { NpmError } from '../errors.ts'
import { encodedName, type PackageName } from '../package/name.ts'
import type { NpmTarball } from '../package/tarball.ts'
import type {
  AddResult,
  CredentialCheck,
  DistTagWriter,
  HeldVersion,
  NpmDestination,
  PackageLookup,
} from '../publish/destination.ts'
import { type NpmAttachment, registryTakesProvenance } from '../publish/provenance.ts'
import {
  DEFAULT_RETRY,
  excerpt,
  type HttpRequest,
  type HttpResponse,
  nodeTransport,
  type RetryPolicy,
  send,
  type Transport,
} from './http.ts'
import type { RegistryCredential } from './npmrc.ts'

export interface RegistryOptions {
  /** The registry URL (`https://registry.npmjs.org/`, `http://127.0.0.1:4873/`). */
  readonly url: string
  readonly credential?: RegistryCredential
  /** `access` of the publish document (`public` is needed for a first publish of a scoped package on npmjs). */
  readonly access?: 'public' | 'restricted'
  /** Allow plain http to a host that is not loopback (never needed for a public registry). */
  readonly insecure?: boolean
  readonly transport?: Transport
  readonly retry?: RetryPolicy
  /** Connect, idle, deadline, size and retry-time limits, over the `POLYSHIP_HTTP_*` variables of `env`. */
  readonly limits?: Partial<NetLimits>
  /** Read for the `POLYSHIP_HTTP_*` limits (default: the process's). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Hears "waiting for <host>" and retry warnings. */
  readonly reporter?: Reporter
  readonly sleep?: (ms: number) => Promise<void>
  /** Whether the registry keeps npm provenance attached to a publish (default: registry.npmjs.org only). */
  readonly provenance?: boolean
}

const FULL_PACKUMENT = 'application/json'

/** The registry URL with exactly one trailing slash. */
export function normalizeRegistryUrl(url: string): string {
  return url.endsWith('/') ? url : `${url}/`
}

/**
 * An npm registry spoken to as the npm CLI does: the full packument (the abbreviated
 * `application/vnd.npm.install-v1+json` document carries no integrity on every registry)
 * to ask, `PUT /<name>` with the publish document to add, `PUT /-/package/<name>/dist-tags/<tag>`
 * to move a tag. Plain http only to loopback hosts; every request has connect and idle
 * timeouts; the credential never appears in a message.
 */
export function npmRegistry(options: RegistryOptions): NpmDestination & DistTagWriter & CredentialCheck {
  const base = normalizeRegistryUrl(options.url)
  const parsed = new URL(base)
  if (parsed.protocol === 'http:' && !isLoopbackHostname(parsed.hostname) && options.insecure !== true) {
    throw new NpmError('NPM_INSECURE_REFUSED', `${parsed.origin} is plain http; refusing to use it`, {
      hint: 'use the https URL of the registry (plain http is accepted only for loopback addresses)',
    })
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new NpmError('NPM_CONFIG_INVALID', `registry ${base} is not an http(s) URL`)
  const credential = options.credential
  const secrets =
    credential === undefined ? [] : [credential.type === 'token' ? credential.token : credential.auth]
  const authorization =
    credential === undefined
      ? undefined
      : credential.type === 'token'
        ? `Bearer ${credential.token}`
        : `Basic ${credential.auth}`
  const limits = netLimits(options.env ?? process.env, options.limits)
  const reporter = options.reporter
  const transport = options.transport ?? nodeTransport(limits, reporter === undefined ? {} : { reporter })
  const common = {
    transport,
    retry: options.retry ?? DEFAULT_RETRY,
    retryMs: limits.retryMs,
    ...(reporter === undefined ? {} : { reporter }),
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    secrets,
  }
  const request = (request: HttpRequest, what: string): Promise<HttpResponse> =>
    send(
      {
        ...request,
        headers: {
          'user-agent': 'polyship',
          ...request.headers,
          ...(authorization === undefined ? {} : { authorization }),
        },
      },
      { ...common, what },
    )
  const refused = (what: string, response: HttpResponse): NpmError =>
    new NpmError(
      'NPM_UNAUTHORIZED',
      redact(`${what}: ${base} refused the credentials (${response.status}: ${excerpt(response)})`, secrets),
      {
        hint:
          credential === undefined
            ? `${base} needs a token: add //${parsed.host}${parsed.pathname}:_authToken=\${NPM_TOKEN} to .npmrc, or set NPM_TOKEN`
            : `the token from ${credential.source} was refused (it is never printed): check it is valid for ${base} and may publish this package`,
      },
    )
  const packageUrl = (name: PackageName) => new URL(encodedName(name), base)

  return {
    location: base,
    provenance:
      (options.provenance ?? registryTakesProvenance(base))
        ? { accepted: true }
        : { accepted: false, reason: `${base} does not keep npm provenance (only registry.npmjs.org does)` },

    async lookup(name, version): Promise<PackageLookup> {
      const what = `asking ${base} about ${name}`
      const response = await request(
        { method: 'GET', url: packageUrl(name), headers: { accept: FULL_PACKUMENT } },
        what,
      )
      if (response.status === 404) return { distTags: {} }
      if (response.status === 401 || response.status === 403) throw refused(what, response)
      if (response.status !== 200)
        throw new NpmError(
          'NPM_REGISTRY_ERROR',
          redact(`${what}: ${response.status} ${excerpt(response)}`, secrets),
        )
      let packument: Packument
      try {
        packument = JSON.parse(response.body.toString('utf8')) as Packument
      } catch (cause) {
        if (!(cause instanceof SyntaxError)) throw cause
        packument = undefined as unknown as Packument
      }
      if (typeof packument !== 'object' || packument === null || Array.isArray(packument)) {
        const type = response.headers['content-type'] ?? 'no content type'
        throw new NpmError(
          'NPM_REGISTRY_ERROR',
          redact(
            `${what}: ${parsed.host} answered 200 with ${type}, not a packument (JSON): "${excerpt(response).slice(0, 80)}"`,
            secrets,
          ),
          {
            hint: `check that ${base} is an npm registry (a web server or a proxy's login page answers HTML)`,
          },
        )
      }
      const distTags = stringRecord(packument['dist-tags'])
      const dist = (packument.versions as Packument['versions'] | null)?.[version]?.dist
      if (dist === undefined) return { distTags }
      const held: HeldVersion = {
        ...(typeof dist.integrity === 'string' ? { integrity: dist.integrity } : {}),
        ...(typeof dist.shasum === 'string' ? { shasum: dist.shasum } : {}),
        location: typeof dist.tarball === 'string' ? dist.tarball : `${packageUrl(name).href}@${version}`,
      }
      return { held, distTags }
    },

    async add(
      tarball: NpmTarball,
      tag: string,
      attachments?: Readonly<Record<string, NpmAttachment>>,
    ): Promise<AddResult> {
      const what = `publishing ${tarball.name}@${tarball.version.text} to ${base}`
      const document = await publishDocument(tarball, {
        registry: base,
        tag,
        ...(options.access === undefined ? {} : { access: options.access }),
        ...(attachments === undefined ? {} : { attachments }),
      })
      const response = await request(
        {
          method: 'PUT',
          url: packageUrl(tarball.name),
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: Buffer.from(JSON.stringify(document)),
        },
        what,
      )
      if (response.status >= 200 && response.status < 300)
        return {
          status: 'added',
          location: tarballUrl(base, { name: tarball.name, version: tarball.version.text }),
        }
      const reason = excerpt(response)
      if (
        response.status === 409 ||
        (response.status === 403 &&
          /previously published|cannot publish over|already (exists|present)/i.test(reason))
      )
        return { status: 'exists' }
      if (response.status === 401 || response.status === 403) throw refused(what, response)
      throw new NpmError('NPM_PUBLISH_REJECTED', redact(`${what}: ${response.status} ${reason}`, secrets), {
        hint: "read the registry's reason above; fix the package and release a new version",
      })
    },

    async whoami() {
      const what = `checking the credential for ${base}`
      const response = await request(
        { method: 'GET', url: new URL('-/whoami', base), headers: { accept: 'application/json' } },
        what,
      )
      if (response.status === 401 || response.status === 403) throw refused(what, response)
      // a registry without the endpoint is asked nothing more: the publish will say
      if (response.status !== 200) return undefined
      let username: unknown
      try {
        username = (JSON.parse(response.body.toString('utf8') || '{}') as { username?: unknown } | null)
          ?.username
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error
        return undefined
      }
      // Verdaccio answers an unknown token as an anonymous user: 200 without a name
      if (typeof username !== 'string' && credential !== undefined) throw refused(what, response)
      return typeof username === 'string' ? username : undefined
    },

    async moveDistTag(name, tag, version) {
      const what = `moving dist-tag ${tag} of ${name} to ${version} on ${base}`
      const url = new URL(`-/package/${encodedName(name)}/dist-tags/${encodeURIComponent(tag)}`, base)
      const response = await request(
        {
          method: 'PUT',
          url,
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: Buffer.from(JSON.stringify(version)),
        },
        what,
      )
      if (response.status >= 200 && response.status < 300) return
      if (response.status === 401 || response.status === 403) throw refused(what, response)
      throw new NpmError(
        'NPM_PUBLISH_REJECTED',
        redact(`${what}: ${response.status} ${excerpt(response)}`, secrets),
      )
    },
  }
}

interface Packument {
  readonly 'dist-tags'?: unknown
  readonly versions?: Record<
    string,
    { readonly dist?: { integrity?: unknown; shasum?: unknown; tarball?: unknown } }
  >
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {}
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  )
}

/** Where a registry serves a version's tarball: `<registry>/@scope/name/-/name-1.0.0.tgz`, as npm writes it. */
export function tarballUrl(
  registry: string,
  spec: { readonly name: PackageName; readonly version: string },
): string {
  const { name, version } = spec
  const unscoped = name.slice(name.indexOf('/') + 1)
  return new URL(`${name}/-/${unscoped}-${version}.tgz`, normalizeRegistryUrl(registry)).href
}

/** The document `npm publish` PUTs: the version's manifest with its dist, the tarball attached. */
export async function publishDocument(
  tarball: NpmTarball,
  options: {
    readonly registry: string
    readonly tag: string
    readonly access?: 'public' | 'restricted'
    /** More `_attachments` after the tarball: npm provenance (`<name>-<version>.sigstore`). */
    readonly attachments?: Readonly<Record<string, NpmAttachment>>
  },
): Promise<Record<string, unknown>> {
  const { registry, tag, access } = options
  const data = await readFile(tarball.path)
  const version = tarball.version.text
  const manifest = tarball.manifest.raw
  return {
    _id: tarball.name,
    name: tarball.name,
    ...(typeof manifest.description === 'string' ? { description: manifest.description } : {}),
    'dist-tags': { [tag]: version },
    versions: {
      [version]: {
        ...manifest,
        _id: `${tarball.name}@${version}`,
        dist: {
          integrity: tarball.integrity,
          shasum: tarball.shasum,
          // as libnpmpublish writes it; registries rewrite dist.tarball to their own URL when serving
          tarball: tarballUrl(registry, { name: tarball.name, version }).replace(/^https:/, 'http:'),
        },
      },
    },
    ...(access === undefined ? {} : { access }),
    _attachments: {
      [`${tarball.name}-${version}.tgz`]: {
        content_type: 'application/octet-stream',
        data: data.toString('base64'),
        length: data.length,
      },
      ...options.attachments,
    },
  }
}
