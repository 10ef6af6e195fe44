import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { registerSecrets } from '@polyship/core'
import { NpmError } from '../errors.ts'
import { type PackageName, scopeOf } from '../package/name.ts'

/** A credential for one registry path, as `//host/path/:_authToken` or `:_auth` lines give it. */
export type RegistryCredential =
  | { readonly type: 'token'; readonly token: string; readonly source: string }
  /** `_auth`: base64 of `user:password`, sent as Basic. */
  | { readonly type: 'basic'; readonly auth: string; readonly source: string }

/** What polyship uses of npm's configuration, merged from every file it read. */
export interface NpmConfig {
  /** `registry=`, when some file sets it. */
  readonly registry?: string
  /** `@scope:registry=` lines, by scope (with its @). */
  readonly scopes: ReadonlyMap<string, string>
  /** Credentials by nerf-darted URL prefix (`//registry.npmjs.org/`), most specific first. */
  readonly credentials: readonly (RegistryCredential & { readonly prefix: string })[]
  /** NPM_TOKEN, else NODE_AUTH_TOKEN, for registries no .npmrc line covers. */
  readonly envCredential?: RegistryCredential
  /** Every credential value read (.npmrc and the token variables): register them with the redactor. */
  readonly secrets: readonly string[]
}

export type Env = Readonly<Record<string, string | undefined>>

/** The token variables npm users set in CI (setup-node writes `${NODE_AUTH_TOKEN}` into .npmrc). */
export const TOKEN_ENV_NAMES = ['NPM_TOKEN', 'NODE_AUTH_TOKEN'] as const

/** Expands `${VAR}` (an error when unset) and `${VAR?}` (empty when unset), as npm does. */
function expand(value: string, env: Env, where: string): string {
  return value.replace(/(\\*)\$\{([^${}?]+)(\?)?\}/g, (whole, escapes: string, name: string, optional) => {
    if (escapes.length % 2 === 1) return whole.slice(1)
    const found = env[name]
    if (found !== undefined) return `${escapes}${found}`
    if (optional) return escapes
    throw new NpmError('NPM_CONFIG_INVALID', `${where}: \${${name}} is used but ${name} is not set`, {
      hint: `export ${name}, or write \${${name}?} to allow it to be empty`,
    })
  })
}

interface Line {
  readonly key: string
  readonly value: string
  readonly where: string
}

/** The key=value lines of one .npmrc (ini without sections; `#` and `;` comments), values expanded. */
export function parseNpmrc(text: string, file: string, env: Env): Line[] {
  const lines: Line[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) return
    const eq = line.indexOf('=')
    if (eq === -1) return
    const where = `${file}:${index + 1}`
    const key = expand(line.slice(0, eq).trim(), env, where)
    let value = line.slice(eq + 1).trim()
    if (/^".*"$/.test(value)) value = JSON.parse(value) as string
    lines.push({ key, value: expand(value, env, where), where })
  })
  return lines
}

/** `https://host:port/path` -> `//host:port/path/`, npm's key for per-registry settings. */
export function nerfDart(url: string): string {
  const parsed = new URL(url)
  const path = parsed.pathname.endsWith('/') ? parsed.pathname : `${parsed.pathname}/`
  return `//${parsed.host}${path}`
}

function checkUrl(value: string, where: string): string {
  try {
    const url = new URL(value)
    if (url.protocol === 'http:' || url.protocol === 'https:') return value
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
  }
  throw new NpmError('NPM_CONFIG_INVALID', `${where}: registry "${value}" is not an http(s) URL`)
}

/** The password (and `user:password`) inside an `_auth` value; nothing when it is not base64 of that. */
function decodedAuth(value: string): string[] {
  const decoded = Buffer.from(value, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? [] : [decoded, decoded.slice(colon + 1)]
}

/**
 * Merges .npmrc texts, most important first (project, then user): the first file to set a
 * key wins, as npm's precedence does. The token variables of `env` are the fallback credential.
 */
export function npmConfigOf(files: readonly { readonly file: string; readonly text: string }[], env: Env) {
  let registry: string | undefined
  const scopes = new Map<string, string>()
  const credentials = new Map<string, RegistryCredential>()
  const secrets: string[] = []
  for (const { file, text } of files) {
    for (const { key, value, where } of parseNpmrc(text, file, env)) {
      if (key === 'registry') registry ??= checkUrl(value, where)
      else if (/^@[^:]+:registry$/.test(key)) {
        const scope = key.slice(0, key.indexOf(':'))
        if (!scopes.has(scope)) scopes.set(scope, checkUrl(value, where))
      } else if (key.startsWith('//') && (key.endsWith(':_authToken') || key.endsWith(':_auth'))) {
        const colon = key.lastIndexOf(':')
        const prefix = key.slice(0, colon).replace(/\/?$/, '/')
        if (value === '') continue
        secrets.push(value)
        // `_auth` is base64 of `user:password`: the password alone must be hidden too
        if (key.endsWith(':_auth')) secrets.push(...decodedAuth(value))
        if (credentials.has(prefix)) continue
        credentials.set(
          prefix,
          key.endsWith(':_authToken')
            ? { type: 'token', token: value, source: where }
            : { type: 'basic', auth: value, source: where },
        )
      }
    }
  }
  const tokenEnv = TOKEN_ENV_NAMES.find((name) => env[name])
  if (tokenEnv !== undefined) secrets.push(env[tokenEnv]!)
  return {
    ...(registry === undefined ? {} : { registry }),
    ...(tokenEnv === undefined
      ? {}
      : { envCredential: { type: 'token' as const, token: env[tokenEnv]!, source: `$${tokenEnv}` } }),
    scopes,
    credentials: [...credentials]
      .map(([prefix, credential]) => ({ ...credential, prefix }))
      .sort((a, b) => b.prefix.length - a.prefix.length),
    secrets,
  } satisfies NpmConfig
}

/**
 * Reads `<projectDir>/.npmrc`, then the user's (`NPM_CONFIG_USERCONFIG` or `~/.npmrc`);
 * missing files are skipped. Every credential value read is registered with core's
 * redactor, so no message of this process shows it.
 */
export async function readNpmConfig(options: {
  readonly projectDir: string
  readonly home: string
  readonly env: Env
}): Promise<NpmConfig> {
  const paths = [
    join(options.projectDir, '.npmrc'),
    options.env.NPM_CONFIG_USERCONFIG ?? options.env.npm_config_userconfig ?? join(options.home, '.npmrc'),
  ]
  const files: { file: string; text: string }[] = []
  for (const file of [...new Set(paths)]) {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    if (text !== undefined) files.push({ file, text })
  }
  const config = npmConfigOf(files, options.env)
  registerSecrets(config.secrets)
  return config
}

/** The registry `.npmrc` names for a package's scope (`@scope:registry=`), as `npm publish` picks it; else undefined. */
export function scopeRegistryFor(name: PackageName, config: NpmConfig): string | undefined {
  const scope = scopeOf(name)
  return scope === undefined ? undefined : config.scopes.get(scope)
}

/**
 * The credential for a registry: the most specific `//host/path/:_authToken` (or `_auth`)
 * whose path contains the registry's, else NPM_TOKEN, else NODE_AUTH_TOKEN; undefined for
 * none. The caller registers the value with the redactor.
 */
export function credentialFor(registry: string, config: NpmConfig): RegistryCredential | undefined {
  const key = nerfDart(registry)
  return config.credentials.find((c) => key.startsWith(c.prefix)) ?? config.envCredential
}
