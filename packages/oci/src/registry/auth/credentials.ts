import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CoreError, registerCredential, registerSecrets, run } from '@polyship/core'
import type { OciDeps } from '../../deps.ts'
import { OciError } from '../../errors.ts'
import { DOCKER_HUB } from '../../reference.ts'

/** A secret for one registry and where it came from. `source` names the place, never the value. */
export interface Credential {
  readonly source: string
  readonly username?: string
  readonly password?: string
  /** An OAuth2 refresh token (`identitytoken`, or a helper's `<token>` user) exchanged at the token realm. */
  readonly identityToken?: string
  /** A bearer token sent to the registry as is (`registrytoken`). */
  readonly registryToken?: string
}

/** Credentials given directly (polyship config, CI secrets), by registry host. */
export type ExplicitCredentials = Readonly<
  Record<string, { readonly username: string; readonly password: string }>
>

export interface CredentialLookup {
  readonly credential: Credential | undefined
  /** Every source consulted, in order, for the message when nothing (or something wrong) was found. */
  readonly tried: readonly string[]
}

/** Docker's and podman's names for Docker Hub in config files and helper queries. */
const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io', 'docker.io']

/** `https://host:port/v1/` -> `host:port`, lowercased; every Docker Hub alias -> docker.io. */
export function normalizeAuthKey(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .split('/')[0]!
    .toLowerCase()
  return HUB_KEYS.includes(host) || host === 'index.docker.io' ? DOCKER_HUB : host
}

/**
 * Finds credentials for `registry`, in order: explicit credentials, REGISTRY_AUTH_FILE,
 * docker config.json (DOCKER_CONFIG or ~/.docker) credHelpers, auths, credsStore, and
 * GITHUB_TOKEN for ghcr.io. The secret found is registered with core's redactor before it
 * is returned, so no message, log line or record of this process shows it.
 */
export async function findCredential(
  registry: string,
  explicit: ExplicitCredentials,
  deps: OciDeps,
): Promise<CredentialLookup> {
  const lookup = await lookupCredential(registry, explicit, deps)
  const found = lookup.credential
  if (found !== undefined) {
    registerCredential(found.username, found.password)
    registerSecrets([found.identityToken, found.registryToken])
  }
  return lookup
}

async function lookupCredential(
  registry: string,
  explicit: ExplicitCredentials,
  deps: OciDeps,
): Promise<CredentialLookup> {
  const tried: string[] = []
  const host = normalizeAuthKey(registry)

  const given = Object.entries(explicit).find(([key]) => normalizeAuthKey(key) === host)?.[1]
  tried.push(`explicit credentials for ${registry}`)
  if (given !== undefined) {
    const source = `explicit credentials for ${registry}`
    return { credential: { source, username: given.username, password: given.password }, tried }
  }

  const authFile = deps.env.REGISTRY_AUTH_FILE
  if (authFile !== undefined && authFile !== '') {
    const found = await fromConfigFile(authFile, `REGISTRY_AUTH_FILE ${authFile}`, host, deps, tried)
    if (found !== undefined) return { credential: found, tried }
  }

  const configDir = deps.env.DOCKER_CONFIG || join(deps.homedir(), '.docker')
  const configFile = join(configDir, 'config.json')
  const label = deps.env.DOCKER_CONFIG ? `DOCKER_CONFIG ${configFile}` : configFile
  const found = await fromConfigFile(configFile, label, host, deps, tried)
  if (found !== undefined) return { credential: found, tried }

  if (host === 'ghcr.io' && deps.env.GITHUB_TOKEN) {
    tried.push('GITHUB_TOKEN')
    return {
      credential: {
        source: 'GITHUB_TOKEN (for ghcr.io)',
        username: deps.env.GITHUB_ACTOR || 'x-access-token',
        password: deps.env.GITHUB_TOKEN,
      },
      tried,
    }
  }
  return { credential: undefined, tried }
}

interface AuthConfigFile {
  readonly auths?: Record<string, AuthEntry>
  readonly credHelpers?: Record<string, string>
  readonly credsStore?: string
}

interface AuthEntry {
  readonly auth?: string
  readonly username?: string
  readonly password?: string
  readonly identitytoken?: string
  readonly registrytoken?: string
}

async function fromConfigFile(
  file: string,
  label: string,
  host: string,
  deps: OciDeps,
  tried: string[],
): Promise<Credential | undefined> {
  let config: AuthConfigFile
  try {
    config = JSON.parse(await readFile(file, 'utf8')) as AuthConfigFile
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      tried.push(`${label} (absent)`)
      return undefined
    }
    throw new OciError(
      'OCI_CREDENTIALS_INVALID',
      `${label}: cannot read registry credentials: ${String(error)}`,
      {
        hint: 'fix the JSON of that file (docker login rewrites it) or point DOCKER_CONFIG / REGISTRY_AUTH_FILE elsewhere',
        cause: error,
      },
    )
  }
  const helper = Object.entries(config.credHelpers ?? {}).find(([key]) => normalizeAuthKey(key) === host)?.[1]
  if (helper !== undefined) return fromHelper(helper, host, `credHelpers in ${label}`, deps, tried)

  const entry = Object.entries(config.auths ?? {}).find(([key]) => normalizeAuthKey(key) === host)
  if (entry !== undefined) {
    const [key, value] = entry
    const source = `${label} (auths."${key}")`
    tried.push(source)
    const credential = fromAuthEntry(value, source)
    if (credential !== undefined) return credential
  } else {
    tried.push(`${label} (no auths entry for ${host})`)
  }
  if (config.credsStore) return fromHelper(config.credsStore, host, `credsStore in ${label}`, deps, tried)
  return undefined
}

function fromAuthEntry(entry: AuthEntry, source: string): Credential | undefined {
  registerSecrets([entry.auth, entry.password, entry.identitytoken, entry.registrytoken])
  if (entry.registrytoken) return { source, registryToken: entry.registrytoken }
  let { username, password } = entry
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon === -1) {
      throw new OciError('OCI_CREDENTIALS_INVALID', `${source}: "auth" is not base64 of user:password`, {
        hint: 'run docker login again, or write auth as base64("user:password")',
      })
    }
    username = decoded.slice(0, colon)
    password = decoded.slice(colon + 1)
  }
  if (entry.identitytoken)
    return { source, ...(username ? { username } : {}), identityToken: entry.identitytoken }
  if (username !== undefined && password !== undefined) return { source, username, password }
  return undefined
}

/** `docker-credential-<helper> get` with the server URL on stdin; `<token>` as user means an identity token. */
async function fromHelper(
  helper: string,
  host: string,
  where: string,
  deps: OciDeps,
  tried: string[],
): Promise<Credential | undefined> {
  const program = `docker-credential-${helper}`
  const source = `${program} (${where})`
  tried.push(source)
  const serverUrl = host === DOCKER_HUB ? HUB_KEYS[0]! : host
  let stdout: string
  try {
    ;({ stdout } = await run(program, ['get'], { input: serverUrl, env: deps.env, timeoutMs: 60_000 }))
  } catch (error) {
    if (
      error instanceof CoreError &&
      error.code === 'SUBPROCESS_FAILED' &&
      /not found/i.test(error.message)
    ) {
      return undefined
    }
    throw new OciError('OCI_CREDENTIALS_INVALID', `${source} failed for ${host}`, {
      hint: `install ${program} or remove it from the docker config; its output is in the cause`,
      cause: error,
    })
  }
  let answer: { Username?: string; Secret?: string }
  try {
    answer = JSON.parse(stdout) as { Username?: string; Secret?: string }
  } catch {
    // no cause: JSON.parse quotes the text it could not read, and that text may be the secret
    throw new OciError(
      'OCI_CREDENTIALS_INVALID',
      `${source} did not print JSON for ${host} (${stdout.length} characters)`,
      { hint: `check that ${program} works: echo ${serverUrl} | ${program} get` },
    )
  }
  registerSecrets([answer.Secret])
  if (!answer.Secret) return undefined
  if (answer.Username === '<token>') return { source, identityToken: answer.Secret }
  return { source, username: answer.Username ?? '', password: answer.Secret }
}
