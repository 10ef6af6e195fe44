import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import {
  assertNever,
  locateVersionFile,
  normalizePep440,
  type Project,
  type PythonBackend,
  type PythonVersionSource,
  pep440OfSemver,
  pythonBackendOf,
  pythonVersionSource,
  samePythonVersion,
  vcsVersionEnv,
  type WheelConfig,
} from '@polyship/core'
import { parse as parseToml } from 'smol-toml'
import { WheelError } from '../errors.ts'
import { isValidDistributionName, normalizeName } from '../names.ts'

/** A Python project as pyproject.toml (and, for maturin, Cargo.toml) describes it, checked against package.json. */
export interface PythonProject {
  /** Directory holding pyproject.toml: the build runs there. */
  readonly dir: string
  readonly pyprojectPath: string
  readonly backend: PythonBackend
  /** `build-system.build-backend` as written (`setuptools.build_meta:__legacy__` when absent, as PEP 517 says). */
  readonly buildBackend: string
  /** maturin projects only: the crate maturin builds. */
  readonly cargoManifestPath?: string
  /** pyproject.toml `project.name` as written. */
  readonly distribution: string
  /** The version the built files carry, PEP 440 normalized. */
  readonly version: string
  /** Where that version comes from, for messages: `pyproject.toml project.version`. */
  readonly versionSource: string
  /** Environment the build needs to produce that version (a VCS plugin's pretended version); empty otherwise. */
  readonly buildEnv: Readonly<Record<string, string>>
}

/** The fields of pyproject.toml polyship reads. */
export interface Pyproject {
  readonly name?: string
  readonly version?: string
  readonly dynamic: readonly string[]
  readonly buildBackend?: string
  /** `tool.maturin.manifest-path`, relative to pyproject.toml. */
  readonly manifestPath?: string
  /** The whole parsed document, for the version-source resolver. */
  readonly document: Readonly<Record<string, unknown>>
}

function invalid(file: string, what: string, cause?: unknown): never {
  throw new WheelError('WHEEL_PYPROJECT_INVALID', `${file}: ${what}`, {
    hint: 'a Python project has a [build-system] table naming its PEP 517 build-backend and a [project] table with a name',
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
    document: doc,
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
 * Reads the project's pyproject.toml and, wherever its backend keeps a dynamic version
 * (Cargo.toml for maturin, a `__version__` file for hatch/setuptools/pdm/flit), that file,
 * and checks it against package.json: the distribution name must match `name` or the
 * declared `polyship.wheel.distribution`, and the version must be the one being released.
 * A VCS-derived version (setuptools-scm, hatch-vcs, pdm scm) is pretended through
 * `buildEnv` instead.
 */
export async function readPythonProject(project: Project): Promise<PythonProject> {
  const config: WheelConfig = project.config.wheel ?? {}
  const dir = join(project.root, config.path ?? '.')
  const pyprojectPath = join(dir, 'pyproject.toml')
  const pyproject = parsePyproject(await readText(pyprojectPath, 'pyproject.toml'), pyprojectPath)
  if (pyproject.name === undefined) invalid(pyprojectPath, 'project.name is missing')
  const distribution = pyproject.name!
  if (!isValidDistributionName(distribution))
    throw new WheelError(
      'WHEEL_PYPROJECT_INVALID',
      `${pyprojectPath}: project.name ${JSON.stringify(distribution)} (project ${project.name}) is not a Python project name (PEP 508: letters, digits and . _ -, starting and ending with a letter or digit); PyPI refuses it, and an embedded index would file it under "${normalizeName(distribution)}"`,
      {
        hint: 'rename project.name in pyproject.toml (e.g. "fast-json") and declare it as polyship.wheel.distribution',
      },
    )
  const backend = pythonBackendOf(pyproject.document)

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

  const releasing = pep440OfSemver(project.version)
  if (releasing === undefined) {
    throw new WheelError(
      'WHEEL_VERSION_MISMATCH',
      `${project.manifestPath} releases ${project.version}, which has no PEP 440 spelling for a Python distribution`,
      { hint: 'use pre-release labels alpha, beta, rc, dev or post (e.g. 1.2.0-rc.1)' },
    )
  }
  const source = pythonVersionSource(pyproject.document)
  const buildEnv = source.kind === 'vcs' ? vcsVersionEnv(source.tool, distribution, releasing) : {}
  const found =
    source.kind === 'vcs'
      ? {
          version: releasing,
          where: `${pyprojectPath} ${source.field} (${source.tool}, pretended through ${Object.keys(buildEnv).join(', ')})`,
        }
      : await versionFrom(source, dir, pyprojectPath)
  const version = found.version
  if (!samePythonVersion(version, releasing)) {
    throw new WheelError(
      'WHEEL_VERSION_MISMATCH',
      `${found.where} is ${version} but ${project.manifestPath} releases ${project.version} (${releasing} in Python terms)`,
      {
        hint: 'run `polyship version` so every native manifest carries the released version, then build again',
      },
    )
  }
  return {
    dir,
    pyprojectPath,
    backend,
    buildBackend: pyproject.buildBackend ?? 'setuptools.build_meta:__legacy__',
    ...(source.kind === 'cargo' ? { cargoManifestPath: join(dir, source.manifestPath) } : {}),
    distribution,
    version: releasing,
    versionSource: found.where,
    buildEnv,
  }
}

/** The version a source holds and where it was read (a VCS version is pretended at build time instead). */
async function versionFrom(
  source: Exclude<PythonVersionSource, { kind: 'vcs' }>,
  dir: string,
  pyprojectPath: string,
): Promise<{ version: string; where: string }> {
  switch (source.kind) {
    case 'pyproject':
      if (source.field.join('.') === 'project.version') {
        const version = normalizePep440(source.value)
        if (version === undefined)
          invalid(pyprojectPath, `project.version "${source.value}" is not a PEP 440 version`)
      }
      return { version: source.value, where: `${pyprojectPath} ${source.field.join('.')}` }
    case 'cargo': {
      const manifest = join(dir, source.manifestPath)
      const fromCargo = await cargoVersion(manifest)
      if (fromCargo === undefined) {
        throw new WheelError(
          'WHEEL_VERSION_MISSING',
          `${pyprojectPath} takes its version from Cargo (project.dynamic), but ${manifest} has no package.version`,
          {
            hint: 'set package.version in Cargo.toml (or [workspace.package] version with version.workspace = true)',
          },
        )
      }
      return { version: pep440OfSemver(fromCargo) ?? fromCargo, where: `${manifest} package.version` }
    }
    case 'file': {
      const located = await locateVersionFile(source, (file) =>
        readFile(join(dir, file), 'utf8').catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined
          throw error
        }),
      )
      switch (located.status) {
        case 'found':
          return { version: located.span.version, where: `${join(dir, located.file)} (${source.field})` }
        case 'no-version':
          throw new WheelError(
            'WHEEL_VERSION_MISSING',
            `${join(dir, located.file)} holds no version, but ${pyprojectPath} ${source.field} reads it from there`,
            { hint: 'write the version into it the way the backend reads it, e.g. __version__ = "1.0.0"' },
          )
        case 'missing':
          throw new WheelError(
            'WHEEL_VERSION_MISSING',
            `${pyprojectPath} ${source.field} reads the version from ${source.candidates.join(' or ')}, which does not exist`,
            {
              hint: 'create that file with __version__ = "x.y.z", or point the backend at the file that has it',
            },
          )
        default:
          return assertNever(located)
      }
    }
    case 'unknown':
      throw new WheelError(
        'WHEEL_VERSION_MISSING',
        `${pyprojectPath} has no version polyship can find: ${source.reason}`,
        {
          hint: source.hint,
        },
      )
    default:
      return assertNever(source)
  }
}
