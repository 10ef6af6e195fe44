import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CoreError, registerCredential, registerSecret, registerSecrets, run } from '@polyship/core'
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

/** An auth-file key split into the registry host and the repository namespace it is limited to. */
export interface AuthKey {
  /** `host[:port]`, lowercased; every Docker Hub alias is `docker.io`. */
  readonly host: string
  /** `ns` or `ns/repo` for podman's namespace keys (`quay.io/team`); '' for a whole registry. */
  readonly namespace: string
}

/**
 * Reads a key of `auths` / `credHelpers` the way docker and podman write them:
 * `https://index.docker.io/v1/` and `http://host:5000/v2/` (a scheme: the host alone counts,
 * as docker's own lookup does), `host:port`, and `host/ns[/repo]` without a scheme (podman's
 * namespace keys). The host is lowercased and Docker Hub's aliases become `docker.io`.
 */
export function parseAuthKey(key: string): AuthKey {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(key)
  const rest = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
  const slash = rest.indexOf('/')
  const rawHost = (slash === -1 ? rest : rest.slice(0, slash)).toLowerCase()
  const host = HUB_KEYS.includes(rawHost) ? DOCKER_HUB : rawHost
  let namespace = withScheme || slash === -1 ? '' : rest.slice(slash + 1).replace(/\/+$/, '')
  // `host/v1/`, `host/v2/`: docker's API-version suffix, not a namespace
  if (/^v[12]$/.test(namespace)) namespace = ''
  return { host, namespace }
}

/** `https://host:port/v1/` -> `host:port`, lowercased; every Docker Hub alias -> docker.io. */
export function normalizeAuthKey(key: string): string {
  return parseAuthKey(key).host
}

/**
 * The key of `entries` that applies to `repository` on `host`: podman's rule, the most
 * specific namespace first (`host/team/app`, then `host/team`, then `host`).
 */
function bestKey(keys: readonly string[], host: string, repository: string | undefined): string | undefined {
  let best: { key: string; length: number } | undefined
  for (const key of keys) {
    const parsed = parseAuthKey(key)
    if (parsed.host !== host) continue
    const ns = parsed.namespace
    if (ns !== '' && (repository === undefined || (repository !== ns && !repository.startsWith(`${ns}/`)))) {
      continue
    }
    const length = ns === '' ? 0 : ns.length + 1
    if (best === undefined || length > best.length) best = { key, length }
  }
  return best?.key
}

/** One file in docker's config.json format (podman's auth.json and helm's registry config are the same). */
export interface AuthFileLocation {
  readonly file: string
  /** How messages name it: the variable that chose it, then the path. */
  readonly label: string
}

/**
 * The auth files polyship reads, in order (first file with an entry for the registry wins):
 *
 * 1. `$REGISTRY_AUTH_FILE` (an explicit override, as podman, buildah and skopeo take it)
 * 2. docker: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`
 * 3. podman: `$XDG_RUNTIME_DIR/containers/auth.json`, then `${XDG_CONFIG_HOME:-~/.config}/containers/auth.json`
 * 4. helm: `$HELM_REGISTRY_CONFIG`, else `${HELM_CONFIG_HOME:-${XDG_CONFIG_HOME:-~/.config}/helm}/registry/config.json`
 *
 * Podman and helm each read their own file first and then docker's; docker reads only its
 * own. Polyship reads docker's before theirs because it is the file `docker login` and CI
 * login actions write, so a host known to several tools gets docker's credentials.
 */
export function authFileLocations(env: OciDeps['env'], home: string): AuthFileLocation[] {
  const locations: AuthFileLocation[] = []
  const add = (file: string, label: string): void => {
    if (!locations.some((l) => l.file === file)) locations.push({ file, label })
  }
  const set = (name: string): string | undefined => {
    const value = env[name]
    return value === undefined || value === '' ? undefined : value
  }
  const authFile = set('REGISTRY_AUTH_FILE')
  if (authFile !== undefined) add(authFile, `REGISTRY_AUTH_FILE ${authFile}`)

  const dockerDir = set('DOCKER_CONFIG')
  if (dockerDir !== undefined)
    add(join(dockerDir, 'config.json'), `DOCKER_CONFIG ${join(dockerDir, 'config.json')}`)
  else add(join(home, '.docker', 'config.json'), join(home, '.docker', 'config.json'))

  const configHome = set('XDG_CONFIG_HOME') ?? join(home, '.config')
  const runtimeDir = set('XDG_RUNTIME_DIR')
  if (runtimeDir !== undefined) {
    const file = join(runtimeDir, 'containers', 'auth.json')
    add(file, `podman XDG_RUNTIME_DIR ${file}`)
  }
  const podmanFile = join(configHome, 'containers', 'auth.json')
  add(podmanFile, `podman ${podmanFile}`)

  const helmFile = set('HELM_REGISTRY_CONFIG')
  if (helmFile !== undefined) add(helmFile, `HELM_REGISTRY_CONFIG ${helmFile}`)
  else {
    const helmHome = set('HELM_CONFIG_HOME') ?? join(configHome, 'helm')
    const file = join(helmHome, 'registry', 'config.json')
    add(file, `helm ${file}`)
  }
  return locations
}

/**
 * Finds credentials for `registry` (and `repository` on it, for namespace keys), in order:
 * explicit credentials, then the auth files of `authFileLocations` (in each: docker's
 * order, credHelpers[host], then credsStore, then auths), then GITHUB_TOKEN for ghcr.io.
 * The secret found is registered with core's redactor before it is returned, so no
 * message, log line or record of this process shows it.
 */
export async function findCredential(
  registry: string,
  explicit: ExplicitCredentials,
  deps: OciDeps,
  repository?: string,
): Promise<CredentialLookup> {
  const lookup = await lookupCredential(registry, explicit, deps, repository)
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
  repository: string | undefined,
): Promise<CredentialLookup> {
  const tried: string[] = []
  const host = normalizeAuthKey(registry)

  const givenKey = bestKey(Object.keys(explicit), host, repository)
  tried.push(`explicit credentials for ${registry}`)
  if (givenKey !== undefined) {
    const given = explicit[givenKey]!
    registerCredential(given.username, given.password)
    const source = `explicit credentials for ${givenKey}`
    return { credential: { source, username: given.username, password: given.password }, tried }
  }

  for (const { file, label } of authFileLocations(deps.env, deps.homedir())) {
    const found = await fromConfigFile(file, label, host, repository, deps, tried)
    if (found !== undefined) return { credential: found, tried }
  }

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
  repository: string | undefined,
  deps: OciDeps,
  tried: string[],
): Promise<Credential | undefined> {
  const config = await readAuthFile(file, label)
  if (config === undefined) {
    tried.push(`${label} (absent)`)
    return undefined
  }
  // docker's order: a helper named for the host, then the default store, then the file's own entry
  const helperKey = bestKey(Object.keys(config.credHelpers ?? {}), host, undefined)
  if (helperKey !== undefined) {
    const helper = config.credHelpers![helperKey]!
    const found = await fromHelper(helper, host, `credHelpers in ${label}`, deps, tried)
    if (found !== undefined) return found
  }
  if (config.credsStore) {
    const found = await fromHelper(config.credsStore, host, `credsStore in ${label}`, deps, tried)
    if (found !== undefined) return found
  }
  const key = bestKey(Object.keys(config.auths ?? {}), host, repository)
  if (key === undefined) {
    tried.push(`${label} (no auths entry for ${host})`)
    return undefined
  }
  const source = `${label} (auths."${key}")`
  tried.push(source)
  return fromAuthEntry(config.auths![key]!, source)
}

/** Parses one auth file; undefined when it does not exist. Never quotes the file's text. */
async function readAuthFile(file: string, label: string): Promise<AuthConfigFile | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw new OciError('OCI_CREDENTIALS_INVALID', `${label}: cannot read registry credentials (${code})`, {
      hint: 'make that file readable, or point the variable that names it elsewhere',
      cause: error,
    })
  }
  const hint =
    'fix that file (its login command rewrites it: docker login, podman login, helm registry login) or point DOCKER_CONFIG / REGISTRY_AUTH_FILE / HELM_REGISTRY_CONFIG elsewhere'
  let config: unknown
  try {
    config = JSON.parse(text)
  } catch (error) {
    // no cause and no message: JSON.parse quotes the text around the fault, which may be a password
    const at = /position \d+(?: \(line \d+ column \d+\))?/.exec(String(error))?.[0]
    throw new OciError(
      'OCI_CREDENTIALS_INVALID',
      `${label}: not valid JSON${at === undefined ? '' : ` (at ${at})`}; cannot read registry credentials`,
      { hint },
    )
  }
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
  if (!isRecord(config)) {
    throw new OciError('OCI_CREDENTIALS_INVALID', `${label}: not a JSON object`, { hint })
  }
  for (const field of ['auths', 'credHelpers'] as const) {
    const value = config[field]
    if (
      value !== undefined &&
      (!isRecord(value) ||
        Object.values(value).some(
          (v) => v === null || typeof v !== (field === 'auths' ? 'object' : 'string'),
        ))
    ) {
      throw new OciError(
        'OCI_CREDENTIALS_INVALID',
        `${label}: "${field}" must map registries to ${field === 'auths' ? 'objects' : 'helper names'}`,
        { hint },
      )
    }
  }
  if (config.credsStore !== undefined && typeof config.credsStore !== 'string') {
    throw new OciError('OCI_CREDENTIALS_INVALID', `${label}: "credsStore" must be a helper name`, { hint })
  }
  return config as AuthConfigFile
}

function fromAuthEntry(entry: AuthEntry, source: string): Credential | undefined {
  for (const field of ['auth', 'username', 'password', 'identitytoken', 'registrytoken'] as const) {
    if (entry[field] !== undefined && typeof entry[field] !== 'string') {
      throw new OciError('OCI_CREDENTIALS_INVALID', `${source}: "${field}" is not a string`, {
        hint: 'log in again with the tool that wrote that file, or fix the entry by hand',
      })
    }
  }
  registerSecrets([entry.auth, entry.password, entry.identitytoken, entry.registrytoken])
  if (entry.auth !== undefined) registerSecret(Buffer.from(entry.auth, 'base64').toString('utf8'))
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
