import { redact } from '@polyship/core'
import { WheelError } from '../errors.ts'

/**
 * The configured upload URL of a `pypi` destination, parsed: an absolute http(s) URL, or
 * WHEEL_INDEX_URL_INVALID naming `field`, where it came from (credentials in it redacted).
 */
export function parseIndexUrl(url: string, field = 'polyship.json destinations.wheels.url'): URL {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  const problem =
    parsed === undefined
      ? 'is not a URL'
      : parsed.protocol !== 'https:' && parsed.protocol !== 'http:'
        ? `is a ${parsed.protocol} URL, not http(s)`
        : parsed.hostname === ''
          ? 'has no host'
          : undefined
  if (problem === undefined) return parsed!
  throw new WheelError('WHEEL_INDEX_URL_INVALID', redact(`${field} ${JSON.stringify(url)} ${problem}`), {
    hint: 'give the upload URL of the index, e.g. "https://upload.pypi.org/legacy/" or a pypiserver root "http://127.0.0.1:8080/"',
  })
}
