import { CoreError } from './errors.ts'
import { URL_USERINFO } from './userinfo.ts'

/** Environment variable names whose values are treated as secrets (not GIT_AUTHOR_NAME, SSH_AUTH_SOCK). */
const SECRET_NAME =
  /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|API_?KEY|PRIVATE_?KEY|AUTH(?!OR|_SOCK))/i
/** `Authorization: Bearer xxx` / `Basic xxx` in logged headers. */
const AUTH_HEADER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g
/**
 * The value of an `Authorization` header however it is written: `authorization: token x`,
 * `"Authorization":"x"` in an echoed JSON body, `Authorization=x` in a dumped map.
 */
const AUTH_FIELD =
  /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)(?!(?:(?:Basic|Bearer|Token|Digest)\s+)?\[redacted\])(?:(Basic|Bearer|Token|Digest)\s+)?[^\s"',;}\]]+/gi

export const REDACTED = '[redacted]'

/** Shorter literals are not hidden: they would blank out ordinary words. */
const MIN_SECRET_LENGTH = 4
/** A record is refused only for registered secrets at least this long (shorter ones match too much by chance). */
const MIN_REFUSED_LENGTH = 8
/** The part of a base64 form worth matching (shorter cores would match unrelated text). */
const MIN_BASE64_CORE = 8

/**
 * Every credential this process has read (env tokens, docker config passwords and auths,
 * helper output, bearer tokens from token endpoints, .npmrc tokens, index passwords), by the
 * forms it travels in (form -> the secret), kept for the life of the process so every
 * `redact` call hides them: the CLI's output streams, its error lines, `--debug` traces.
 * Only ever added to.
 */
const registered = new Map<string, string>()
/**
 * Forms of secrets polyship read as credentials, which records refuse (`findLeak`); values
 * guessed from variable names only (`secretValues`) are hidden from output but not refused.
 */
const refusable = new Set<string>()
/** Which registered forms are base64 cores. */
const encodedForms = new Set<string>()
let compiled: RegExp | undefined

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * The base64 text that encodes `value` wherever it sits in a longer encoded string (after
 * `user:` in a Basic header, inside a docker `auth`): for each of the three byte alignments,
 * the characters that depend on the value's bytes alone; standard and URL alphabets.
 */
function base64Cores(value: string): string[] {
  const bytes = Buffer.from(value)
  const cores: string[] = []
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64')
    cores.push(encoded.slice(Math.ceil(offset / 3) * 4, Math.floor((offset + bytes.length) / 3) * 4))
  }
  const long = cores.filter((core) => core.length >= MIN_BASE64_CORE)
  return [...long, ...long.map((core) => core.replaceAll('+', '-').replaceAll('/', '_'))]
}

/** The forms a credential travels in as text: as is, URL- and form-encoded, JSON-escaped. */
function literalForms(value: string): string[] {
  return [
    value,
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    JSON.stringify(value).slice(1, -1),
  ].filter((form) => form.length >= MIN_SECRET_LENGTH)
}

/**
 * One pattern for a set of secrets: their literal forms, longest first (a longer form wins
 * over its prefix), and their base64 cores with the base64 text around them, so a `Basic`
 * value or docker `auth` holding a secret is hidden whole, not left with its edges.
 */
function patternOf(literals: readonly string[], encoded: readonly string[]): RegExp | undefined {
  const byLength = (a: string, b: string) => b.length - a.length
  const parts = [...new Set(literals)].sort(byLength).map(escapeRegExp)
  const cores = [...new Set(encoded)].sort(byLength).map(escapeRegExp)
  if (cores.length > 0) parts.push(`[A-Za-z0-9+/_-]*(?:${cores.join('|')})[A-Za-z0-9+/_-]*={0,2}`)
  return parts.length === 0 ? undefined : new RegExp(parts.join('|'), 'g')
}

function add(form: string, original: string, options: { encoded: boolean; refuse: boolean }): void {
  if (options.refuse && original.length >= MIN_REFUSED_LENGTH) refusable.add(form)
  if (registered.has(form)) return
  registered.set(form, original)
  if (options.encoded) encodedForms.add(form)
  compiled = undefined
}

/**
 * Makes `redact` hide `value` from now on, with its derived forms: base64 at any alignment
 * (so `Basic <b64>` and docker `auth` strings containing it), URL- and form-encoded,
 * JSON-escaped. A bearer token registered this way is hidden in `Bearer <token>` too.
 * Undefined and short values are ignored.
 */
export function registerSecret(
  value: string | undefined,
  options: {
    /** False for values only guessed to be secret (by their variable's name): hidden, not refused in records. */
    readonly refuse?: boolean
  } = {},
): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH) return
  const refuse = options.refuse ?? true
  for (const form of literalForms(value)) add(form, value, { encoded: false, refuse })
  for (const core of base64Cores(value)) add(core, value, { encoded: true, refuse })
}

/** `registerSecret` for each value. */
export function registerSecrets(
  values: Iterable<string | undefined>,
  options: { readonly refuse?: boolean } = {},
): void {
  for (const value of values) registerSecret(value, options)
}

/**
 * A username and password pair: registers the password and `user:password` (whose base64
 * is the Basic header and docker config `auth`). The username alone stays visible.
 */
export function registerCredential(username: string | undefined, password: string | undefined): void {
  if (password === undefined || password === '') return
  registerSecret(password)
  if (username !== undefined && username !== '') registerSecret(`${username}:${password}`)
}

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name)
}

/** Values of secret-looking variables in `env` that are long enough to be worth hiding. */
export function secretValues(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => isSecretName(name) && value !== undefined && value.length >= MIN_SECRET_LENGTH)
    .map(([, value]) => value as string)
    .sort((a, b) => b.length - a.length)
}

function registeredPattern(): RegExp | undefined {
  compiled ??= patternOf(
    [...registered.keys()].filter((form) => !encodedForms.has(form)),
    [...encodedForms],
  )
  return compiled
}

/**
 * Removes credentials from text meant for humans or machines: every secret registered with
 * `registerSecret`/`registerCredential` or passed in `secrets` (and their derived forms),
 * URL userinfo (`user:pass@`, token-only `TOKEN@`), auth header values.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text
  const given = secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH)
  const extra = patternOf(given.flatMap(literalForms), given.flatMap(base64Cores))
  if (extra !== undefined) out = out.replace(extra, REDACTED)
  const pattern = registeredPattern()
  if (pattern !== undefined) out = out.replace(pattern, REDACTED)
  return out
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(AUTH_FIELD, (_whole, name: string, separator: string, scheme: string | undefined) =>
      scheme === undefined ? `${name}${separator}${REDACTED}` : `${name}${separator}${scheme} ${REDACTED}`,
    )
    .replace(AUTH_HEADER, `$1 ${REDACTED}`)
}

/**
 * What of `text` would leak a credential: a registered secret (of at least 8 characters, in
 * any of its forms) or a URL carrying userinfo. Undefined when it is clean. Never returns the secret.
 */
export function findLeak(text: string): 'a registered credential' | 'a URL with credentials' | undefined {
  for (const form of refusable) {
    if (text.includes(form)) return 'a registered credential'
  }
  URL_USERINFO.lastIndex = 0
  return URL_USERINFO.test(text) ? 'a URL with credentials' : undefined
}

/**
 * Refuses to write or sign `text` (a record, an SBOM, a statement) when it holds a credential
 * polyship read or a URL with userinfo: published attestations are immutable, so nothing is
 * redacted after the fact. `what` names the document in the error; the secret is never shown.
 */
export function assertNoSecrets(text: string | Uint8Array, what: string): void {
  const leak = findLeak(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'))
  if (leak === undefined) return
  throw new CoreError('SECRET_IN_OUTPUT', `${what} would contain ${leak}; nothing was written`, {
    hint: 'remove the credential from the configuration or input it came from (keep credentials in the environment, docker config or .npmrc, never in URLs, labels or files that get recorded)',
  })
}
