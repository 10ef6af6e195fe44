import { registerSecret } from '@polyship/core'
import type { OciDeps } from '../../deps.ts'
import { OciError } from '../../errors.ts'
import { discard, type HttpRequest, type HttpResponse, header, readText } from '../http.ts'
import { checkScheme } from '../url.ts'
import { type Challenge, parseChallenge } from './challenge.ts'
import { type CredentialLookup, type ExplicitCredentials, findCredential } from './credentials.ts'

/** Access a request needs on one repository. */
export interface Scope {
  readonly repository: string
  readonly actions: readonly ('pull' | 'push')[]
}

function scopeString(scope: Scope): string {
  return `repository:${scope.repository}:${[...scope.actions].sort().join(',')}`
}

interface CachedToken {
  readonly scopes: readonly string[]
  readonly value: string
  readonly expiresAt: number
}

export interface HostAuthOptions {
  readonly registry: string
  readonly explicit: ExplicitCredentials
  readonly insecureHosts: readonly string[]
  readonly deps: OciDeps
  /** Sends a request with retries but without registry auth (token realm calls). */
  readonly transport: (request: HttpRequest, what: string) => Promise<HttpResponse>
}

/**
 * Authentication state for one registry host: the challenge it answered with, the
 * credentials found for it (looked up once, lazily), and bearer tokens by scope, reused
 * until they expire or the registry asks for another scope.
 */
export class HostAuth {
  readonly #options: HostAuthOptions
  #challenge: Challenge | undefined
  #lookup: Promise<CredentialLookup> | undefined
  #tokens: CachedToken[] = []
  readonly #pending = new Map<string, Promise<CachedToken>>()

  constructor(options: HostAuthOptions) {
    this.#options = options
  }

  /** Records the challenge from the registry's `/v2/` answer (undefined: no auth needed). */
  setChallenge(challenge: Challenge | undefined): void {
    this.#challenge = challenge === undefined ? undefined : hostLevel(challenge)
  }

  /** The Authorization header for a request needing `scopes`, or undefined when the registry wants none. */
  async authorization(
    scopes: readonly Scope[],
    what: string,
    extraScopes: readonly string[] = [],
  ): Promise<string | undefined> {
    const challenge = this.#challenge
    if (challenge === undefined) return undefined
    const { credential } = await this.#credentials()
    if (challenge.scheme === 'basic') {
      if (credential?.username === undefined || credential.password === undefined) {
        throw await this.#unauthorized(what, false)
      }
      return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`
    }
    if (credential?.registryToken !== undefined) return `Bearer ${credential.registryToken}`
    const wanted = mergeScopes([...scopes.map(scopeString), ...extraScopes])
    const now = this.#options.deps.now()
    const cached = this.#tokens.find((t) => t.expiresAt > now && covers(t.scopes, wanted))
    if (cached !== undefined) return `Bearer ${cached.value}`
    const key = wanted.join(' ')
    let pending = this.#pending.get(key)
    if (pending === undefined) {
      pending = this.#fetchToken(challenge, wanted, what).finally(() => this.#pending.delete(key))
      this.#pending.set(key, pending)
    }
    return `Bearer ${(await pending).value}`
  }

  /**
   * Handles a 401. Returns the scopes the registry asked for, to request with the retry,
   * when a retry may succeed (first challenge seen, token expired, another scope needed);
   * throws OCI_UNAUTHORIZED when the credentials were rejected.
   */
  async onUnauthorized(
    res: HttpResponse,
    sentAuthorization: string | undefined,
    what: string,
  ): Promise<readonly string[]> {
    const challenge = parseChallenge(header(res, 'www-authenticate'))
    await discard(res)
    if (challenge === undefined) throw await this.#unauthorized(what, sentAuthorization !== undefined)
    const asked = challenge.scheme === 'bearer' ? challenge.scopes : []
    if (sentAuthorization === undefined || this.#challenge?.scheme !== challenge.scheme) {
      this.#challenge = hostLevel(challenge)
      return asked
    }
    if (challenge.scheme === 'basic') throw await this.#unauthorized(what, true)
    const sent = sentAuthorization.slice('Bearer '.length)
    this.#tokens = this.#tokens.filter((t) => t.value !== sent)
    return asked
  }

  /** The error for a 401 that persists: names the credential source tried, never its value. */
  async unauthorized(what: string): Promise<OciError> {
    return this.#unauthorized(what, true)
  }

  async denied(what: string): Promise<OciError> {
    const { credential } = await this.#credentials()
    if (credential === undefined) return this.#unauthorized(what, false)
    return new OciError(
      'OCI_DENIED',
      `${what}: ${this.#options.registry} denied it to the credentials from ${credential.source}`,
      {
        hint: 'those credentials lack the rights this needs (push needs write access to the repository); use an account or token that has them',
      },
    )
  }

  #credentials(): Promise<CredentialLookup> {
    this.#lookup ??= findCredential(this.#options.registry, this.#options.explicit, this.#options.deps)
    return this.#lookup
  }

  async #unauthorized(what: string, sent: boolean): Promise<OciError> {
    const { credential, tried } = await this.#credentials()
    const registry = this.#options.registry
    if (credential === undefined) {
      return new OciError(
        'OCI_UNAUTHORIZED',
        `${what}: ${registry} requires authentication and no credentials were found (looked in: ${tried.join('; ')})`,
        {
          hint: `log in (docker login ${registry}), or set DOCKER_CONFIG / REGISTRY_AUTH_FILE to a file holding credentials for ${registry}`,
        },
      )
    }
    return new OciError(
      'OCI_UNAUTHORIZED',
      `${what}: ${registry} ${sent ? 'rejected' : 'cannot use'} the credentials from ${credential.source}`,
      { hint: `check or renew the credentials there (docker login ${registry} rewrites them)` },
    )
  }

  async #fetchToken(
    challenge: Challenge & { scheme: 'bearer' },
    scopes: string[],
    what: string,
  ): Promise<CachedToken> {
    const { credential } = await this.#credentials()
    const realm = new URL(challenge.realm)
    checkScheme(realm, this.#options.insecureHosts, `token realm of ${this.#options.registry}`)
    const headers: Record<string, string> = { accept: 'application/json' }
    let request: HttpRequest
    if (credential?.identityToken !== undefined) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credential.identityToken,
        client_id: 'polyship',
        ...(challenge.service === undefined ? {} : { service: challenge.service }),
        scope: scopes.join(' '),
      })
      headers['content-type'] = 'application/x-www-form-urlencoded'
      request = { method: 'POST', url: realm, headers, body: new TextEncoder().encode(form.toString()) }
    } else {
      const url = new URL(realm)
      if (challenge.service !== undefined) url.searchParams.set('service', challenge.service)
      for (const scope of scopes) url.searchParams.append('scope', scope)
      if (credential?.username !== undefined && credential.password !== undefined) {
        headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`
      }
      request = { method: 'GET', url, headers }
    }
    const res = await this.#options.transport(request, `token for ${what}`)
    if (res.status === 401 || res.status === 403) {
      await discard(res)
      throw await this.#unauthorized(what, credential !== undefined)
    }
    const text = await readText(res)
    if (res.status !== 200) {
      throw new OciError(
        'OCI_REGISTRY_ERROR',
        `${what}: token server ${realm.origin}${realm.pathname} answered ${res.status}`,
        { hint: 'the registry auth service failed; retry later or check the registry status' },
      )
    }
    let body: { token?: string; access_token?: string; expires_in?: number; issued_at?: string }
    try {
      body = JSON.parse(text) as typeof body
    } catch {
      // no cause: JSON.parse quotes the start of the answer, which may be a credential sent back
      const type = header(res, 'content-type') ?? 'no content type'
      throw new OciError(
        'OCI_REGISTRY_ERROR',
        `${what}: token server ${realm.origin} sent no JSON (${type}, ${text.length} characters)`,
        { hint: 'the registry auth service is misconfigured or a proxy answered instead' },
      )
    }
    const value = body.token ?? body.access_token
    if (value === undefined || value === '') {
      throw new OciError('OCI_REGISTRY_ERROR', `${what}: token server ${realm.origin} sent no token`, {
        hint: 'the registry auth service is misconfigured',
      })
    }
    registerSecret(value)
    const lifetimeMs = Math.max(60, body.expires_in ?? 60) * 1000
    const token = {
      scopes,
      value,
      expiresAt: this.#options.deps.now() + lifetimeMs - Math.min(10_000, lifetimeMs / 4),
    }
    this.#tokens.push(token)
    return token
  }
}

/** A challenge without the scopes of the request that triggered it. */
function hostLevel(challenge: Challenge): Challenge {
  return challenge.scheme === 'bearer' ? { ...challenge, scopes: [] } : challenge
}

/** Merges `repository:name:actions` scopes of the same repository (union of actions); others kept as is. Sorted. */
function mergeScopes(scopes: readonly string[]): string[] {
  const byRepo = new Map<string, Set<string>>()
  const other = new Set<string>()
  for (const scope of scopes) {
    const match = /^repository:([^:]+):(.+)$/.exec(scope)
    if (match === null) {
      other.add(scope)
      continue
    }
    const actions = byRepo.get(match[1]!) ?? new Set<string>()
    for (const action of match[2]!.split(',')) actions.add(action)
    byRepo.set(match[1]!, actions)
  }
  const merged = [...byRepo].map(([repo, actions]) => `repository:${repo}:${[...actions].sort().join(',')}`)
  return [...merged, ...other].sort()
}

function covers(granted: readonly string[], wanted: readonly string[]): boolean {
  const have = new Map<string, Set<string>>()
  for (const scope of granted) {
    const cut = scope.lastIndexOf(':')
    have.set(scope.slice(0, cut), new Set(scope.slice(cut + 1).split(',')))
  }
  return wanted.every((scope) => {
    const cut = scope.lastIndexOf(':')
    const actions = have.get(scope.slice(0, cut))
    return (
      actions !== undefined &&
      scope
        .slice(cut + 1)
        .split(',')
        .every((a) => actions.has(a) || actions.has('*'))
    )
  })
}
