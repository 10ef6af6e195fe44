import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Project, WheelConfig } from '@polyship/core'
import { parse as parseToml } from 'smol-toml'
import { WheelError } from '../errors.ts'
import { normalizeName } from '../names.ts'
import { pythonVersionOf, samePythonVersion } from '../version.ts'

/** A maturin project as pyproject.toml and Cargo.toml describe it, checked against package.json. */
export interface PythonProject {
  /** Directory holding pyproject.toml: maturin runs there. */
  readonly dir: string
  readonly pyprojectPath: string
  readonly cargoManifestPath: string
  /** pyproject.toml `project.name` as written. */
  readonly distribution: string
  /** The version the built files carry, PEP 440 normalized. */
  readonly version: string
  /** Where that version comes from, for messages: `pyproject.toml project.version`. */
  readonly versionSource: string
}

/** The fields of pyproject.toml polyship reads. */
export interface Pyproject {
  readonly name?: string
  readonly version?: string
  readonly dynamic: readonly string[]
  readonly buildBackend?: string
  /** `tool.maturin.manifest-path`, relative to pyproject.toml. */
  readonly manifestPath?: string
}

function invalid(file: string, what: string, cause?: unknown): never {
  throw new WheelError('WHEEL_PYPROJECT_INVALID', `${file}: ${what}`, {
    hint: 'a maturin project has [build-system] build-backend = "maturin" and a [project] table with a name',
    ...(cause === undefined ? {} : { cause }),
  })
}

function toml(text: string, file: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>
  } catch (cause) {
    return invalid(file, `not valid TOML (${(cause as Error).message.split('\n')[0]})`, cause)
  }
}

function table(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}

/** Parses pyproject.toml text; `file` names it in errors. */
export function parsePyproject(text: string, file: string): Pyproject {
  const doc = toml(text, file)
  const project = table(doc.project)
  const maturin = table(table(doc.tool).maturin)
  const string = (value: unknown, field: string): string | undefined => {
    if (value === undefined) return undefined
    if (typeof value !== 'string') invalid(file, `${field} must be a string`)
    return value as string
  }
  const dynamic = project.dynamic ?? []
  if (!Array.isArray(dynamic) || !dynamic.every((d) => typeof d === 'string'))
    invalid(file, 'project.dynamic must be a list of field names')
  const name = string(project.name, 'project.name')
  const version = string(project.version, 'project.version')
  const buildBackend = string(table(doc['build-system'])['build-backend'], 'build-system.build-backend')
  const manifestPath = string(maturin['manifest-path'], 'tool.maturin.manifest-path')
  return {
    ...(name === undefined ? {} : { name }),
    ...(version === undefined ? {} : { version }),
    dynamic: dynamic as string[],
    ...(buildBackend === undefined ? {} : { buildBackend }),
    ...(manifestPath === undefined ? {} : { manifestPath }),
  }
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (cause) {
    return invalid(file, `cannot read the ${what}`, cause)
  }
}

/** Cargo.toml `package.version`, following `version.workspace = true` up to the workspace root. */
export async function cargoVersion(manifestPath: string): Promise<string | undefined> {
  const cargo = toml(await readText(manifestPath, 'Cargo manifest'), manifestPath)
  const version = table(cargo.package).version
  if (typeof version === 'string') return version
  if (table(version).workspace !== true) return undefined
  for (let dir = dirname(dirname(manifestPath)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'Cargo.toml')
    const text = await readFile(candidate, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    if (text !== undefined) {
      const workspace = table(toml(text, candidate).workspace)
      if (Object.keys(workspace).length > 0) {
        const inherited = table(workspace.package).version
        return typeof inherited === 'string' ? inherited : undefined
      }
    }
    if (dirname(dir) === dir) return undefined
  }
}

/**
 * Reads the project's pyproject.toml (and Cargo.toml when the version is dynamic) and
 * checks it against package.json: the distribution name must match `name` or the declared
 * `polyship.wheel.distribution`, and the version must be the one being released.
 */
export async function readPythonProject(project: Project): Promise<PythonProject> {
  const config: WheelConfig = project.config.wheel ?? {}
  const dir = join(project.root, config.path ?? '.')
  const pyprojectPath = join(dir, 'pyproject.toml')
  const pyproject = parsePyproject(await readText(pyprojectPath, 'pyproject.toml'), pyprojectPath)
  if (pyproject.buildBackend !== 'maturin')
    invalid(
      pyprojectPath,
      `build-system.build-backend is ${JSON.stringify(pyproject.buildBackend ?? null)}; polyship builds wheels with maturin`,
    )
  if (pyproject.name === undefined) invalid(pyprojectPath, 'project.name is missing')
  const distribution = pyproject.name!
  const cargoManifestPath = join(dir, pyproject.manifestPath ?? 'Cargo.toml')

  const wanted = config.distribution ?? project.name
  if (normalizeName(wanted) !== normalizeName(distribution)) {
    const field = config.distribution === undefined ? 'name' : 'polyship.wheel.distribution'
    throw new WheelError(
      'WHEEL_NAME_MISMATCH',
      `${project.manifestPath} ${field} is "${wanted}" but ${pyprojectPath} project.name is "${distribution}"`,
      {
        hint:
          config.distribution === undefined
            ? `to publish the Python distribution under another name than the package, declare it: "polyship": { "wheel": { "distribution": "${distribution}" } }`
            : 'make polyship.wheel.distribution and project.name agree',
      },
    )
  }

  const isDynamic = pyproject.dynamic.includes('version')
  if (isDynamic && pyproject.version !== undefined)
    invalid(pyprojectPath, 'project.version is set and also listed in project.dynamic; choose one')
  let version: string
  let versionSource: string
  if (pyproject.version !== undefined) {
    version = pyproject.version
    versionSource = `${pyprojectPath} project.version`
  } else if (isDynamic) {
    const fromCargo = await cargoVersion(cargoManifestPath)
    if (fromCargo === undefined) {
      throw new WheelError(
        'WHEEL_VERSION_MISSING',
        `${pyprojectPath} takes its version from Cargo (project.dynamic), but ${cargoManifestPath} has no package.version`,
        {
          hint: 'set package.version in Cargo.toml (or [workspace.package] version with version.workspace = true)',
        },
      )
    }
    version = pythonVersionOf(fromCargo)
    versionSource = `${cargoManifestPath} package.version`
  } else {
    throw new WheelError(
      'WHEEL_VERSION_MISSING',
      `${pyprojectPath} has no project.version and does not list "version" in project.dynamic`,
      {
        hint: 'add version = "x.y.z" to [project], or dynamic = ["version"] to take it from Cargo.toml (maturin 1.8+ requires one of them)',
      },
    )
  }
  const releasing = pythonVersionOf(project.version)
  if (!samePythonVersion(version, releasing)) {
    throw new WheelError(
      'WHEEL_VERSION_MISMATCH',
      `${versionSource} is ${version} but ${project.manifestPath} releases ${project.version} (${releasing} in Python terms)`,
      {
        hint: 'run `polyship version` so every native manifest carries the released version, then build again',
      },
    )
  }
  return {
    dir,
    pyprojectPath,
    cargoManifestPath,
    distribution,
    version: releasing,
    versionSource,
  }
}
