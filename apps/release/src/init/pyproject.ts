import { semverOfPep440 } from '@polyship/core'
import { parseToml } from '@polyship/versioning'
import { type CargoManifests, crateVersion } from './cargo-crate.ts'
import { invalidManifest, optionalString, parsing, table } from './manifest-error.ts'
import { dirOf, joinPath, type NativeProject, type ReadText } from './project.ts'

/** PEP 517's fallback when pyproject.toml has no [build-system]. */
const DEFAULT_BACKEND = 'setuptools.build_meta:__legacy__'

/** What init reads from a pyproject.toml. */
export interface PyprojectInfo {
  readonly name: string
  readonly version?: string
  readonly dynamicVersion: boolean
  readonly backend: string
  /** true when pyproject.toml names no [build-system] (PEP 517 then means setuptools). */
  readonly defaultBackend: boolean
  readonly description?: string
  readonly license?: string
  /** [project.scripts] names, in file order. */
  readonly scripts: readonly string[]
  /** `tool.maturin.manifest-path`. */
  readonly cargoManifest?: string
}

export function parsePyprojectInfo(text: string, file: string): PyprojectInfo {
  const doc = parsing(file, () => parseToml(text, file))
  const project = table(doc.project)
  const poetry = table(table(doc.tool).poetry)
  const name = optionalString(project.name) ?? optionalString(poetry.name)
  if (name === undefined) {
    return invalidManifest(
      `${file}: no project.name`,
      'add a [project] table with name and version (PEP 621)',
    )
  }
  const backend = optionalString(table(doc['build-system'])['build-backend'])
  const dynamic = Array.isArray(project.dynamic) ? project.dynamic : []
  const version = optionalString(project.version) ?? optionalString(poetry.version)
  const description = optionalString(project.description)
  const licenseField = project.license
  const license = optionalString(licenseField) ?? optionalString(table(licenseField).text)
  const cargoManifest = optionalString(table(table(doc.tool).maturin)['manifest-path'])
  return {
    name,
    ...(version === undefined ? {} : { version }),
    dynamicVersion: dynamic.includes('version'),
    backend: backend ?? DEFAULT_BACKEND,
    defaultBackend: backend === undefined,
    ...(description === undefined ? {} : { description }),
    ...(license === undefined || license.includes('\n') ? {} : { license }),
    scripts: Object.keys(table(project.scripts)),
    ...(cargoManifest === undefined ? {} : { cargoManifest }),
  }
}

/** Directories whose Cargo.toml is the Rust core of a maturin project, not a crate of its own. */
export function maturinCargoDirs(
  projects: readonly NativeProject[],
  infos: ReadonlyMap<string, PyprojectInfo>,
): Set<string> {
  const dirs = new Set<string>()
  for (const project of projects) {
    const info = infos.get(project.dir)
    if (info?.backend !== 'maturin') continue
    dirs.add(dirOf(joinPath(project.dir, info.cargoManifest ?? 'Cargo.toml')))
  }
  return dirs
}

/**
 * Python projects: every pyproject.toml, whatever its PEP 517 build backend (recorded in
 * the notes). A maturin project's dynamic version comes from its Cargo.toml, as maturin
 * does; other dynamic versions (setuptools-scm, hatch-vcs) start the package.json at 0.1.0.
 */
export async function detectPythonProjects(
  files: readonly string[],
  read: ReadText,
  cargoManifests: CargoManifests,
): Promise<{ projects: NativeProject[]; infos: Map<string, PyprojectInfo> }> {
  const projects: NativeProject[] = []
  const infos = new Map<string, PyprojectInfo>()
  for (const file of files.filter((f) => f === 'pyproject.toml' || f.endsWith('/pyproject.toml'))) {
    const dir = dirOf(file)
    const info = parsePyprojectInfo(await read(file), file)
    infos.set(dir, info)
    const notes = [
      `build backend ${info.backend}${info.defaultBackend ? ' (no [build-system]: the PEP 517 default)' : ''}`,
    ]
    if (info.backend !== 'maturin') {
      notes.push('polyship builds wheels with maturin today; this backend is detected but not yet built')
    }
    let version = info.version
    let source = `${file} project.version`
    if (version === undefined && info.dynamicVersion && info.backend === 'maturin') {
      const cargoFile = joinPath(dir, info.cargoManifest ?? 'Cargo.toml')
      if (cargoManifests.has(dirOf(cargoFile))) {
        version = crateVersion(dirOf(cargoFile), cargoManifests)
        source = `${cargoFile} package.version`
      }
    }
    let semver = version === undefined ? undefined : semverOfPep440(version)
    if (version !== undefined && semver === undefined) {
      return invalidManifest(
        `${source} is ${version}, which has no SemVer spelling for package.json`,
        'use a release version like 1.2.0 (pre-releases a1, b1, rc1, .dev1 work), then run polyship init again',
      )
    }
    if (semver === undefined) {
      notes.push(
        `no static version (${info.dynamicVersion ? 'dynamic' : 'missing'}): package.json starts at 0.1.0`,
      )
      semver = '0.1.0'
    }
    projects.push({
      dir,
      kind: 'python',
      nativeName: info.name,
      version: semver,
      manifest: file,
      config: { wheel: {} },
      buildBackend: info.backend,
      ...(info.scripts[0] === undefined ? {} : { executable: info.scripts[0] }),
      ...(info.description === undefined ? {} : { description: info.description }),
      ...(info.license === undefined ? {} : { license: info.license }),
      notes,
    })
  }
  return { projects, infos }
}
