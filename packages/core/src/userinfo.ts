/**
 * `scheme://user:password@host` and token-only `scheme://TOKEN@host` in free text; ssh's
 * conventional `git@` user is not a secret and stays, as does userinfo already masked as `***`.
 * Group 1 is the scheme part.
 */
export const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)(?!git@|\*\*\*@)[^/\s@]+@/gi

/** The userinfo of a URL-like text: `scheme://userinfo@host/...`, or `userinfo@host/...` without a scheme (registry repositories). */
function userinfoOf(text: string): string | undefined {
  const match = /^(?:[a-z][a-z0-9+.-]*:\/\/)?([^/\s@]+)@[^/\s]*(?:\/|$)/i.exec(text.trim())
  if (match === null) return undefined
  const userinfo = match[1]!
  // `git@host:path` (scp form) and `ssh://git@host` name a user, not a credential
  if (userinfo === 'git') return undefined
  // `repo@sha256:...` without a scheme is a digest reference, not userinfo
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim()) && !text.includes('/')) return undefined
  return userinfo
}

/** Whether a URL (or scheme-less `host/path` reference) carries credentials in its userinfo. */
export function hasUrlCredentials(text: string): boolean {
  return userinfoOf(text) !== undefined
}

/** The URL with its userinfo replaced by `***`, for messages about it: `https://***@github.com/o/r`. */
export function maskUrlCredentials(text: string): string {
  const userinfo = userinfoOf(text)
  return userinfo === undefined ? text : text.replace(`${userinfo}@`, '***@')
}

/** The URL with its userinfo removed (`https://github.com/o/r`), for anything that records it. */
export function withoutUserinfo(text: string): string {
  const userinfo = userinfoOf(text)
  return userinfo === undefined ? text : text.replace(`${userinfo}@`, '')
}

/** The userinfo's parts, so they can be registered as secrets before anything prints them. */
export function urlCredentialParts(text: string): string[] {
  const userinfo = userinfoOf(text)
  if (userinfo === undefined) return []
  const decoded = (part: string) => {
    try {
      return decodeURIComponent(part)
    } catch {
      return part
    }
  }
  const colon = userinfo.indexOf(':')
  return colon === -1
    ? [userinfo, decoded(userinfo)]
    : [userinfo, userinfo.slice(colon + 1), decoded(userinfo.slice(colon + 1))]
}
