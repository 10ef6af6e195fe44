import type { IncomingHttpHeaders } from 'node:http'
import {
  type ExchangeOptions,
  type ExchangeRequest,
  type ExchangeResponse,
  exchange,
} from './http-exchange.ts'
import { NetError } from './net-error.ts'

/** The most redirects one request follows (curl and Go stop at 10 and 50; registries need 1 or 2). */
export const MAX_REDIRECTS = 5

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/**
 * Headers that carry a credential: never sent to an origin the request was not made for.
 * Authorization, Proxy-Authorization and Cookie by name; any other whose name speaks of a
 * token, key, secret, password, session or auth (`x-api-key`, `private-token`, `x-auth-token`).
 */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase()
  return lower === 'cookie' || /auth|token|api-?key|secret|passw|session/.test(lower)
}

/** The headers without the credential ones (`isCredentialHeader`). */
export function withoutCredentials(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !isCredentialHeader(name)))
}

/** The request a redirect answered, as the redirect rules see it. */
export interface RedirectedRequest {
  readonly method: string
  /** The URLs requested so far, the first one first and the answered one last. */
  readonly chain: readonly URL[]
  readonly hasBody: boolean
  /** False when the body cannot be produced again (a stream read once). */
  readonly replayable: boolean
  /** For messages: `download x from host`. */
  readonly what: string
  /** Redirects followed at most (default `MAX_REDIRECTS`). */
  readonly maxRedirects?: number
}

/** Where a redirect sends the request: the method (303 turns it into GET) and whether its body goes along. */
export interface RedirectHop {
  readonly url: URL
  readonly method: string
  readonly keepBody: boolean
}

/**
 * The next hop of a redirect answer under polyship's rules, or undefined when the answer
 * is not a redirect (not 301/302/303/307/308 with a Location). GET and HEAD follow every
 * redirect; another method follows only 307 and 308 (which keep method and body), and
 * only when its body can be sent again. Never from https to plain http. Refusals are
 * NetErrors naming the host: NET_REDIRECT_LIMIT (more than `maxRedirects`, or a loop),
 * NET_REDIRECT_DOWNGRADE, NET_REDIRECT_REFUSED (a method or body that cannot follow),
 * NET_REDIRECT_INVALID (a Location that is not an http(s) URL).
 */
export function redirectHop(
  request: RedirectedRequest,
  answer: { readonly status: number; readonly headers: IncomingHttpHeaders },
): RedirectHop | undefined {
  const raw = answer.headers.location
  const location = Array.isArray(raw) ? raw[0] : raw
  if (!REDIRECT_STATUSES.has(answer.status) || location === undefined) return undefined
  const from = request.chain.at(-1)
  if (from === undefined) throw new Error('redirectHop: the chain of requested URLs is empty')
  const host = from.host
  const what = request.what
  const target = URL.canParse(location, from.href) ? new URL(location, from) : undefined
  if (target === undefined || (target.protocol !== 'https:' && target.protocol !== 'http:')) {
    throw new NetError(
      'redirect-invalid',
      host,
      `${what}: ${host} answered ${answer.status} with a Location that is not an http(s) URL`,
      { hint: `${host} or a proxy in front of it is misconfigured; check the URL polyship was given` },
    )
  }
  target.hash = ''
  if (from.protocol === 'https:' && target.protocol === 'http:') {
    throw new NetError(
      'downgrade',
      host,
      `${what}: ${host} redirected to plain http://${target.host}; polyship never leaves TLS on a redirect`,
      { hint: `use an https:// URL for ${target.host}, or configure the URL ${host} redirects to directly` },
    )
  }
  const max = request.maxRedirects ?? MAX_REDIRECTS
  if (request.chain.some((visited) => visited.href === target.href)) {
    throw new NetError(
      'redirect-limit',
      host,
      `${what}: ${host} redirects in a loop (back to ${target.host}${target.pathname})`,
      { hint: `${host} or a proxy in front of it is misconfigured; check the URL polyship was given` },
    )
  }
  if (request.chain.length > max) {
    throw new NetError('redirect-limit', host, `${what}: more than ${max} redirects, the last from ${host}`, {
      hint: `${host} or a proxy in front of it redirects too often; configure the URL it ends at directly`,
    })
  }
  const method = request.method.toUpperCase()
  if (method === 'GET' || method === 'HEAD') return { url: target, method, keepBody: false }
  if (answer.status === 307 || answer.status === 308) {
    if (!request.hasBody || request.replayable) return { url: target, method, keepBody: request.hasBody }
  }
  throw new NetError(
    'redirect-refused',
    host,
    `${what}: ${host} answered ${answer.status} to a ${method}, redirecting it to ${target.host}; polyship does not re-send ${request.hasBody && (answer.status === 307 || answer.status === 308) ? 'a body it cannot produce again' : `a ${method} there`}`,
    { hint: `configure the URL ${host} redirects to (${target.origin}${target.pathname}) directly` },
  )
}

export interface FollowOptions extends ExchangeOptions {
  /** Redirects followed at most (default `MAX_REDIRECTS`); 0 returns redirect answers as they are. */
  readonly maxRedirects?: number
  /** False when a streamed body cannot be produced twice (default true). */
  readonly replayable?: boolean
}

/**
 * Core's exchange, following redirects under `redirectHop`'s rules: credential headers
 * (`isCredentialHeader`) go only to the origin of the first request, so blob storage a
 * registry redirects to never sees its token. The answer's `url` is where it ended.
 */
export async function exchangeFollowing(
  request: ExchangeRequest,
  options: FollowOptions,
): Promise<ExchangeResponse> {
  const max = options.maxRedirects ?? MAX_REDIRECTS
  const origin = request.url.origin
  const chain: URL[] = [request.url]
  let current = request
  for (;;) {
    const answer = await exchange(current, options)
    if (max === 0) return answer
    const hop = redirectHop(
      {
        method: current.method,
        chain,
        hasBody: current.body !== undefined,
        replayable: options.replayable !== false,
        what: options.what,
        maxRedirects: max,
      },
      answer,
    )
    if (hop === undefined) return answer
    answer.body.destroy()
    chain.push(hop.url)
    const headers = request.headers ?? {}
    const { body: _body, ...rest } = current
    current = {
      ...rest,
      method: hop.method,
      url: hop.url,
      headers: hop.url.origin === origin ? headers : withoutCredentials(headers),
      ...(hop.keepBody && current.body !== undefined ? { body: current.body } : {}),
    }
  }
}
