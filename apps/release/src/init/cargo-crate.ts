import { parseToml } from '@polyship/versioning'
import { optionalString, parsing, table } from './manifest-error.ts'
import { dirOf, joinPath, type NativeProject, type ReadText, type SkippedManifest } from './project.ts'

/** What init reads from a Cargo.toml. */
export interface CargoManifest {
  readonly package?: {
    readonly name: string
    /** undefined when inherited (`version.workspace = true`) or absent. */
    readonly version?: string
    readonly inheritsVersion: boolean
    readonly description?: string
    readonly license?: string
    readonly autobins: boolean
  }
  /** `[workspace]`: the member globs and the version members inherit. */
  readonly workspace?: { readonly members: readonly string[]; readonly version?: string }
  /** `[[bin]]` targets: name, and path when given. */
  readonly bins: readonly { readonly name: string; readonly path?: string }[]
}

export function parseCargoManifest(text: string, file: string): CargoManifest {
  const doc = parsing(file, () => parseToml(text, file))
  const pkg = table(doc.package)
  const name = optionalString(pkg.name)
  const workspace = doc.workspace === undefined ? undefined : table(doc.workspace)
  const members = Array.isArray(workspace?.members)
    ? workspace.members.filter((m) => typeof m === 'string')
    : []
  const workspaceVersion = optionalString(table(workspace?.package).version)
  const bins = (Array.isArray(doc.bin) ? doc.bin : []).flatMap((bin) => {
    const binName = optionalString(table(bin).name) ?? name
    const path = optionalString(table(bin).path)
    return binName === undefined ? [] : [{ name: binName, ...(path === undefined ? {} : { path }) }]
  })
  const version = optionalString(pkg.version)
  const description = optionalString(pkg.description)
  const license = optionalString(pkg.license)
  return {
    ...(name === undefined
      ? {}
      : {
          package: {
            name,
            ...(version === undefined ? {} : { version }),
            inheritsVersion: table(pkg.version).workspace === true,
            ...(description === undefined ? {} : { description }),
            ...(license === undefined ? {} : { license }),
            autobins: pkg.autobins !== false,
          },
        }),
    ...(workspace === undefined
      ? {}
      : { workspace: { members, ...(workspaceVersion === undefined ? {} : { version: workspaceVersion }) } }),
    bins,
  }
}

/**
 * The bin targets of a crate as Cargo infers them: `[[bin]]`s, then src/main.rs and
 * src/bin/* (unless autobins = false) except files a `[[bin]]` already names by path.
 */
function binTargets(dir: string, manifest: CargoManifest, files: readonly string[]): string[] {
  const pkg = manifest.package!
  const bins = new Set(manifest.bins.map((bin) => bin.name))
  const claimed = new Set(
    manifest.bins.flatMap((bin) => (bin.path === undefined ? [] : [bin.path.replace(/^\.\//, '')])),
  )
  const infer = (path: string, name: string) => {
    if (!claimed.has(path) && files.includes(joinPath(dir, path))) bins.add(name)
  }
  if (pkg.autobins) {
    infer('src/main.rs', pkg.name)
    const binDir = `${joinPath(dir, 'src/bin')}/`
    for (const file of files.filter((f) => f.startsWith(binDir))) {
      const rest = file.slice(binDir.length).split('/')
      if (rest.length === 1 && rest[0]!.endsWith('.rs')) infer(`src/bin/${rest[0]}`, rest[0]!.slice(0, -3))
      else if (rest.length === 2 && rest[1] === 'main.rs') infer(`src/bin/${rest[0]}/main.rs`, rest[0]!)
    }
  }
  return [...bins].sort()
}

export type CargoManifests = ReadonlyMap<string, CargoManifest>

/** Every Cargo.toml of the file list, parsed, by directory. */
export async function readCargoManifests(files: readonly string[], read: ReadText): Promise<CargoManifests> {
  const manifests = new Map<string, CargoManifest>()
  for (const file of files.filter((f) => f === 'Cargo.toml' || f.endsWith('/Cargo.toml'))) {
    manifests.set(dirOf(file), parseCargoManifest(await read(file), file))
  }
  return manifests
}

/** The directory of the Cargo workspace `dir` belongs to: itself or the nearest one above with `[workspace]`. */
function workspaceRootOf(dir: string, manifests: CargoManifests): string | undefined {
  for (let at = dir; ; at = dirOf(at)) {
    if (manifests.get(at)?.workspace !== undefined) return at
    if (at === '.') return undefined
  }
}

/** A crate's version, following `version.workspace = true` to its workspace's `[workspace.package]`. */
export function crateVersion(dir: string, manifests: CargoManifests): string | undefined {
  const pkg = manifests.get(dir)?.package
  if (!pkg?.inheritsVersion) return pkg?.version
  const root = workspaceRootOf(dir, manifests)
  return root === undefined ? undefined : manifests.get(root)?.workspace?.version
}

/**
 * Cargo crates with bin targets, one project each (members of a Cargo workspace too; a
 * virtual workspace root is not a project). Crates with no binary are libraries: skipped.
 * `ownedDirs` are directories another project owns (a maturin project's Rust core).
 */
export function detectCargoCrates(
  files: readonly string[],
  manifests: CargoManifests,
  ownedDirs: ReadonlySet<string>,
): { projects: NativeProject[]; skipped: SkippedManifest[] } {
  const projects: NativeProject[] = []
  const skipped: SkippedManifest[] = []
  for (const [dir, manifest] of manifests) {
    const file = joinPath(dir, 'Cargo.toml')
    const pkg = manifest.package
    if (pkg === undefined || ownedDirs.has(dir)) continue
    const bins = binTargets(dir, manifest, files)
    if (bins.length === 0) {
      skipped.push({ path: file, reason: 'Rust library crate (no bin target): not released as a binary' })
      continue
    }
    const notes: string[] = []
    const root = workspaceRootOf(dir, manifests)
    if (root !== undefined && root !== dir) notes.push(`member of the Cargo workspace at ${root}`)
    if (!files.includes(joinPath(root ?? dir, 'Cargo.lock'))) {
      notes.push(
        'no Cargo.lock: polyship builds with --locked, so run `cargo generate-lockfile` and commit the lock file',
      )
    }
    const version = crateVersion(dir, manifests)
    if (version === undefined)
      notes.push(`${file} has no version: set one (package.json starts at 0.1.0 and must match)`)
    const name = bins.includes(pkg.name) ? pkg.name : bins[0]!
    if (bins.length > 1) {
      notes.push(
        `bin targets: ${bins.join(', ')}; polyship.binary ships one (${name}): change polyship.binary.name to pick another`,
      )
    }
    projects.push({
      dir,
      kind: 'rust',
      nativeName: pkg.name,
      version: version ?? '0.1.0',
      manifest: file,
      config: { binary: { toolchain: 'rust', ...(bins.length > 1 && name !== pkg.name ? { name } : {}) } },
      executable: name,
      bins,
      ...(pkg.description === undefined ? {} : { description: pkg.description }),
      ...(pkg.license === undefined ? {} : { license: pkg.license }),
      notes,
    })
  }
  return { projects, skipped }
}
