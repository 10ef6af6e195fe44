import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join, posix, relative, sep } from 'node:path'
import {
  type AttestationRef,
  compareSemver,
  isSemver,
  type RecordedArtifact,
  type RecordedProject,
} from '@polyship/core'
import { readBuildUnit } from './build-unit.ts'
import { ReleaseError } from './errors.ts'

/**
 * `dist/artifacts.json` and `dist/metadata.json` in GoReleaser's shapes, for tooling written
 * against GoReleaser (jq over `.extra.Checksum`, the SLSA generator, goreleaser-action's
 * outputs). Shapes from goreleaser internal/artifact/artifact.go (`Artifact`'s JSON tags,
 * `Type` and its `String()`, the `Extra*` keys) and internal/pipe/metadata.
 */

/** GoReleaser's `artifact.Type` values (its iota order) and their names, for the kinds polyship writes. */
export const GORELEASER_TYPES = {
  Archive: 1, // UploadableArchive
  File: 3, // UploadableFile
  Binary: 4,
  'Published Docker Image': 10, // DockerImage
  'Docker Manifest': 11,
  Checksum: 12,
  Signature: 13,
  Certificate: 14,
  SBOM: 29,
  Wheel: 34, // PyWheel
  'Source Dist': 35, // PySdist
  Metadata: 36,
} as const

type GoReleaserType = keyof typeof GORELEASER_TYPES

/** One entry of GoReleaser's artifacts.json; keys in GoReleaser's order, empty ones left out as `omitempty` does. */
export interface GoReleaserArtifact {
  readonly name: string
  readonly path: string
  readonly goos?: string
  readonly goarch?: string
  readonly goamd64?: string
  readonly go386?: string
  readonly goarm?: string
  readonly goarm64?: string
  readonly target?: string
  /** GoReleaser's numeric type; absent for kinds GoReleaser has no type for (charts, npm packages, provenance). */
  readonly internal_type?: number
  readonly type: string
  readonly extra: Readonly<Record<string, unknown>>
}

const KIND_TYPES: Partial<Record<RecordedArtifact['kind'], GoReleaserType>> = {
  binary: 'Binary',
  archive: 'Archive',
  checksums: 'Checksum',
  wheel: 'Wheel',
  sdist: 'Source Dist',
  image: 'Published Docker Image',
  'image-index': 'Docker Manifest',
  sbom: 'SBOM',
  signature: 'Signature',
}

/** Types of kinds GoReleaser (OSS) has none for: polyship's own names. */
const OWN_TYPES: Partial<Record<RecordedArtifact['kind'], string>> = {
  chart: 'Helm Chart',
  npm: 'NPM Package', // GoReleaser Pro's name
}

/** GoReleaser's per-architecture fields of a `linux/arm/v7`-style platform, with its defaults (amd64 `v1`, arm64 `v8.0`, 386 `sse2`). */
function platformFields(platform: string | undefined): Partial<GoReleaserArtifact> {
  if (!platform) return {}
  const [goos, goarch, variant] = platform.split('/')
  if (!goos || !goarch) return {}
  let extra: Partial<GoReleaserArtifact> = {}
  if (goarch === 'amd64') extra = { goamd64: variant ?? 'v1' }
  else if (goarch === 'arm') extra = { goarm: (variant ?? 'v6').replace(/^v/, '') }
  else if (goarch === 'arm64')
    extra = { goarm64: variant === undefined || variant === 'v8' ? 'v8.0' : variant }
  else if (goarch === '386') extra = { go386: 'sse2' }
  const suffix = Object.values(extra).join('')
  return {
    goos,
    goarch,
    ...extra,
    target: suffix === '' ? `${goos}_${goarch}` : `${goos}_${goarch}_${suffix}`,
  }
}

function typed(type: string): Pick<GoReleaserArtifact, 'internal_type' | 'type'> {
  const number = (GORELEASER_TYPES as Record<string, number>)[type]
  return number === undefined ? { type } : { internal_type: number, type }
}

/** `.tar.gz` from `tool_1.0.0_linux_amd64.tar.gz`: GoReleaser's `Ext`/`Format` of an archive. */
function archiveFormat(name: string): string | undefined {
  return /\.(tar\.gz|tar\.xz|tar\.zst|tgz|zip)$/.exec(name)?.[1]
}

/** True for an attestation stored as a file (a path or URL), not as an OCI referrer. */
function isFile(ref: AttestationRef): boolean {
  return !/^oci-layout:/.test(ref.location) && !ref.location.includes('@sha256:')
}

/**
 * A binary the build left in dist/build (not in the release record: binaries are not
 * published, their archives are), for GoReleaser's `Binary` entries.
 */
export interface BuiltBinary {
  readonly project: string
  readonly version: string
  /** The executable's name without `.exe`. */
  readonly name: string
  /** `linux/amd64`, `linux/arm/v7`. */
  readonly platform: string
  /** The toolchain's target: `linux/amd64` (Go) or `x86_64-unknown-linux-gnu` (Rust). */
  readonly target: string
  readonly toolchain: 'go' | 'rust'
  /** Relative to the release's output directory: `build/tool/linux-amd64/tool`. */
  readonly path: string
}

/**
 * The binaries of the build units under `<outDir>/build` whose project and version the
 * record lists (a unit left from an earlier version is not this release's), in unit order.
 * A binary file gone from disk (a CI job that restored only the archives) is left out.
 */
export async function builtBinaries(
  outDir: string,
  artifacts: readonly RecordedArtifact[],
): Promise<BuiltBinary[]> {
  const buildDir = join(outDir, 'build')
  if (!existsSync(buildDir)) return []
  const released = new Set(artifacts.map((a) => `${a.project}@${a.version}`))
  const found: BuiltBinary[] = []
  const entries = await readdir(buildDir, { withFileTypes: true })
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue
    const dir = join(buildDir, entry.name)
    // A unit polyship cannot read (an older schema, a torn file) is not this release's: the
    // release assembled from units it read; the listing must not fail a published release.
    const unit = await readBuildUnit(dir).catch((error: unknown) => {
      if (error instanceof SyntaxError) return undefined
      if (error instanceof ReleaseError && error.code === 'RELEASE_MERGE_INVALID') return undefined
      throw error
    })
    if (unit === undefined || !released.has(`${unit.project}@${unit.version}`)) continue
    for (const binary of unit.binaries) {
      const file = join(dir, binary.path)
      if (!existsSync(file)) continue
      found.push({
        project: unit.project,
        version: unit.version,
        name: binary.name ?? unit.binaryName ?? unit.project,
        platform: binary.platform,
        target: binary.target,
        toolchain: unit.toolchain ?? (binary.target.includes('-') ? 'rust' : 'go'),
        path: relative(outDir, file).split(sep).join('/'),
      })
    }
  }
  return found
}

/** GoReleaser's Rust builder's fields of a target triple (internal/builders/rust: `Parse`, `convertToGoarch`, `getArmVersion`). */
const RUST_GOARCH: Readonly<Record<string, string>> = {
  aarch64: 'arm64',
  x86_64: 'amd64',
  i686: '386',
  i586: '386',
  i386: '386',
  powerpc: 'ppc',
  powerpc64: 'ppc64',
  powerpc64le: 'ppc64le',
  riscv64: 'riscv64',
  s390x: 's390x',
  arm: 'arm',
  armv7: 'arm',
  wasm32: 'wasm',
}
const RUST_GOARM: Readonly<Record<string, string>> = {
  arm: '6',
  armv5te: '5',
  armv7: '7',
  armv7a: '7',
  armv7r: '7',
}

function rustFields(triple: string): { fields: Partial<GoReleaserArtifact>; abi: string } {
  const [arch = '', , os = '', abi = ''] = triple.split('-')
  const goarm = RUST_GOARM[arch]
  return {
    fields: {
      goos: os,
      goarch: RUST_GOARCH[arch] ?? arch,
      ...(goarm === undefined ? {} : { goarm }),
      target: triple,
    },
    abi: abi.split('.')[0] ?? '',
  }
}

/**
 * GoReleaser's `Binary` entry of a built binary, as its Go and Rust builders add them:
 * `name` with the extension, `extra.Binary` without, `Ext`, `ID` (the project), `Builder`,
 * and for Rust the triple as `target` and its `Abi`.
 */
function binaryEntry(binary: BuiltBinary, pathOf: (location: string) => string): GoReleaserArtifact {
  const ext = binary.platform.startsWith('windows/') ? '.exe' : ''
  const rust = binary.toolchain === 'rust' ? rustFields(binary.target) : undefined
  return {
    name: `${binary.name}${ext}`,
    path: pathOf(binary.path),
    ...(rust === undefined ? platformFields(binary.platform) : rust.fields),
    ...typed('Binary'),
    extra: {
      Binary: binary.name,
      Builder: binary.toolchain,
      Ext: ext,
      ID: binary.project,
      ...(rust === undefined ? {} : { Abi: rust.abi }),
      Project: binary.project,
      Version: binary.version,
    },
  }
}

/**
 * GoReleaser's artifacts.json entries of a release record: the built binaries first (as
 * GoReleaser's build pipe adds them before archiving), every artifact, then its signature,
 * SBOM and provenance files beside it (OCI attestations are referrers, not files, and are not
 * listed). `distDir` is how a path inside the record's directory is written (`dist`), so
 * `path` reads as GoReleaser's (`dist/assets/tool_1.0.0_linux_amd64.tar.gz`); URLs stay as
 * they are. Files carry `extra.Checksum` as `sha256:<hex>`, where GoReleaser writes it;
 * images carry `extra.Digest`, GoReleaser's key for an image digest. `ID` is the project,
 * and `Project`, `Version` and `Size` are kept from polyship's record.
 */
export function goreleaserArtifacts(
  artifacts: readonly RecordedArtifact[],
  distDir: string,
  binaries: readonly BuiltBinary[] = [],
): GoReleaserArtifact[] {
  const pathOf = (location: string) =>
    /^[a-z][a-z0-9+.-]*:/i.test(location) || posix.isAbsolute(location)
      ? location
      : posix.join(distDir, location)
  const built = binaries.map((b) => binaryEntry(b, pathOf))
  const recorded = artifacts.flatMap((a) => {
    const oci = a.kind === 'image' || a.kind === 'image-index' || a.kind === 'chart'
    const format = a.kind === 'archive' ? archiveFormat(a.name) : undefined
    const main: GoReleaserArtifact = {
      name: a.name,
      path: oci ? (a.locations[0] ?? '') : pathOf(a.locations[0] ?? ''),
      ...(a.kind === 'archive' || a.kind === 'binary' ? platformFields(a.platform) : {}),
      ...typed(KIND_TYPES[a.kind] ?? OWN_TYPES[a.kind] ?? a.kind),
      extra: {
        ID: a.project,
        ...(oci ? { Digest: a.digest } : { Checksum: a.digest }),
        ...(format === undefined ? {} : { Format: format, WrappedIn: '' }),
        Project: a.project,
        Version: a.version,
        Size: a.size,
      },
    }
    const beside = (ref: AttestationRef | undefined, type: string): GoReleaserArtifact[] =>
      ref === undefined || !isFile(ref)
        ? []
        : [
            {
              name: posix.basename(ref.location),
              path: pathOf(ref.location),
              ...typed(type),
              extra: {
                ID: a.project,
                Checksum: ref.digest,
                Project: a.project,
                Version: a.version,
                Of: a.name,
              },
            },
          ]
    return [
      main,
      ...beside(a.signature, 'Signature'),
      ...beside(a.sbom, 'SBOM'),
      ...beside(a.spdx, 'SBOM'),
      ...beside(a.provenance, 'SLSA Provenance'),
    ]
  })
  return [...built, ...recorded]
}

/** GoReleaser's dist/metadata.json, field for field. */
export interface GoReleaserMetadata {
  readonly project_name: string
  readonly tag: string
  readonly previous_tag: string
  readonly version: string
  readonly commit: string
  readonly date: string
  readonly runtime: { readonly goos: string; readonly goarch: string }
  /** polyship's own: every project of the release, when it released more than one. */
  readonly projects?: readonly {
    readonly project_name: string
    readonly tag: string
    readonly previous_tag: string
    readonly version: string
  }[]
}

const GOOS: Record<string, string> = { win32: 'windows', sunos: 'solaris' }
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' }

/**
 * GoReleaser's metadata.json of a release. One project released: its name, tag, version and
 * the tag it was last released under (`previousTags`). Several: `project_name` is the
 * workspace's, `tag`/`version` are empty (no one tag stands for the release) and `projects`
 * lists each. `runtime` is the machine that ran the release, in Go's names.
 */
export function goreleaserMetadata(options: {
  readonly workspace: string
  readonly projects: readonly RecordedProject[]
  readonly previousTags: ReadonlyMap<string, string>
  readonly commit: string
  readonly date: string
  readonly platform?: NodeJS.Platform
  readonly arch?: string
}): GoReleaserMetadata {
  const entries = options.projects.map((p) => ({
    project_name: p.name,
    tag: p.tag,
    previous_tag: options.previousTags.get(p.name) ?? '',
    version: p.version,
  }))
  const platform = options.platform ?? process.platform
  const arch = options.arch ?? process.arch
  const runtime = { goos: GOOS[platform] ?? platform, goarch: GOARCH[arch] ?? arch }
  const [only] = entries
  const head =
    entries.length === 1 && only !== undefined
      ? only
      : { project_name: options.workspace, tag: '', previous_tag: '', version: '' }
  return {
    ...head,
    commit: options.commit,
    date: options.date,
    runtime,
    ...(entries.length > 1 ? { projects: entries } : {}),
  }
}

/**
 * The tag each project was last released under before `projects`' versions: the highest
 * `<name>@<version>` tag below the released one among `tags` (what `git tag` lists).
 */
export function previousReleaseTags(
  projects: readonly RecordedProject[],
  tags: readonly string[],
): Map<string, string> {
  const found = new Map<string, string>()
  for (const project of projects) {
    const prefix = `${project.name}@`
    if (!isSemver(project.version)) continue
    const older = tags
      .filter((t) => t.startsWith(prefix))
      .map((t) => t.slice(prefix.length))
      .filter((v) => isSemver(v) && compareSemver(v, project.version) < 0)
      .sort(compareSemver)
    const last = older.at(-1)
    if (last !== undefined) found.set(project.name, `${prefix}${last}`)
  }
  return found
}
