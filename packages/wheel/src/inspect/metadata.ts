/**
 * Python core metadata (METADATA in wheels, PKG-INFO in sdists): RFC 822-style headers,
 * then the long description as the body.
 */
export interface CoreMetadata {
  readonly metadataVersion: string
  readonly name: string
  readonly version: string
  readonly summary?: string
  readonly requiresPython?: string
  readonly requiresDist: readonly string[]
  readonly license?: string
  readonly licenseExpression?: string
  /** Every header in file order; fields used more than once (Classifier, Requires-Dist...) repeat. */
  readonly headers: readonly (readonly [name: string, value: string])[]
  /** The body, or a `Description` header when there is no body. */
  readonly description?: string
}

/** Parses core metadata; returns the fields it could not find instead of throwing, so callers name the file. */
export function parseCoreMetadata(text: string): CoreMetadata | { readonly missing: readonly string[] } {
  const normalized = text.replace(/\r\n?/g, '\n')
  const split = normalized.indexOf('\n\n')
  const head = split < 0 ? normalized : normalized.slice(0, split)
  const body = split < 0 ? '' : normalized.slice(split + 2)
  const headers: [string, string][] = []
  for (const line of head.split('\n')) {
    const last = headers.at(-1)
    if (/^[ \t]/.test(line) && last !== undefined) {
      // folded continuation; setuptools indents Description lines with 7 spaces and a pipe
      last[1] += `\n${line.replace(/^ {7}\|/, '').replace(/^[ \t]+/, '')}`
      continue
    }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()])
  }
  const first = (name: string) => headers.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1]
  const all = (name: string) =>
    headers.filter(([key]) => key.toLowerCase() === name.toLowerCase()).map(([, value]) => value)
  const required = {
    'Metadata-Version': first('Metadata-Version'),
    Name: first('Name'),
    Version: first('Version'),
  }
  const missing = Object.entries(required)
    .filter(([, value]) => value === undefined || value === '')
    .map(([key]) => key)
  if (missing.length > 0) return { missing }
  const optional = (key: string, value: string | undefined) => (value === undefined ? {} : { [key]: value })
  const description = body.trim() === '' ? first('Description') : body
  return {
    metadataVersion: required['Metadata-Version']!,
    name: required.Name!,
    version: required.Version!,
    ...optional('summary', first('Summary')),
    ...optional('requiresPython', first('Requires-Python')),
    requiresDist: all('Requires-Dist'),
    ...optional('license', first('License')),
    ...optional('licenseExpression', first('License-Expression')),
    headers,
    ...optional('description', description),
  }
}
