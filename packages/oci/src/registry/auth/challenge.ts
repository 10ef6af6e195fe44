/** What a registry asked for in `WWW-Authenticate` on a 401. */
export type Challenge =
  | { readonly scheme: 'basic'; readonly realm?: string }
  | {
      readonly scheme: 'bearer'
      readonly realm: string
      readonly service?: string
      /** Scopes the registry says the request needs (`repository:name:pull,push`). */
      readonly scopes: readonly string[]
      readonly error?: string
    }

/** Parses the first Basic or Bearer challenge of a `WWW-Authenticate` header; undefined when there is none. */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (header === undefined) return undefined
  const match = /^\s*(basic|bearer)\b\s*(.*)$/is.exec(header)
  if (match === null) return undefined
  const scheme = match[1]!.toLowerCase()
  const params = parseParams(match[2] ?? '')
  if (scheme === 'basic') return params.realm === undefined ? { scheme } : { scheme, realm: params.realm }
  if (params.realm === undefined) return undefined
  return {
    scheme: 'bearer',
    realm: params.realm,
    ...(params.service === undefined ? {} : { service: params.service }),
    scopes: params.scope === undefined ? [] : params.scope.split(' ').filter(Boolean),
    ...(params.error === undefined ? {} : { error: params.error }),
  }
}

/** `key="quoted \" value",key=token` -> map (lowercase keys). */
function parseParams(text: string): Record<string, string> {
  const params: Record<string, string> = {}
  const pattern = /([a-zA-Z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy
  let match = pattern.exec(text)
  while (match !== null) {
    params[match[1]!.toLowerCase()] =
      match[2] === undefined ? (match[3] ?? '') : match[2].replace(/\\(.)/g, '$1')
    match = pattern.exec(text)
  }
  return params
}
