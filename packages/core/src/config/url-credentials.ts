import { CoreError, type SourceLocation } from '../errors.ts'
import { registerSecrets } from '../redact.ts'
import { hasUrlCredentials, maskUrlCredentials, urlCredentialParts } from '../userinfo.ts'
import { jsonPointerPosition } from './json-position.ts'
import { fieldPath } from './validate.ts'

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i

/**
 * Fields holding a registry reference without a scheme (`host/path`), where `user:pass@host`
 * is userinfo too. Elsewhere only `scheme://` values are read as URLs, so paths and names with
 * an `@` (`@scope/pkg`) stay what they are.
 */
const REFERENCE_FIELDS = [
  /^\/destinations\/(images|charts)\/repository$/,
  /^\/bases\/[^/]+$/,
  /^\/polyship\/image\/base$/,
  /^\/polyship\/image\/python\/base$/,
  /^\/polyship\/image\/node\/base$/,
]

function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}

function* strings(value: unknown, pointer: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [pointer, value]
  else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* strings(item, `${pointer}/${index}`)
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) yield* strings(item, `${pointer}/${pointerToken(key)}`)
  }
}

/**
 * Refuses a config whose URLs carry credentials (`https://user:token@host/...`, token-only
 * `https://TOKEN@host`, `user:pass@registry/path`): they would be printed, recorded in
 * annotations and signed provenance, which are immutable once published. Throws
 * CONFIG_URL_CREDENTIALS naming the file and field and showing the URL with `***` for its
 * userinfo; the userinfo is registered with the redactor first, so no other line shows it.
 * `fields` limits the check to these top-level keys (default: all).
 */
export function checkUrlCredentials(
  value: unknown,
  file: string,
  options: { readonly text?: string; readonly path?: string; readonly fields?: readonly string[] } = {},
): void {
  if (value === null || typeof value !== 'object') return
  const record = value as Record<string, unknown>
  const keys = options.fields ?? Object.keys(record)
  for (const key of keys) {
    for (const [pointer, text] of strings(record[key], `/${pointerToken(key)}`)) {
      const candidate = SCHEME.test(text.trim()) || REFERENCE_FIELDS.some((field) => field.test(pointer))
      if (!candidate || !hasUrlCredentials(text)) continue
      const where = options.path ?? file
      const position = options.text === undefined ? undefined : jsonPointerPosition(options.text, pointer)
      throw urlCredentialsError(`${file}: ${fieldPath(pointer)}`, text, {
        source: position === undefined ? { file: where } : { file: where, ...position },
      })
    }
  }
}

/** Refuses a command-line value (`--registry`) that carries credentials, as `checkUrlCredentials` does a config field. */
export function checkOptionUrl(option: string, value: string | undefined): void {
  if (value !== undefined && hasUrlCredentials(value)) throw urlCredentialsError(option, value, {})
}

function urlCredentialsError(
  field: string,
  url: string,
  options: { readonly source?: SourceLocation },
): CoreError {
  registerSecrets(urlCredentialParts(url))
  return new CoreError(
    'CONFIG_URL_CREDENTIALS',
    `${field} "${maskUrlCredentials(url)}" carries credentials in the URL; polyship does not record or send a URL with credentials`,
    {
      hint: 'remove the user and token from the URL and give the credential the usual way: docker login (docker config.json) for registries, PYPI_TOKEN or destinations.wheels.tokenEnv for package indexes, .npmrc or NPM_TOKEN for npm, GITHUB_TOKEN for GitHub',
      ...options,
    },
  )
}
