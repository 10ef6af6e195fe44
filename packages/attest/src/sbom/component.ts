import { createRequire } from 'node:module'
import { type Digest, digestHex } from '@polyship/core'
import { AttestError } from '../errors.ts'

/**
 * packageurl-js (CommonJS, 15 modules) is required by the first package URL made, not by
 * every import of attest: a re-run that only checks the record's signature never loads it.
 */
const requirePurl = createRequire(import.meta.url)

/** `pkg:<type>/<namespace>/<name>@<version>?<qualifiers>`, encoded as the purl spec says. */
export function packageUrl(
  type: string,
  namespace: string | undefined,
  name: string,
  version?: string,
  qualifiers?: Record<string, string>,
): string {
  const { PackageURL } = requirePurl('packageurl-js') as typeof import('packageurl-js')
  return new PackageURL(type, namespace, name, version, qualifiers, undefined).toString()
}

/** CycloneDX component types polyship uses. */
export type ComponentType = 'application' | 'library' | 'container' | 'file' | 'framework'

/**
 * One entry of an SBOM in plain data. Format packages report what they know (Go modules,
 * Cargo.lock packages, requirements, images); the release app maps them to these through
 * the constructors below, which get the purls right.
 */
export interface SbomComponent {
  readonly type: ComponentType
  readonly name: string
  readonly group?: string
  readonly version?: string
  /** Unique within an SBOM; it is also the component's bom-ref. */
  readonly purl: string
  /** Lowercase hex. */
  readonly hashes?: { readonly sha256?: string; readonly sha512?: string }
  readonly scope?: 'required' | 'optional'
  readonly description?: string
  /** Declared license as an SPDX license expression (`MIT OR Apache-2.0`), when known. */
  readonly license?: string
  readonly properties?: Readonly<Record<string, string>>
  /** Components this one is built from or contains; they become dependency edges. */
  readonly dependsOn?: readonly SbomComponent[]
}

function purl(
  type: string,
  namespace: string | undefined,
  name: string,
  version?: string,
  qualifiers?: Record<string, string>,
) {
  try {
    return packageUrl(type, namespace, name, version, qualifiers)
  } catch (cause) {
    throw new AttestError(
      'ATTEST_INPUT_INVALID',
      `cannot make a ${type} package URL for "${name}": ${(cause as Error).message}`,
      {
        hint: 'this is input from a build step; check the module/crate/package names it reported',
        cause,
      },
    )
  }
}

/** A Go module as `go version -m` reports it (`Deps[]` / `Main` of debug.BuildInfo). */
export interface GoModule {
  readonly path: string
  readonly version: string
  /** go.sum hash, `h1:<base64 sha256>`. */
  readonly sum?: string
  readonly replace?: GoModule
}

/** A Go module dependency: `pkg:golang/<module path>@<version>`; replaced modules report the replacement. */
export function goModule(module: GoModule): SbomComponent {
  const used = module.replace ?? module
  const slash = used.path.lastIndexOf('/')
  const group = slash === -1 ? undefined : used.path.slice(0, slash)
  const name = used.path.slice(slash + 1)
  const h1 = used.sum?.startsWith('h1:') ? Buffer.from(used.sum.slice(3), 'base64') : undefined
  return {
    type: 'library',
    name,
    ...(group === undefined ? {} : { group }),
    version: used.version,
    purl: purl('golang', group, name, used.version),
    ...(h1?.length === 32 ? { hashes: { sha256: h1.toString('hex') } } : {}),
    ...(module.replace === undefined
      ? {}
      : { properties: { 'polyship:go:replaces': `${module.path}@${module.version}` } }),
  }
}

/** The Go standard library linked into a binary, as scanners name it: `pkg:golang/stdlib@1.24.2`. */
export function goStdlib(goVersion: string): SbomComponent {
  const version = goVersion.replace(/^go/, '')
  return { type: 'library', name: 'stdlib', version, purl: purl('golang', undefined, 'stdlib', version) }
}

/** A package of Cargo.lock (`[[package]]`: name, version, source, checksum). */
export interface CargoPackage {
  readonly name: string
  readonly version: string
  /** `registry+https://github.com/rust-lang/crates.io-index`, `git+https://...#rev`, absent for path packages. */
  readonly source?: string
  /** sha256 of the .crate file, hex. */
  readonly checksum?: string
}

const CRATES_IO =
  /^(sparse|registry)\+https:\/\/(github\.com\/rust-lang\/crates\.io-index|index\.crates\.io\/?)$/

/** A crate: `pkg:cargo/<name>@<version>`, with `vcs_url` for git sources and `repository_url` for other registries. */
export function cargoPackage(pkg: CargoPackage): SbomComponent {
  const qualifiers: Record<string, string> = {}
  if (pkg.source?.startsWith('git+')) qualifiers.vcs_url = pkg.source
  else if (pkg.source !== undefined && !CRATES_IO.test(pkg.source)) {
    qualifiers.repository_url = pkg.source.replace(/^(sparse|registry)\+/, '')
  }
  return {
    type: 'library',
    name: pkg.name,
    version: pkg.version,
    purl: purl('cargo', undefined, pkg.name, pkg.version, qualifiers),
    ...(pkg.checksum === undefined ? {} : { hashes: { sha256: pkg.checksum.toLowerCase() } }),
    ...(pkg.source === undefined ? { properties: { 'polyship:cargo:source': 'path' } } : {}),
  }
}

/** A Python requirement (a wheel's `Requires-Dist`), see `parseRequirement`. */
export interface PythonRequirement {
  readonly name: string
  readonly extras?: readonly string[]
  /** Version specifier as written: `>=1.26,<3`. */
  readonly specifier?: string
  /** Environment marker as written: `python_version < "3.11"`, `extra == "test"`. */
  readonly marker?: string
}

/**
 * A requirement: `pkg:pypi/<normalized name>`, versioned only when pinned with `==`.
 * Requirements behind an `extra` marker are optional.
 */
export function pythonRequirement(requirement: PythonRequirement): SbomComponent {
  const pinned = /^===?\s*([A-Za-z0-9_.!+-]+)$/.exec(requirement.specifier?.trim() ?? '')?.[1]
  const text = [
    requirement.name,
    requirement.extras?.length ? `[${requirement.extras.join(',')}]` : '',
    requirement.specifier ?? '',
    requirement.marker === undefined ? '' : `; ${requirement.marker}`,
  ].join('')
  return {
    type: 'library',
    name: requirement.name,
    ...(pinned === undefined ? {} : { version: pinned }),
    purl: purl('pypi', undefined, requirement.name, pinned),
    scope: /\bextra\s*==/.test(requirement.marker ?? '') ? 'optional' : 'required',
    properties: { 'polyship:python:requirement': text },
  }
}

/** An npm package as a lockfile or a manifest names it. */
export interface NpmPackageRef {
  /** `name` or `@scope/name`. */
  readonly name: string
  /** The resolved version; absent when only a range is known. */
  readonly version?: string
  /** The range the manifest asks for (`^1.2.0`), kept as a property. */
  readonly range?: string
  /** `sha512-<base64>` from the lockfile. */
  readonly integrity?: string
  readonly scope?: 'required' | 'optional'
}

/** An npm package: `pkg:npm/%40scope/name@1.2.3` (the scope is the purl namespace). */
export function npmPackage(pkg: NpmPackageRef): SbomComponent {
  const slash = pkg.name.indexOf('/')
  const namespace = pkg.name.startsWith('@') && slash > 0 ? pkg.name.slice(0, slash) : undefined
  const name = namespace === undefined ? pkg.name : pkg.name.slice(slash + 1)
  const sha512 = pkg.integrity?.startsWith('sha512-')
    ? Buffer.from(pkg.integrity.slice('sha512-'.length), 'base64').toString('hex')
    : undefined
  return {
    type: 'library',
    name,
    ...(namespace === undefined ? {} : { group: namespace }),
    ...(pkg.version === undefined ? {} : { version: pkg.version }),
    purl: purl('npm', namespace, name, pkg.version),
    ...(sha512?.length === 128 ? { hashes: { sha512 } } : {}),
    scope: pkg.scope ?? 'required',
    ...(pkg.range === undefined ? {} : { properties: { 'polyship:npm:range': pkg.range } }),
  }
}

/** An OCI artifact by digest: `pkg:oci/<last path segment>@sha256:...?repository_url=<repository>[&tag=..]`. */
export function ociPurl(repository: string, digest: Digest, tag?: string): string {
  const name = repository.split('/').pop() ?? repository
  return purl('oci', undefined, name.toLowerCase(), digest, {
    ...(repository.includes('/') || repository.includes('.') ? { repository_url: repository } : {}),
    ...(tag === undefined ? {} : { tag }),
  })
}

/** An image (a base image, or an image a chart deploys), pinned by digest. */
export function ociImage(image: {
  readonly repository: string
  readonly digest: Digest
  readonly tag?: string
}): SbomComponent {
  return {
    type: 'container',
    name: image.repository,
    version: image.digest,
    purl: ociPurl(image.repository, image.digest, image.tag),
    hashes: { sha256: digestHex(image.digest) },
  }
}

/** A Helm chart (a dependency chart, or the chart itself): `pkg:oci` when it lives in a registry, else by file checksum. */
export function helmChart(chart: {
  readonly name: string
  readonly version: string
  /** The chart manifest digest (OCI) or the .tgz digest. */
  readonly digest: Digest
  /** OCI repository of the chart (`ghcr.io/acme/charts/app`), when it is in one. */
  readonly repository?: string
}): SbomComponent {
  return {
    type: 'application',
    name: chart.name,
    version: chart.version,
    purl:
      chart.repository === undefined
        ? purl('generic', undefined, chart.name, chart.version, { checksum: chart.digest })
        : ociPurl(chart.repository, chart.digest, chart.version.replaceAll('+', '_')),
    hashes: { sha256: digestHex(chart.digest) },
    properties: { 'polyship:kind': 'helm-chart' },
  }
}

/** A chart packaged inside another (under its charts/), as the chart's `Subchart` reports it. */
export interface HelmSubchart {
  readonly name: string
  readonly version: string
  /** As the dependency names it: `https://charts.example.com`, `oci://ghcr.io/acme/charts`, `file://../lib`, or ''. */
  readonly repository: string
  /** SHA-256 of the vendored .tgz, when it shipped as one. */
  readonly digest?: Digest
  readonly subcharts: readonly HelmSubchart[]
}

/**
 * A subchart of an umbrella chart: `pkg:helm/<name>@<version>`, with `repository_url` for a
 * chart repository (the index.yaml URL's base, or `oci://...`), as syft and other scanners
 * name Helm charts; a `file://` sibling keeps its path as a property. Its own subcharts
 * become its dependencies.
 */
export function helmSubchart(chart: HelmSubchart): SbomComponent {
  const repository = withoutUserinfo(chart.repository)
  const remote = /^(https?|oci):\/\//.test(repository)
  return {
    type: 'application',
    name: chart.name,
    version: chart.version,
    purl: purl('helm', undefined, chart.name, chart.version, remote ? { repository_url: repository } : {}),
    ...(chart.digest === undefined ? {} : { hashes: { sha256: digestHex(chart.digest) } }),
    scope: 'required',
    properties: {
      'polyship:kind': 'helm-chart',
      ...(repository === '' ? {} : { 'polyship:helm:repository': repository }),
    },
    ...(chart.subcharts.length === 0 ? {} : { dependsOn: chart.subcharts.map(helmSubchart) }),
  }
}

/** A URL as an SBOM may record it: user and password removed (they would be signed and published). */
function withoutUserinfo(url: string): string {
  if (!URL.canParse(url)) return url
  const parsed = new URL(url)
  if (parsed.username === '' && parsed.password === '') return url
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1')
}

/** A file inside another artifact (a binary inside an archive or an image), with what it was built from. */
export function fileComponent(file: {
  readonly name: string
  readonly digest: Digest
  readonly version?: string
  readonly purl?: string
  readonly dependsOn?: readonly SbomComponent[]
}): SbomComponent {
  return {
    type: 'application',
    name: file.name,
    ...(file.version === undefined ? {} : { version: file.version }),
    purl:
      file.purl ??
      purl('generic', undefined, file.name, file.version, {
        checksum: file.digest,
      }),
    hashes: { sha256: digestHex(file.digest) },
    ...(file.dependsOn === undefined ? {} : { dependsOn: file.dependsOn }),
  }
}
