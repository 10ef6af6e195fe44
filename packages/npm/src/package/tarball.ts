import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { basename } from 'node:path'
import { CoreError, type Digest, readTarGz } from '@polyship/core'
import { NpmError } from '../errors.ts'
import { type PackageName, parsePackageName } from './name.ts'
import { parseSemVer, type SemVer } from './version.ts'

/** Subresource integrity as npm writes it: `sha512-<base64>`. */
export type Integrity = `sha512-${string}`

/** The manifest fields polyship reads from a packed package.json; the rest is kept as is. */
export interface PackedManifest {
  readonly name: PackageName
  readonly version: string
  readonly dependencies: Readonly<Record<string, string>>
  readonly optionalDependencies: Readonly<Record<string, string>>
  readonly peerDependencies: Readonly<Record<string, string>>
  /** The whole package.json as packed (workspace: and catalog: already resolved). */
  readonly raw: Readonly<Record<string, unknown>>
}

/** A packed npm package, inspected: what reconciliation and attestations need. */
export interface NpmTarball {
  readonly path: string
  /** `name-1.0.0.tgz` / `scope-name-1.0.0.tgz`. */
  readonly filename: string
  readonly name: PackageName
  readonly version: SemVer
  readonly manifest: PackedManifest
  readonly integrity: Integrity
  /** sha1 hex, npm's legacy `dist.shasum`. */
  readonly shasum: string
  readonly digest: Digest
  readonly size: number
}

const MANIFEST = 'package/package.json'

/** sha512 (integrity), sha1 (shasum) and sha256 (digest) of a file in one read. */
export async function hashTarball(
  path: string,
): Promise<{ integrity: Integrity; shasum: string; digest: Digest; size: number }> {
  const sha512 = createHash('sha512')
  const sha1 = createHash('sha1')
  const sha256 = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    sha512.update(chunk as Buffer)
    sha1.update(chunk as Buffer)
    sha256.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return {
    integrity: `sha512-${sha512.digest('base64')}`,
    shasum: sha1.digest('hex'),
    digest: `sha256:${sha256.digest('hex')}`,
    size,
  }
}

function dependencyMap(value: unknown, field: string, where: string): Record<string, string> {
  if (value === undefined) return {}
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    !Object.values(value).every((v) => typeof v === 'string')
  ) {
    throw new NpmError('NPM_TARBALL_INVALID', `${where}: ${field} is not a map of names to ranges`)
  }
  return value as Record<string, string>
}

/** Parses a packed package.json; `where` names it in messages. */
export function parsePackedManifest(text: string, where: string): PackedManifest {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (cause) {
    throw new NpmError('NPM_TARBALL_INVALID', `${where}: package.json is not JSON`, { cause })
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new NpmError('NPM_TARBALL_INVALID', `${where}: package.json is not an object`)
  const json = raw as Record<string, unknown>
  if (typeof json.name !== 'string' || typeof json.version !== 'string')
    throw new NpmError('NPM_TARBALL_INVALID', `${where}: package.json lacks a name or a version`, {
      hint: 'npm refuses packages without both',
    })
  const unresolved = Object.entries({
    ...dependencyMap(json.dependencies, 'dependencies', where),
    ...dependencyMap(json.optionalDependencies, 'optionalDependencies', where),
    ...dependencyMap(json.peerDependencies, 'peerDependencies', where),
  }).find(([, range]) => /^(workspace|catalog):/.test(range))
  if (unresolved !== undefined)
    throw new NpmError(
      'NPM_TARBALL_INVALID',
      `${where}: dependency ${unresolved[0]} is still "${unresolved[1]}"; npm cannot install it`,
      { hint: 'pack with pnpm (it resolves workspace: and catalog: ranges), not npm' },
    )
  parseSemVer(json.version, `${where}: version`)
  return {
    name: parsePackageName(json.name, `${where}: name`),
    version: json.version,
    dependencies: dependencyMap(json.dependencies, 'dependencies', where),
    optionalDependencies: dependencyMap(json.optionalDependencies, 'optionalDependencies', where),
    peerDependencies: dependencyMap(json.peerDependencies, 'peerDependencies', where),
    raw: json,
  }
}

/**
 * Reads a packed tarball and refuses what npm would refuse: a corrupt archive, no
 * `package/package.json`, an invalid name or version, unresolved `workspace:` ranges, and,
 * when `expected` is given, another name or version than the project being released.
 */
export async function inspectTarball(
  path: string,
  expected?: { readonly name: string; readonly version: string },
): Promise<NpmTarball> {
  const where = basename(path)
  const listing = await readTarGz(path, (name) => name === MANIFEST).catch((error: unknown) => {
    if (
      error instanceof CoreError &&
      (error.code === 'ARCHIVE_CORRUPT' || error.code === 'ARCHIVE_TOO_LARGE')
    )
      throw new NpmError('NPM_TARBALL_INVALID', error.message, {
        hint: 'pack it again; a truncated file or a partial copy leaves a corrupt tarball',
        cause: error,
      })
    throw error
  })
  const text = listing.files.get(MANIFEST)
  if (text === undefined)
    throw new NpmError('NPM_TARBALL_INVALID', `${path}: no ${MANIFEST} in the tarball`, {
      hint: 'npm reads the manifest from package/package.json; pack the package with `pnpm pack`',
    })
  const manifest = parsePackedManifest(text.toString('utf8'), `${where}: ${MANIFEST}`)
  if (expected !== undefined && (manifest.name !== expected.name || manifest.version !== expected.version)) {
    throw new NpmError(
      'NPM_VERSION_MISMATCH',
      `${path} is ${manifest.name}@${manifest.version}, but the release is ${expected.name}@${expected.version}`,
      { hint: 'run `polyship version` so package.json carries the release version, then pack again' },
    )
  }
  const hashes = await hashTarball(path)
  return {
    path,
    filename: where,
    name: manifest.name,
    version: parseSemVer(manifest.version, `${where}: version`),
    manifest,
    ...hashes,
  }
}

/** The sha512 of an integrity string as lowercase hex (for SBOM hashes). */
export function integrityHex(integrity: Integrity): string {
  return Buffer.from(integrity.slice('sha512-'.length), 'base64').toString('hex')
}
