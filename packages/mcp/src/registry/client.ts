import {
  type Digest,
  isLoopbackHostname,
  type NetLimits,
  netLimits,
  networkErrorReason,
  originOf,
  readAll,
  redact,
  sendWithRetry,
  sha256,
} from '@polyship/core'
import { McpError } from '../errors.ts'
import { canonicalJson } from '../server-json/render.ts'

export interface McpRegistryOptions {
  /** The registry's base URL, e.g. `https://registry.modelcontextprotocol.io`. */
  readonly url: string
  /** A registry token (what `mcp-publisher login` or the registry's `/v0/auth/*` exchange gives); needed to publish. */
  readonly token?: string
  /** Deadlines, size cap and retry time of each call (default: POLYSHIP_HTTP_* over core's defaults). */
  readonly limits?: NetLimits
}

/** A version the registry holds, and the digest of its canonical JSON (what reconciling compares). */
export interface HeldServer {
  readonly location: string
  readonly server: unknown
  readonly digest: Digest
}

/** The digest two server.json values share exactly when they hold the same fields and values. */
export function serverDigest(server: unknown): Digest {
  return sha256(new TextEncoder().encode(canonicalJson(server)))
}

const BODY_TAIL = 500

/**
 * The two endpoints of an MCP registry a release uses: read one version back
 * (`GET /v0/servers/{name}/versions/{version}`) and publish (`POST /v0/publish`, Bearer token).
 * A token never travels over plain http except to loopback.
 */
export class McpRegistryClient {
  readonly url: string
  readonly #token: string | undefined
  readonly #limits: NetLimits

  constructor(options: McpRegistryOptions) {
    this.url = options.url.replace(/\/+$/, '')
    this.#token = options.token
    this.#limits = options.limits ?? netLimits()
    const parsed = URL.canParse(this.url) ? new URL(this.url) : undefined
    if (parsed === undefined || !/^https?:$/.test(parsed.protocol)) {
      throw new McpError(
        'MCP_REGISTRY_ERROR',
        `${originOf(this.url)}: not an http(s) URL of an MCP registry`,
        {
          hint: 'set destinations.mcpRegistry.url in polyship.json to the registry base URL (https://...)',
        },
      )
    }
    if (parsed.protocol === 'http:' && !isLoopbackHostname(parsed.hostname) && this.#token !== undefined) {
      throw new McpError(
        'MCP_INSECURE_REFUSED',
        `${originOf(this.url)}: a registry token would travel over plain http`,
        { hint: 'use the registry over https' },
      )
    }
  }

  /** Where a version lives in the registry (its read-back URL). */
  versionUrl(name: string, version: string): string {
    return `${this.url}/v0/servers/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`
  }

  /** One call through core's exchange: deadlines, size cap, retries (429/5xx, Retry-After), the token kept out of messages. */
  async #request(
    url: string,
    init: { readonly method?: string; readonly headers: Record<string, string>; readonly body?: Uint8Array },
    what: string,
  ): Promise<{ status: number; text: string }> {
    const secrets = this.#token === undefined ? [] : [this.#token]
    const response = await sendWithRetry(
      () => ({
        method: init.method ?? 'GET',
        url: new URL(url),
        headers: init.headers,
        ...(init.body === undefined ? {} : { body: init.body }),
      }),
      {
        limits: this.#limits,
        what: `${what} at ${originOf(url)}`,
        secrets,
        // a repeated publish of the same bytes is answered as already there
        idempotent: true,
        unreachable: (cause) =>
          new McpError('MCP_REGISTRY_UNREACHABLE', `${originOf(url)}: ${networkErrorReason(cause)}`, {
            hint: 'check destinations.mcpRegistry.url and the network',
            cause,
          }),
      },
    )
    const body = await readAll(
      response.body,
      this.#limits.maxBytes,
      () =>
        new McpError(
          'MCP_REGISTRY_ERROR',
          `${originOf(url)}: the answer is larger than ${this.#limits.maxBytes} bytes`,
          {
            hint: 'check that destinations.mcpRegistry.url is an MCP registry',
          },
        ),
    )
    return { status: response.status, text: body.toString('utf8') }
  }

  #failure(url: string, status: number, text: string, what: string): McpError {
    const body = redact(text.slice(0, BODY_TAIL), this.#token === undefined ? [] : [this.#token])
    if (status === 401 || status === 403) {
      return new McpError(
        'MCP_REGISTRY_UNAUTHORIZED',
        `${originOf(url)} refused the token (${status}) ${what}: ${body}`,
        {
          hint: 'set the registry token (destinations.mcpRegistry.tokenEnv, default MCP_REGISTRY_TOKEN) to one the registry issued for this namespace',
        },
      )
    }
    if (status === 400 || status === 409 || status === 422) {
      return new McpError('MCP_PUBLISH_REJECTED', `${originOf(url)} refused ${what} (${status}): ${body}`, {
        hint: 'the registry says why above; the release artifacts are published, so run polyship release again once it is fixed',
      })
    }
    return new McpError('MCP_REGISTRY_ERROR', `${originOf(url)} answered ${status} ${what}: ${body}`, {
      hint: 'the registry failed; run polyship release again later (what is there is kept)',
    })
  }

  /** The server.json the registry holds under `name` at `version`, or undefined. */
  async held(name: string, version: string): Promise<HeldServer | undefined> {
    const url = this.versionUrl(name, version)
    const { status, text } = await this.#request(
      url,
      { headers: { accept: 'application/json' } },
      `reading ${name} ${version}`,
    )
    if (status === 404) return undefined
    if (status !== 200) throw this.#failure(url, status, text, `reading ${name} ${version}`)
    let server: unknown
    try {
      server = (JSON.parse(text) as { server?: unknown }).server
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error
    }
    if (server === null || typeof server !== 'object') {
      throw new McpError('MCP_REGISTRY_ERROR', `${originOf(url)}: the answer has no server object`, {
        hint: 'check that destinations.mcpRegistry.url is an MCP registry',
      })
    }
    return { location: url, server, digest: serverDigest(server) }
  }

  /** Publishes a server.json (its exact bytes). */
  async publish(bytes: Uint8Array, name: string): Promise<void> {
    if (this.#token === undefined) {
      throw new McpError(
        'MCP_REGISTRY_UNAUTHORIZED',
        `${originOf(this.url)}: no registry token to publish ${name}`,
        {
          hint: 'set MCP_REGISTRY_TOKEN (or the variable destinations.mcpRegistry.tokenEnv names) to a registry token',
        },
      )
    }
    const url = `${this.url}/v0/publish`
    const { status, text } = await this.#request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.#token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: bytes,
      },
      `publishing ${name}`,
    )
    if (status !== 200 && status !== 201) throw this.#failure(url, status, text, `publishing ${name}`)
  }
}
