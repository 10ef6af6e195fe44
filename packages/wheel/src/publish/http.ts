import { readFileSync } from 'node:fs'
import type { Agent as HttpAgent } from 'node:http'
import type { Agent as HttpsAgent } from 'node:https'
import {
  type ExchangeBody,
  type ExchangeRequest,
  isLoopbackHostname,
  type NetLimits,
  netLimits,
  networkErrorReason,
  originOf,
  type Reporter,
  redact,
  sendWithRetry,
  toFetchResponse,
} from '@polyship/core'
import { WheelError } from '../errors.ts'

/** The ambient things publishing touches, passed in so tests hand over literals. */
export interface HttpDeps {
  readonly sleep: (ms: number) => Promise<void>
  /** Read for credentials, OIDC variables and the `POLYSHIP_HTTP_*` limits. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Hears "waiting for <host>" and retry warnings. */
  readonly reporter?: Reporter
  readonly now?: () => number
  /** In [0, 1): the backoff's jitter. */
  readonly random?: () => number
}

export const nodeHttpDeps: HttpDeps = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  env: process.env,
}

export interface RetryPolicy {
  /** Attempts after the first (default 4); all of them also stay within the limits' `retryMs`. */
  readonly retries: number
  /** First backoff; doubled each time (default 500 ms). */
  readonly baseDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 500 }

/** twine's `ca_cert` and `client_cert` of a .pypirc repository, as absolute paths. */
export interface IndexTls {
  /** Where they were set, for messages: `/home/u/.pypirc [private]`. */
  readonly source: string
  readonly file: string
  /** PEM CAs the index's certificate is checked against, instead of node's. */
  readonly caCert?: string
  /** PEM client certificate and its private key, in one file. */
  readonly clientCert?: string
}

const tlsAgents = new Map<string, { readonly http: HttpAgent; readonly https: HttpsAgent }>()

/** Connection pools presenting `tls`'s client certificate and trusting its CAs; read once per pair of files. */
function agentsFor(tls: IndexTls): { readonly http: HttpAgent; readonly https: HttpsAgent } {
  const key = `${tls.caCert ?? ''}\0${tls.clientCert ?? ''}`
  const known = tlsAgents.get(key)
  if (known !== undefined) return known
  const read = (path: string, setting: 'ca_cert' | 'client_cert') => {
    try {
      return readFileSync(path)
    } catch (cause) {
      throw new WheelError(
        'WHEEL_PYPIRC_INVALID',
        `${tls.source} ${setting} ${path} cannot be read (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`,
        {
          hint: `point ${setting} at a PEM file${setting === 'client_cert' ? ' holding the certificate and its private key' : ' of CA certificates'} (a relative path starts at the workspace root)`,
          source: { file: tls.file },
          cause,
        },
      )
    }
  }
  const ca = tls.caCert === undefined ? undefined : read(tls.caCert, 'ca_cert')
  const pem = tls.clientCert === undefined ? undefined : read(tls.clientCert, 'client_cert')
  // CommonJS, not an ESM import of node:http, which loads undici (see oci's registry/http.ts)
  const agents = {
    http: new (process.getBuiltinModule('node:http').Agent)(),
    https: new (process.getBuiltinModule('node:https').Agent)({
      ...(ca === undefined ? {} : { ca }),
      // one PEM with both, as requests' `cert=` takes it: OpenSSL picks each block by its type
      ...(pem === undefined ? {} : { cert: pem, key: pem }),
    }),
  }
  tlsAgents.set(key, agents)
  return agents
}

export interface SendOptions {
  readonly deps: HttpDeps
  /** The repository's `ca_cert` / `client_cert` (.pypirc). */
  readonly tls?: IndexTls
  readonly retry?: RetryPolicy
  /** Connect, idle, deadline, size and retry-time limits, over the `POLYSHIP_HTTP_*` variables of `deps.env`. */
  readonly limits?: Partial<NetLimits>
  /** Literal secrets to keep out of messages (tokens, passwords). */
  readonly secrets?: readonly string[]
  /** What is being done, for messages: `uploading fastjson-0.1.0.tar.gz to http://...`. */
  readonly what: string
}

/** What a request is made of; `body` is a factory so every attempt gets a fresh one. */
export interface SendInit {
  readonly method?: 'GET' | 'HEAD' | 'POST'
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: ExchangeBody | string
  /** Bytes moved besides a small answer (an upload): extends the deadline. */
  readonly transferBytes?: number
  /** Largest answer accepted (default the limits' `maxBytes`): a file download passes more. */
  readonly maxBytes?: number
  /** A POST whose repeat is harmless (an upload the index refuses as "already exists" the second time): retried like a GET. */
  readonly idempotent?: boolean
}

/**
 * Sends a request through core's retrying send (connect, idle, deadline and size limits;
 * connection failures, timeouts, 408, 429 and 5xx retried with backoff and jitter, or
 * after Retry-After, within the retry time; a POST only when `init().idempotent` says
 * its repeat is harmless, or when it never reached the index). Other answers are
 * returned at once; a 5xx or 429 that outlives the retries is WHEEL_INDEX_ERROR. `init`
 * is a factory so every attempt gets a fresh body. Redirects are not followed: the
 * caller decides.
 */
export async function send(url: string, init: () => SendInit, options: SendOptions): Promise<Response> {
  const retry = options.retry ?? DEFAULT_RETRY
  const secrets = options.secrets ?? []
  const limits = netLimits(options.deps.env, options.limits)
  const deps = options.deps
  const target = new URL(url)
  // the first try's init says whether the request may be repeated; later tries get fresh ones
  let next: SendInit | undefined = init()
  const idempotent = next.idempotent
  const answer = await sendWithRetry(
    () => {
      const request = next ?? init()
      next = undefined
      return exchangeRequest(target, request)
    },
    {
      limits,
      what: options.what,
      secrets,
      policy: { attempts: retry.retries + 1, baseDelayMs: retry.baseDelayMs },
      deps: {
        sleep: deps.sleep,
        ...(deps.now === undefined ? {} : { now: deps.now }),
        ...(deps.random === undefined ? {} : { random: deps.random }),
        ...(deps.reporter === undefined ? {} : { reporter: deps.reporter }),
      },
      ...(deps.reporter === undefined ? {} : { reporter: deps.reporter }),
      ...(options.tls === undefined ? {} : { agents: agentsFor(options.tls) }),
      ...(idempotent === undefined ? {} : { idempotent }),
      unreachable: (cause, tries) =>
        new WheelError(
          'WHEEL_INDEX_UNREACHABLE',
          `${options.what}: cannot reach ${originOf(url)} (${networkErrorReason(cause)}) after ${tries} attempts`,
          {
            hint: 'check the index URL and that the server is up; polyship retries connection failures with backoff',
            cause,
          },
        ),
    },
  )
  const response = toFetchResponse(answer)
  if (response.status !== 429 && (response.status < 500 || response.status > 599)) return response
  const body = await bodyExcerpt(response)
  throw new WheelError(
    'WHEEL_INDEX_ERROR',
    redact(
      `${options.what}: ${originOf(url)} answered ${response.status} ${response.statusText} after ${answer.tries} attempts${body ? `: ${body}` : ''}`,
      secrets,
    ),
    {
      hint:
        response.status === 429
          ? 'the index is rate-limiting; run the release again later, it resumes where it stopped'
          : 'the index is failing; run the release again later, it resumes where it stopped',
    },
  )
}

function exchangeRequest(url: URL, init: SendInit): ExchangeRequest {
  const body = typeof init.body === 'string' ? new TextEncoder().encode(init.body) : init.body
  return {
    method: init.method ?? 'GET',
    url,
    headers: { 'user-agent': 'polyship', ...init.headers },
    ...(body === undefined ? {} : { body }),
    ...(init.transferBytes === undefined ? {} : { transferBytes: init.transferBytes }),
    ...(init.maxBytes === undefined ? {} : { maxBytes: init.maxBytes }),
  }
}

/** The first few hundred characters of a response body, tags stripped, for messages. */
export async function bodyExcerpt(response: Response): Promise<string> {
  const text = await response.text().catch(() => '')
  return text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300)
}

export function isLoopback(url: URL): boolean {
  return isLoopbackHostname(url.hostname)
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}
