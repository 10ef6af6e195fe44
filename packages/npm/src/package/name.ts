import { NpmError } from '../errors.ts'

/** A package name npm accepts for a new package: `name` or `@scope/name`, see `parsePackageName`. */
export type PackageName = string & { readonly __npmName: unique symbol }

const BUILTIN_BLOCKLIST = new Set(['node_modules', 'favicon.ico'])

/** Why npm would refuse `name` for a new package (validate-npm-package-name), or undefined. */
export function packageNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty'
  if (name.length > 214) return 'it is longer than 214 characters'
  if (name !== name.trim()) return 'it has leading or trailing spaces'
  if (name.toLowerCase() !== name) return 'it has uppercase letters'
  const scoped = /^@([^/]+)\/([^/]+)$/.exec(name)
  if (name.startsWith('@') && scoped === null) return 'a scoped name is @scope/name'
  const parts = scoped === null ? [name] : [scoped[1]!, scoped[2]!]
  for (const part of parts) {
    if (part.startsWith('.') || part.startsWith('_')) return `"${part}" starts with . or _`
    if (encodeURIComponent(part) !== part) return `"${part}" has characters that are not URL-safe`
    if (/[~'!()*]/.test(part)) return `"${part}" has one of ~'!()*`
  }
  if (scoped === null && BUILTIN_BLOCKLIST.has(name)) return `"${name}" is reserved`
  return undefined
}

/** Parses a package name npm would accept; `where` names the input in the message. */
export function parsePackageName(name: string, where: string): PackageName {
  const problem = packageNameProblem(name)
  if (problem !== undefined) {
    throw new NpmError(
      'NPM_NAME_INVALID',
      `${where}: "${name}" is not a valid npm package name: ${problem}`,
      {
        hint: 'npm names are lowercase, URL-safe, at most 214 characters, optionally @scope/name',
      },
    )
  }
  return name as PackageName
}

/** The scope of `@scope/name` (with its @), or undefined. */
export function scopeOf(name: PackageName): `@${string}` | undefined {
  return name.startsWith('@') ? (name.slice(0, name.indexOf('/')) as `@${string}`) : undefined
}

/** The name as a registry URL path segment, as npm writes it: `@scope%2fname`. */
export function encodedName(name: PackageName): string {
  return name.replace('/', '%2f')
}

/** The file name npm and pnpm give a packed tarball: `name-1.0.0.tgz`, `scope-name-1.0.0.tgz`. */
export function tarballFileName(name: PackageName, version: string): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`
}
