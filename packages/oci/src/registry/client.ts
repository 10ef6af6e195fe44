import {
  formatDuration,
  isNetError,
  NetError,
  type NetLimits,
  netLimits,
  RetryBudget,
  redirectHop,
  transferDeadlineMs,
  withoutCredentials,
} from '@polyship/core'
import { nodeDeps, type OciDeps } from '../deps.ts'
import { OciError } from '../errors.ts'
import { type ImageReference, parseReference } from '../reference.ts'
import { HostAuth, type Scope } from './auth/authenticator.ts'
import { parseChallenge } from './auth/challenge.ts'
import type { ExplicitCredentials } from './auth/credentials.ts'
import {
  type Agents,
  createAgents,
  discard,
  type HttpRequest,
  type HttpResponse,
  header,
  type RequestBody,
  send,
} from './http.ts'
import { ReferrerBatches } from './referrers.ts'
import { RegistryStore } from './registry-store.ts'
import {
  backoffMs,
  DEFAULT_RETRY,
  isRetryableError,
  isRetryableStatus,
  type RetryPolicy,
  retryAfterMs,
} from './retry.ts'
import { checkScheme, registryOrigin, shownUrl } from './url.ts'

export interface RegistryClientOptions {
  /** Credentials by registry host, tried before any docker/podman config (CI secrets, polyship config). */
  readonly credentials?: ExplicitCredentials
  /** Hosts (`host` or `host:port`) spoken to over plain HTTP although they are not loopback. */
  readonly insecureHosts?: readonly string[]
  readonly retry?: Partial<RetryPolicy>
  /**
   * Connect, idle, deadline, size and retry-time limits of every exchange, over the
   * `POLYSHIP_HTTP_*` variables of `deps.env` and the core defaults.
   */
  readonly limits?: Partial<NetLimits>
  /** Blobs larger than this go up in resumable chunks of this size (default 64 MiB). */
  readonly chunkSize?: number
  readonly deps?: Partial<OciDeps>
}

/** One request to a registry, before auth, retries and redirects. */
export interface RegistryRequest {
  readonly method: HttpRequest['method']
  /** A path under the registry origin (`/v2/...`) or an absolute URL from a `Location` header. */
  readonly target: string | URL
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: RequestBody
  /** Access the request needs, for bearer token scopes. */
  readonly scopes: readonly Scope[]
  /** What is being done, for messages: `push blob sha256:... to host/repo`. */
  readonly what: string
  /** Follow redirects (GET and HEAD of blobs and manifests). */
  readonly redirects?: boolean
  /** Retry 429/5xx and dropped connections here (default); false when the caller resumes by itself. */
  readonly retry?: boolean
  /** Bytes the exchange moves (an upload body, a blob download): extends its deadline. */
  readonly transferBytes?: number
  /** Largest answer accepted (default the limits' `maxBytes`). */
  readonly maxBytes?: number
  /** Bytes the registry commits on this request (the PUT ending an upload): it may think that long before answering. */
  readonly commitBytes?: number
}

interface Host {
  readonly origin: string
  readonly auth: HostAuth
  ready: Promise<void> | undefined
}

/**
 * Talks to OCI registries: one connection pool, credential lookup and token cache per host,
 * retries with backoff and jitter honouring Retry-After, plain HTTP only for loopback or
 * insecure hosts, and no Authorization sent to another host on redirect.
 */
export class RegistryClient {
  readonly deps: OciDeps
  readonly retry: RetryPolicy
  readonly limits: NetLimits
  readonly chunkSize: number
  readonly insecureHosts: readonly string[]
  readonly #credentials: ExplicitCredentials
  readonly #agents: Agents = createAgents()
  readonly #hosts = new Map<string, Host>()
  readonly #queues = new Map<string, Promise<unknown>>()
  readonly #running = new Map<string, Promise<unknown>>()
  /** Fallback referrers index updates being gathered (see ReferrerBatches). */
  readonly referrerBatches = new ReferrerBatches()

  constructor(options: RegistryClientOptions = {}) {
    this.deps = { ...nodeDeps, ...options.deps }
    this.retry = { ...DEFAULT_RETRY, ...options.retry }
    this.limits = netLimits(this.deps.env, options.limits)
    this.chunkSize = options.chunkSize ?? 64 * 1024 * 1024
    this.insecureHosts = options.insecureHosts ?? []
    this.#credentials = options.credentials ?? {}
  }

  /** A store for one repository, e.g. `ghcr.io/acme/server` (a tag or digest in the text is ignored). */
  repository(name: string | ImageReference): RegistryStore {
    const ref = typeof name === 'string' ? parseReference(name) : name
    return new RegistryStore(this, ref.registry, ref.repository)
  }

  /** Runs tasks with the same key one after another (read-modify-write of shared registry state). */
  serialize<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve()
    const result = previous.catch(() => undefined).then(task)
    const tail = result.catch(() => undefined)
    this.#queues.set(key, tail)
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key)
    })
    return result
  }

  /**
   * Runs `task` unless a task with the same key is running, whose result is then shared
   * (`first` false): concurrent pushes of one blob to one repository check and upload it
   * once. Nothing is remembered once it settles.
   */
  once<T>(key: string, task: () => Promise<T>): { readonly result: Promise<T>; readonly first: boolean } {
    const running = this.#running.get(key) as Promise<T> | undefined
    if (running !== undefined) return { result: running, first: false }
    const result = task().finally(() => this.#running.delete(key))
    this.#running.set(key, result)
    return { result, first: true }
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#agents.http.destroy()
    this.#agents.https.destroy()
  }

  /**
   * Sends a request with auth, retries and redirects. Returns any final answer (the caller
   * reads 404 and friends); throws OCI_UNAUTHORIZED / OCI_DENIED on 401 / 403 and
   * OCI_UNAVAILABLE when retries run out on a dropped connection.
   */
  async request(registry: string, request: RegistryRequest): Promise<HttpResponse> {
    const host = this.#host(registry)
    host.ready ??= this.#ping(registry, host).catch((error: unknown) => {
      host.ready = undefined
      throw error
    })
    await host.ready
    const url = typeof request.target === 'string' ? new URL(request.target, host.origin) : request.target
    let extraScopes: readonly string[] = []
    let reauthenticated = false
    const budget = this.retryBudget()
    for (let attempt = 0; ; attempt++) {
      const authorization = await host.auth.authorization(request.scopes, request.what, extraScopes)
      const res = await this.#attempt(request, url, host.origin, authorization, attempt, budget)
      if (res === 'retry') continue
      if (res.status === 401) {
        if (reauthenticated) {
          const challenge = parseChallenge(header(res, 'www-authenticate'))
          await discard(res)
          if (challenge?.scheme === 'bearer' && challenge.error === 'insufficient_scope') {
            throw await host.auth.denied(request.what, request.scopes)
          }
          throw await host.auth.unauthorized(request.what, request.scopes)
        }
        reauthenticated = true
        extraScopes = await host.auth.onUnauthorized(res, authorization, request.what, request.scopes)
        attempt--
        continue
      }
      if (res.status === 403) {
        await discard(res)
        throw await host.auth.denied(request.what, request.scopes)
      }
      return res
    }
  }

  /** Sends without registry auth but with retries: token realms. */
  async transport(request: HttpRequest, what: string): Promise<HttpResponse> {
    const budget = this.retryBudget()
    for (let attempt = 0; ; attempt++) {
      const res = await this.#attempt(
        {
          method: request.method,
          target: request.url,
          headers: request.headers,
          scopes: [],
          what,
          ...(request.body === undefined ? {} : { body: request.body }),
        },
        request.url,
        request.url.origin,
        undefined,
        attempt,
        budget,
      )
      if (res !== 'retry') return res
    }
  }

  /** The time budget of one call's tries (`limits.retryMs`). */
  retryBudget(): RetryBudget {
    return new RetryBudget(this.limits.retryMs, this.deps.now)
  }

  /**
   * Waits before retry number `attempt` (0-based), from Retry-After or backoff, and says
   * so when it follows a timeout. Returns false, without waiting, when the retry would
   * start after the budget's end: the caller gives up.
   */
  async waitBeforeRetry(
    attempt: number,
    res: HttpResponse | undefined,
    what: string,
    budget?: RetryBudget,
    cause?: unknown,
  ): Promise<boolean> {
    const after = res === undefined ? undefined : retryAfterMs(header(res, 'retry-after'), this.deps.now())
    if (after !== undefined && after > this.retry.maxRetryAfterMs) {
      throw new OciError(
        'OCI_UNAVAILABLE',
        `${what}: registry asked to retry after ${Math.round(after / 1000)} s`,
        {
          hint: 'the registry is rate-limiting or down for maintenance; run again later',
        },
      )
    }
    const delay = after ?? backoffMs(attempt, this.retry, this.deps.random)
    if (budget !== undefined && !budget.allows(delay)) return false
    const reason = isNetError(cause)
      ? cause.message
      : res !== undefined
        ? `${what}: registry answered ${res.status}`
        : cause instanceof Error
          ? `${what}: ${cause.message}`
          : what
    this.deps.reporter.emit({
      type: 'log',
      level: isNetError(cause) ? 'warn' : 'debug',
      message: `${reason}; retrying in ${formatDuration(delay)} (try ${attempt + 2} of at most ${this.retry.attempts})`,
    })
    await this.deps.sleep(delay)
    return true
  }

  /** The error to give up with after `tries` failed: a NetError as it is, any other connection failure as OCI_UNAVAILABLE. */
  unavailable(what: string, cause: unknown, tries = this.retry.attempts, budget?: RetryBudget): Error {
    const elapsed = budget === undefined ? '' : ` in ${formatDuration(budget.elapsedMs())}`
    if (isNetError(cause)) return cause.gaveUp(tries, formatDuration(budget?.elapsedMs() ?? 0))
    return new OciError(
      'OCI_UNAVAILABLE',
      `${what}: connection failed after ${tries} ${tries === 1 ? 'try' : 'tries'}${elapsed} (${cause instanceof Error ? cause.message : String(cause)})`,
      {
        hint: 'check that the registry is reachable; polyship resumes where it stopped when run again',
        cause,
      },
    )
  }

  async #attempt(
    request: RegistryRequest,
    url: URL,
    origin: string,
    authorization: string | undefined,
    attempt: number,
    budget: RetryBudget,
  ): Promise<HttpResponse | 'retry'> {
    const retrying = request.retry !== false && attempt + 1 < this.retry.attempts
    let res: HttpResponse
    try {
      res = await this.#follow(request, url, origin, authorization)
    } catch (error) {
      if (error instanceof OciError) throw error
      if (!isRetryableError(error)) throw error
      if (!retrying || !(await this.waitBeforeRetry(attempt, undefined, request.what, budget, error)))
        throw this.unavailable(request.what, error, attempt + 1, budget)
      return 'retry'
    }
    if (retrying && isRetryableStatus(res.status)) {
      await discard(res)
      if (await this.waitBeforeRetry(attempt, res, request.what, budget)) return 'retry'
    }
    return res
  }

  /**
   * Sends and follows redirects under core's rules (`redirectHop`: at most MAX_REDIRECTS,
   * never https to http, GET and HEAD only here); Authorization and any other credential
   * header go only to the registry's own origin, never to the blob storage it redirects to.
   */
  async #follow(request: RegistryRequest, first: URL, origin: string, authorization: string | undefined) {
    let url = first
    const chain = [first]
    for (;;) {
      checkScheme(url, this.insecureHosts, request.what)
      const own: Record<string, string> = { 'user-agent': 'polyship', ...request.headers }
      if (authorization !== undefined) own.authorization = authorization
      const headers = url.origin === origin ? own : withoutCredentials(own)
      const res = await send(
        {
          method: request.method,
          url,
          headers,
          ...(request.body === undefined ? {} : { body: request.body }),
        },
        {
          agents: this.#agents,
          limits: this.limits,
          what: request.what,
          reporter: this.deps.reporter,
          ...(request.transferBytes === undefined ? {} : { transferBytes: request.transferBytes }),
          ...(request.maxBytes === undefined ? {} : { maxBytes: request.maxBytes }),
          ...(request.commitBytes === undefined
            ? {}
            : { answerWithinMs: transferDeadlineMs(this.limits, request.commitBytes) }),
        },
      ).catch((error: unknown) => {
        throw url.protocol === 'https:' && isNetError(error) && error.failure === 'tls'
          ? new NetError('tls', error.host, error.message, {
              hint: `if ${error.host} is a trusted registry without TLS, mark it insecure ("insecure": true on the destination); otherwise check its port`,
              cause: error,
            })
          : error
      })
      this.deps.reporter.emit({
        type: 'log',
        level: 'debug',
        message: `${request.method} ${shownUrl(url)} ${res.status}`,
      })
      if (!request.redirects) return res
      const hop = redirectHop(
        {
          method: request.method,
          chain,
          hasBody: request.body !== undefined,
          replayable: true,
          what: request.what,
        },
        res,
      )
      if (hop === undefined) return res
      await discard(res)
      url = hop.url
      chain.push(url)
    }
  }

  #host(registry: string): Host {
    let host = this.#hosts.get(registry)
    if (host === undefined) {
      host = {
        origin: registryOrigin(registry, this.insecureHosts),
        auth: new HostAuth({
          registry,
          explicit: this.#credentials,
          insecureHosts: this.insecureHosts,
          deps: this.deps,
          transport: (request, what) => this.transport(request, what),
        }),
        ready: undefined,
      }
      this.#hosts.set(registry, host)
    }
    return host
  }

  /** `GET /v2/`: learns whether and how the registry wants authentication, before any body is sent. */
  async #ping(registry: string, host: Host): Promise<void> {
    const url = new URL('/v2/', host.origin)
    const what = `contact registry ${registry}`
    const budget = this.retryBudget()
    for (let attempt = 0; ; attempt++) {
      const res = await this.#attempt(
        { method: 'GET', target: url, scopes: [], what },
        url,
        host.origin,
        undefined,
        attempt,
        budget,
      )
      if (res === 'retry') continue
      await discard(res)
      if (res.status === 401) {
        host.auth.setChallenge(parseChallenge(header(res, 'www-authenticate')))
        return
      }
      if (res.status === 200) return
      throw new OciError(
        res.status === 404 ? 'OCI_REGISTRY_ERROR' : 'OCI_UNAVAILABLE',
        `${what}: ${shownUrl(url)} answered ${res.status}`,
        {
          hint:
            res.status === 404 ? `${registry} does not serve the OCI distribution API (/v2/)` : 'retry later',
        },
      )
    }
  }
}
