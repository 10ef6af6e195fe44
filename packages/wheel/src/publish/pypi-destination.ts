import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import {
  canRequestGithubIdToken,
  registerCredential,
  registerSecret,
  registerSecrets,
  type WheelDestination,
} from '@polyship/core'
import { WheelError } from '../errors.ts'
import type { IndexTls } from './http.ts'
import { parseIndexUrl } from './index-url.ts'
import { pypircRepository, pypircRepositoryNames, readPypirc } from './pypirc.ts'
import type { IndexCredentials } from './remote-index.ts'

export const DEFAULT_TOKEN_ENV = 'PYPI_TOKEN'
/** The username that makes the password an API token (PyPI, TestPyPI, and indexes that copy them). */
export const TOKEN_USERNAME = '__token__'

export type Env = Readonly<Record<string, string | undefined>>
export type PypiDestination = Extract<WheelDestination, { type: 'pypi' }>

/** A `pypi` destination with every setting found: where to upload and read, and as whom. */
export interface ResolvedPypiDestination {
  readonly uploadUrl: string
  /** Set when configured (`simpleUrl`); otherwise derived from the upload URL. */
  readonly simpleUrl?: string
  readonly insecure: boolean
  readonly credentials: IndexCredentials
  /** Where the upload URL came from, for messages: `polyship.json destinations.wheels.url`, `$TWINE_REPOSITORY_URL`, `<file> [name]`. */
  readonly urlSource: string
  /** Where the password or token came from (`$PYPI_TOKEN`, `<file> [name] password`); undefined without one. */
  readonly credentialSource?: string
  /** The .pypirc repository consulted, if any. */
  readonly pypirc?: { readonly file: string; readonly name: string }
  /** The section's `ca_cert` and `client_cert`, as absolute paths (relative ones from the workspace root, as twine reads them from its working directory). */
  readonly tls?: IndexTls
}

/** twine's `--config-file` default, `~/.pypirc`, under `$HOME`. */
export function defaultPypircPath(env: Env): string {
  return join(env.HOME || homedir(), '.pypirc')
}

function pypircPath(destination: PypiDestination, env: Env, root: string): string {
  if (destination.configFile === undefined) return defaultPypircPath(env)
  const file = destination.configFile.startsWith('~/')
    ? join(env.HOME || homedir(), destination.configFile.slice(2))
    : destination.configFile
  return isAbsolute(file) ? file : resolve(root, file)
}

interface Userinfo {
  readonly url: string
  readonly username?: string | undefined
  readonly password?: string | undefined
}

/** Where a .pypirc section (or `$TWINE_REPOSITORY_URL`) points, and as whom. */
interface Place {
  readonly url?: string
  readonly username?: string
  readonly password?: string
  /** `<file> [name]` or `$TWINE_REPOSITORY_URL`, for messages. */
  readonly source: string
}

function placeOf(
  found: {
    readonly url?: string | undefined
    readonly username?: string | undefined
    readonly password?: string | undefined
  },
  source: string,
): Place {
  return {
    ...(found.url === undefined ? {} : { url: found.url }),
    ...(found.username === undefined || found.username === '' ? {} : { username: found.username }),
    ...(found.password === undefined || found.password === '' ? {} : { password: found.password }),
    source,
  }
}

/** A URL's userinfo taken out (twine reads `https://user:pass@host/` as credentials), registered first. */
function splitUserinfo(raw: string): Userinfo {
  if (!URL.canParse(raw)) return { url: raw }
  const url = new URL(raw)
  if (url.username === '' && url.password === '') return { url: raw }
  const username = decodeURIComponent(url.username)
  const password = decodeURIComponent(url.password)
  registerCredential(username, password)
  registerSecret(url.password)
  url.username = ''
  url.password = ''
  return { url: url.href, ...(username === '' ? {} : { username }), ...(password === '' ? {} : { password }) }
}

/**
 * Finds a `pypi` destination's upload URL and credentials the way twine does, with
 * polyship.json first:
 * - URL: `url`; else `$TWINE_REPOSITORY_URL`; else the `repository` of the .pypirc section
 *   named by `repository` (or `$TWINE_REPOSITORY`, default `pypi`: upload.pypi.org).
 *   The .pypirc (`configFile`, default `~/.pypirc`) is read only when a section is wanted:
 *   `repository` is set, or no URL is given by `url` or `$TWINE_REPOSITORY_URL`.
 * - password: the variable named by `tokenEnv` or `passwordEnv` when configured (and no
 *   other); else `$PYPI_TOKEN`; else `$TWINE_PASSWORD`; else the section's (or the URL's)
 *   password; else trusted publishing inside GitHub Actions with an OIDC grant; else none.
 * - username: `__token__` for a token; else the variable named by `usernameEnv`, else
 *   `$TWINE_USERNAME`, else the section's, else `__token__`.
 * Every password read is registered with core's redactor before anything can print it.
 * A missing or malformed .pypirc, or a named repository it lacks, is a coded error naming
 * the file, section and key, never a value.
 */
export function resolvePypiDestination(
  destination: PypiDestination,
  options: { readonly env: Env; readonly root?: string },
): ResolvedPypiDestination {
  const env = options.env
  registerSecrets([
    destination.tokenEnv === undefined ? undefined : env[destination.tokenEnv],
    destination.passwordEnv === undefined ? undefined : env[destination.passwordEnv],
    env[DEFAULT_TOKEN_ENV],
    env.TWINE_PASSWORD,
  ])
  registerCredential(env.TWINE_USERNAME, env.TWINE_PASSWORD)

  const envUrl = env.TWINE_REPOSITORY_URL || undefined
  const wantsSection =
    destination.repository !== undefined || (destination.url === undefined && envUrl === undefined)
  let section: Place | undefined
  let pypirc: { file: string; name: string } | undefined
  let tls: IndexTls | undefined
  if (wantsSection) {
    const name = destination.repository ?? (env.TWINE_REPOSITORY || 'pypi')
    const file = pypircPath(destination, env, options.root ?? process.cwd())
    const ini = readPypirc(file, destination.configFile !== undefined)
    const found = pypircRepository(ini, name)
    if (found === undefined) {
      const named =
        destination.repository !== undefined ? 'destinations.wheels.repository' : '$TWINE_REPOSITORY'
      throw new WheelError(
        'WHEEL_PYPIRC_REPOSITORY_MISSING',
        `${named} names the repository "${name}", which ${file} does not define${ini === undefined ? ' (the file does not exist)' : ` (its repositories: ${pypircRepositoryNames(ini).join(', ')})`}`,
        {
          hint: `add a [${name}] section with \`repository = <upload URL>\` to ${file} and list ${name} in [distutils] index-servers, or set destinations.wheels.url`,
          source: { file },
        },
      )
    }
    registerCredential(found.username, found.password)
    registerSecret(found.password)
    const where = ini === undefined ? `twine's default for ${name} (no ${file})` : `${file} [${name}]`
    if (found.repository === undefined && destination.url === undefined && envUrl === undefined) {
      throw new WheelError('WHEEL_PYPIRC_INVALID', `${where} has no repository key: no upload URL for it`, {
        hint: `add \`repository = <upload URL>\` to [${name}] in ${file}, or set destinations.wheels.url`,
        source: { file },
      })
    }
    const fromUrl: Partial<Userinfo> = found.repository === undefined ? {} : splitUserinfo(found.repository)
    section = placeOf(
      {
        url: fromUrl.url,
        username: found.username ?? fromUrl.username,
        password: found.password ?? fromUrl.password,
      },
      where,
    )
    pypirc = { file, name }
    const root = options.root ?? process.cwd()
    const at = (path: string) => resolve(root, path.replace(/^~(?=$|\/)/, env.HOME || homedir()))
    if (found.caCert !== undefined || found.clientCert !== undefined) {
      tls = {
        source: where,
        file,
        ...(found.caCert === undefined ? {} : { caCert: at(found.caCert) }),
        ...(found.clientCert === undefined ? {} : { clientCert: at(found.clientCert) }),
      }
    }
  } else if (destination.url === undefined && envUrl !== undefined) {
    section = placeOf(splitUserinfo(envUrl), '$TWINE_REPOSITORY_URL')
  }

  const [uploadUrl, urlSource] =
    destination.url !== undefined
      ? [destination.url, 'polyship.json destinations.wheels.url']
      : destination.repository !== undefined && section?.url !== undefined
        ? [section.url, section.source]
        : envUrl !== undefined
          ? [splitUserinfo(envUrl).url, '$TWINE_REPOSITORY_URL']
          : [section!.url!, section!.source]
  parseIndexUrl(uploadUrl, urlSource)
  if (destination.simpleUrl !== undefined)
    parseIndexUrl(destination.simpleUrl, 'polyship.json destinations.wheels.simpleUrl')

  const found = passwordOf(destination, env, section)
  const credentials: IndexCredentials =
    found?.[0] ?? (canRequestGithubIdToken(env) ? { type: 'trusted' } : { type: 'none' })
  return {
    uploadUrl,
    ...(destination.simpleUrl === undefined ? {} : { simpleUrl: destination.simpleUrl }),
    insecure: destination.insecure === true,
    credentials,
    urlSource,
    ...(found === undefined ? {} : { credentialSource: found[1] }),
    ...(pypirc === undefined ? {} : { pypirc }),
    ...(tls === undefined ? {} : { tls }),
  }
}

/** The first password source that holds one, as credentials and where they came from. */
function passwordOf(
  destination: PypiDestination,
  env: Env,
  section: Place | undefined,
): [IndexCredentials, string] | undefined {
  const as = (value: string, source: string): [IndexCredentials, string] => {
    const username =
      (destination.usernameEnv === undefined ? undefined : env[destination.usernameEnv]) ||
      env.TWINE_USERNAME ||
      section?.username ||
      TOKEN_USERNAME
    registerCredential(username, value)
    return [
      username === TOKEN_USERNAME
        ? { type: 'token', token: value }
        : { type: 'basic', username, password: value },
      source,
    ]
  }
  // configured variables are the only source: an unset one is a missing credential, not a fallback
  if (destination.tokenEnv !== undefined) {
    const token = env[destination.tokenEnv]
    return token ? [{ type: 'token', token }, `$${destination.tokenEnv}`] : undefined
  }
  if (destination.passwordEnv !== undefined) {
    const password = env[destination.passwordEnv]
    return password ? as(password, `$${destination.passwordEnv}`) : undefined
  }
  const token = env[DEFAULT_TOKEN_ENV]
  if (token) return [{ type: 'token', token }, `$${DEFAULT_TOKEN_ENV}`]
  if (env.TWINE_PASSWORD) return as(env.TWINE_PASSWORD, '$TWINE_PASSWORD')
  if (section?.password !== undefined) return as(section.password, `${section.source} password`)
  return undefined
}

/** The credentials of a `pypi` destination (see `resolvePypiDestination` for the order). */
export function credentialsFor(
  destination: PypiDestination,
  env: Env,
  options: { readonly root?: string } = {},
): IndexCredentials {
  return resolvePypiDestination(destination, { env, ...options }).credentials
}
