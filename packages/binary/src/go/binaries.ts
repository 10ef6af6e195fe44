import { existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { dirname, isAbsolute, join, posix, relative, sep } from 'node:path'
import { type BinaryConfig, type Project, realPathInside } from '@polyship/core'
import { BinaryError } from '../errors.ts'
import { type GoMod, readGoModFile } from './go-mod.ts'

type Spec = NonNullable<BinaryConfig['binaries']>[number]
type Ldflags = NonNullable<BinaryConfig['ldflags']>

/** One Go binary of a project, its main package located in its module. */
export interface GoBinary {
  /** Executable name without `.exe`. */
  readonly name: string
  /** The config field it comes from, for messages: `polyship.binary` or `polyship.binary.binaries[1]`. */
  readonly field: string
  /** The module holding the main package; `go build` runs in its root. */
  readonly goMod: GoMod
  readonly moduleRoot: string
  /** The main package (or file) relative to the module root, as go build takes it: `./cmd/podcli`, `.`. */
  readonly package: string
  readonly ldflags: Ldflags
  readonly tags: readonly string[]
  readonly strip: boolean
  /** The section's `env` with the binary's own over it. */
  readonly env: Readonly<Record<string, string>>
}

/**
 * The binaries a Go project ships: `polyship.binary.binaries`, else the one binary that
 * `main` and `name` describe. Each `main` must stay inside the project (no `..` out, no
 * symlink out) and exist; its module is the nearest go.mod at or above it. Names are unique.
 */
export async function resolveGoBinaries(project: Project, config: BinaryConfig): Promise<GoBinary[]> {
  const at = `${project.manifestPath}: polyship.binary`
  if (config.binaries !== undefined && (config.main !== undefined || config.name !== undefined)) {
    throw new BinaryError(
      'BINARY_PROJECT_INVALID',
      `${at}: set main and name in each entry of binaries, not beside it (found ${[config.main === undefined ? '' : 'main', config.name === undefined ? '' : 'name'].filter(Boolean).join(' and ')})`,
      { hint: 'move main and name into binaries[0], or drop binaries for a single binary' },
    )
  }
  const specs: { spec: Spec; field: string }[] =
    config.binaries === undefined
      ? [
          {
            spec: {
              ...(config.main === undefined ? {} : { main: config.main }),
              ...(config.name === undefined ? {} : { name: config.name }),
            },
            field: 'polyship.binary',
          },
        ]
      : config.binaries.map((spec, i) => ({ spec, field: `polyship.binary.binaries[${i}]` }))
  const modules = new Map<string, Promise<GoMod>>()
  const binaries: GoBinary[] = []
  for (const { spec, field } of specs) {
    const main = await mainPackage(project, spec.main ?? '.', `${project.manifestPath}: ${field}.main`)
    const moduleRoot = findModuleRoot(main.dir)
    if (moduleRoot === undefined) {
      throw new BinaryError(
        'BINARY_PROJECT_INVALID',
        `${project.manifestPath}: ${field}.main "${spec.main ?? '.'}": no go.mod in ${main.dir} or any directory above it`,
        {
          hint: 'a Go binary is built inside its module: point the project (or main) at a package of the module whose go.mod should build it',
        },
      )
    }
    const file = join(moduleRoot, 'go.mod')
    let goMod = modules.get(file)
    if (goMod === undefined) {
      goMod = readGoModFile(file)
      modules.set(file, goMod)
    }
    const rel = relative(moduleRoot, main.path).split(sep).join('/')
    const pkg = rel === '' ? '.' : `./${rel}`
    const mod = await goMod
    const name = spec.name ?? defaultGoBinaryName(mod.module, main.isFile ? posix.dirname(pkg) : pkg)
    const clash = binaries.find((b) => b.name === name)
    if (clash !== undefined) {
      throw new BinaryError(
        'BINARY_PROJECT_INVALID',
        `${project.manifestPath}: ${field} and ${clash.field} are both named "${name}"; every binary of a project needs its own name`,
        { hint: `set a distinct name in ${field}` },
      )
    }
    binaries.push({
      name,
      field,
      goMod: mod,
      moduleRoot,
      package: pkg,
      ldflags: { ...config.ldflags, ...spec.ldflags },
      tags: spec.tags ?? config.tags ?? [],
      strip: spec.strip ?? config.strip ?? true,
      env: { ...config.env, ...spec.env },
    })
  }
  return binaries
}

/** `main` resolved inside the project: the package directory, or a `.go` file in it. */
async function mainPackage(
  project: Project,
  main: string,
  where: string,
): Promise<{ path: string; dir: string; isFile: boolean }> {
  const clean = posix.normalize(main.replaceAll('\\', '/'))
  const outside = (why: string): never => {
    throw new BinaryError(
      'BINARY_PROJECT_INVALID',
      `${where} "${main}" ${why}; main is a package path inside the project (${project.root})`,
      {
        hint: 'write a relative path below the project, e.g. "./cmd/tool"; for a main package elsewhere in the module, make its directory a polyship project of its own',
      },
    )
  }
  if (isAbsolute(main) || /^[A-Za-z]:/.test(main) || posix.isAbsolute(clean)) outside('is absolute')
  if (clean === '..' || clean.startsWith('../')) outside('points outside the project')
  const path = join(project.root, clean)
  const info = await stat(path).catch((cause: NodeJS.ErrnoException) => {
    if (cause.code !== 'ENOENT' && cause.code !== 'ENOTDIR') throw cause
    throw new BinaryError('BINARY_PROJECT_INVALID', `${where} "${main}": ${path} does not exist`, {
      cause,
      hint: 'point main at the directory of a main package (package main with func main), relative to the project',
    })
  })
  if ((await realPathInside(project.root, path)) === undefined)
    outside('resolves outside the project (a symlink?)')
  if (info.isFile() && !clean.endsWith('.go')) {
    throw new BinaryError('BINARY_PROJECT_INVALID', `${where} "${main}" is a file but not a .go file`, {
      hint: 'point main at the directory of a main package, e.g. "./cmd/tool"',
    })
  }
  return { path, dir: info.isFile() ? dirname(path) : path, isFile: info.isFile() }
}

/** The nearest directory at or above `dir` holding a go.mod, as the go command finds it. */
function findModuleRoot(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'go.mod'))) return current
    if (dirname(current) === current) return undefined
  }
}

/** What `go build` would name it: the main package's directory, or the module's last element without a /vN suffix. */
export function defaultGoBinaryName(module: string, main: string): string {
  const clean = posix.normalize(main.replaceAll('\\', '/')).replace(/\/+$/, '')
  if (clean !== '.' && clean !== '' && !clean.startsWith('..')) return posix.basename(clean)
  const parts = module.split('/')
  const last = parts.at(-1) ?? module
  return /^v\d+$/.test(last) && parts.length > 1 ? parts.at(-2)! : last
}
