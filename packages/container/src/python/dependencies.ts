import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, posix, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  type ArchiveEntry,
  CoreError,
  formatPlatform,
  type ImageConfig,
  normalizePythonName,
  type Platform,
  run,
  SubprocessError,
  treeEntries,
} from '@polyship/core'
import type { PythonSettings } from '../base/python.ts'
import { ContainerError } from '../errors.ts'
import type { SourcedEntries } from '../layer/project-files.ts'
import type { WheelFile } from '../wheel/choose.ts'
import { satisfiesRequiresPython } from './requires-python.ts'
import { isRuntimeRequirement, readWheelMetadata, type WheelMetadata } from './wheel-metadata.ts'

/** How a wheel image's dependencies are resolved: `polyship.image.python`, resolved once. */
export interface DependencySettings {
  readonly enabled: boolean
  /** `--index-url`; undefined leaves it to uv (UV_INDEX_URL, uv.toml, else PyPI). */
  readonly index?: string
  /** `--extra-index-url`s, after `index` (uv takes each package from the first index that has it). */
  readonly extraIndexes: readonly string[]
  /** Absolute path of the constraints / lock file. */
  readonly constraints?: string
  /** manylinux tag version of the base's glibc, e.g. `2_28`. */
  readonly manylinux: string
  /**
   * `--find-links` directories: wheels the same release built (sibling packages, a meta
   * package's members), found before any index, since none of them is published yet.
   */
  readonly findLinks: readonly string[]
}

export const DEFAULT_MANYLINUX = '2_28'

/**
 * Reads `python.dependencies/index/extraIndexes/constraints/manylinux`. Paths are relative to
 * the project and may lie outside it (the workspace's `dist/` index, a root lock file): they
 * are read by uv, never copied into the image.
 */
export function dependencySettings(
  config: ImageConfig['python'],
  projectRoot: string,
  findLinks: readonly string[] = [],
): DependencySettings {
  const indexUrl = (index: string) =>
    /^(https?|file):\/\//.test(index) ? index : pathToFileURL(resolve(projectRoot, index)).href
  return {
    enabled: config?.dependencies ?? true,
    ...(config?.index === undefined ? {} : { index: indexUrl(config.index) }),
    extraIndexes: (config?.extraIndexes ?? []).map(indexUrl),
    ...(config?.constraints === undefined ? {} : { constraints: resolve(projectRoot, config.constraints) }),
    manylinux: config?.manylinux ?? DEFAULT_MANYLINUX,
    findLinks: [...new Set(findLinks.map((dir) => resolve(dir)))].sort(),
  }
}

/** uv's `--python-platform` per image architecture (manylinux: the glibc of Debian-based images). */
const UV_ARCHITECTURES: Readonly<Record<string, string>> = { amd64: 'x86_64', arm64: 'aarch64' }

/**
 * Resolves and installs the run-time dependencies of an image's wheels for one platform,
 * without Python in the image and without building anything: `uv pip compile` pins them for
 * the platform's manylinux tag and the image's CPython, wheels only, from the configured
 * index under the constraints file; `uv pip install --target --no-deps` then fetches exactly
 * that list. The staging tree becomes one layer: everything into site-packages, `bin/` into
 * the scripts directory with its `#!` line pointed at the image's interpreter. No bytecode is
 * compiled (uv's default; `__pycache__` is left out in any case), so the layer depends only on
 * the wheels resolved. Returns undefined when the wheels need nothing.
 *
 * Failures are coded and name the project, the platform and the package uv named:
 * CONTAINER_DEPENDENCY_SDIST_ONLY, CONTAINER_DEPENDENCY_UNRESOLVABLE.
 */
export async function installDependencies(options: {
  readonly project: string
  readonly wheels: readonly WheelFile[]
  readonly platform: Platform
  readonly python: PythonSettings
  readonly settings: DependencySettings
  /** A fresh directory for this platform's staging tree. */
  readonly dir: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly where: string
}): Promise<
  (SourcedEntries & { readonly pinned: readonly { name: string; version: string }[] }) | undefined
> {
  const { settings, platform, python } = options
  if (!settings.enabled || options.wheels.length === 0) return undefined
  const metadata = await Promise.all(options.wheels.map((w) => readWheelMetadata(w.path, w.name.filename)))
  if (!metadata.some((m) => m.requiresDist.some(isRuntimeRequirement))) return undefined
  const shown = formatPlatform(platform)
  const arch = UV_ARCHITECTURES[platform.architecture]
  if (arch === undefined) {
    throw new ContainerError(
      'CONTAINER_DEPENDENCY_UNRESOLVABLE',
      `${options.where}: ${options.project}: the dependencies of ${metadata.map((m) => m.name).join(', ')} cannot be resolved for ${shown}: polyship resolves Python dependencies for linux/amd64 and linux/arm64`,
      {
        hint: 'drop the platform from polyship.image.platforms, or set polyship.image.python.dependencies to false and bring them in the base',
      },
    )
  }
  const target = `${arch}-manylinux_${settings.manylinux}`
  const staging = join(options.dir, 'site-packages')
  await mkdir(staging, { recursive: true })
  const common = [
    '--python-platform',
    target,
    '--python-version',
    python.version,
    '--only-binary',
    ':all:',
    ...(settings.index === undefined ? [] : ['--index-url', settings.index]),
    ...settings.extraIndexes.flatMap((url) => ['--extra-index-url', url]),
    ...settings.findLinks.flatMap((dir) => ['--find-links', dir]),
    ...(settings.constraints === undefined ? [] : ['--constraint', settings.constraints]),
  ]
  const { UV_COMPILE_BYTECODE: _compile, ...inherited } = options.env
  const env = { ...inherited, UV_PYTHON_DOWNLOADS: 'never', NO_COLOR: '1' }
  const context = { ...options, metadata, shown }

  const inputs = options.wheels.map((w) => resolve(w.path))
  const compiled = await uv(
    ['pip', 'compile', '-', ...common, '--no-header', '--no-annotate', '--quiet'],
    { cwd: options.dir, env, input: `${inputs.join('\n')}\n` },
    context,
  )
  const pinned = compiled
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !inputs.includes(line))
  if (pinned.length === 0) return undefined
  const requirements = join(options.dir, 'requirements.txt')
  await writeFile(requirements, `${pinned.join('\n')}\n`)
  await uv(
    [
      'pip',
      'install',
      '--target',
      staging,
      '--no-deps',
      '--link-mode',
      'copy',
      ...common,
      '--requirement',
      requirements,
    ],
    { cwd: options.dir, env },
    context,
  )
  const staged = await stagedEntries(
    staging,
    python,
    `dependencies of ${options.project} (${pinned.join(', ')})`,
  )
  return { ...staged, pinned: pinned.flatMap(pinnedPackage) }
}

/** `name==version` as `uv pip compile` writes it (markers and hashes aside). */
function pinnedPackage(line: string): { name: string; version: string }[] {
  const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;\\]+)/.exec(line)
  return match === null ? [] : [{ name: match[1]!, version: match[2]! }]
}

/**
 * The Requires-Python of each wheel against the image's CPython: CONTAINER_PYTHON_INCOMPATIBLE
 * naming the project, platform, wheel and both versions when the base's Python is not one the
 * wheel runs on.
 */
export async function checkRequiresPython(options: {
  readonly project: string
  readonly wheels: readonly WheelFile[]
  readonly platform: Platform
  readonly python: PythonSettings
  readonly where: string
}): Promise<void> {
  for (const wheel of options.wheels) {
    const metadata = await readWheelMetadata(wheel.path, wheel.name.filename)
    const needed = metadata.requiresPython
    if (needed === undefined || satisfiesRequiresPython(options.python.version, needed)) continue
    throw new ContainerError(
      'CONTAINER_PYTHON_INCOMPATIBLE',
      `${options.where}: ${options.project}: ${wheel.name.filename} requires Python ${needed}, but the ${formatPlatform(options.platform)} image's Python is ${options.python.version} (${options.python.interpreter} on ${options.python.base})`,
      {
        hint: 'use a base with a Python the wheel supports (polyship.image.python.base and .version), or widen requires-python in pyproject.toml',
      },
    )
  }
}

async function uv(
  args: readonly string[],
  runOptions: {
    readonly cwd: string
    readonly env: Readonly<Record<string, string | undefined>>
    readonly input?: string
  },
  context: {
    readonly project: string
    readonly shown: string
    readonly where: string
    readonly metadata: readonly WheelMetadata[]
  },
): Promise<string> {
  const command = runOptions.env.POLYSHIP_UV ?? 'uv'
  try {
    return (await run(command, args, runOptions)).stdout
  } catch (error) {
    if (error instanceof SubprocessError) throw dependencyError(error, context)
    if (error instanceof CoreError && error.code === 'SUBPROCESS_NOT_FOUND') {
      throw new ContainerError(
        'CONTAINER_DEPENDENCY_UNRESOLVABLE',
        `${context.where}: ${context.project}: uv is needed to resolve the Python dependencies for ${context.shown}, and ${command} is not on PATH`,
        {
          hint: 'install uv (pip install uv, or the standalone installer), or set polyship.image.python.dependencies to false',
          cause: error,
        },
      )
    }
    throw error
  }
}

/** uv's resolver message, read for the package it blames and why. */
function dependencyError(
  error: SubprocessError,
  context: {
    readonly project: string
    readonly shown: string
    readonly where: string
    readonly metadata: readonly WheelMetadata[]
  },
): ContainerError {
  const text = error.stderrTail.replace(/\s+/g, ' ')
  const ours = new Set(context.metadata.map((m) => normalizePythonName(m.name)))
  const blamed = (pattern: RegExp) =>
    [...text.matchAll(pattern)].map((m) => m[1]!).find((name) => !ours.has(normalizePythonName(name)))
  const from = context.metadata.map((m) => `${m.name} ${m.version}`).join(', ')
  const sdist =
    blamed(/Wheels are required for `([^`]+)`/g) ??
    blamed(/Because ([A-Za-z0-9._-]+)\S* has no usable wheels/g)
  if (sdist !== undefined) {
    return new ContainerError(
      'CONTAINER_DEPENDENCY_SDIST_ONLY',
      `${context.where}: ${context.project}: dependency ${sdist} (of ${from}) has only a source distribution for ${context.shown}; images install wheels only, nothing is compiled while building an image:\n${error.stderrTail}`,
      {
        hint: `publish a wheel of ${sdist} for that platform to the index (or pin a version that has one in the constraints file), or drop the platform from polyship.image.platforms`,
        cause: error,
      },
    )
  }
  const other =
    blamed(/Because ([A-Za-z0-9._-]+)\S* has no wheels with a matching/g) ??
    blamed(/Because ([A-Za-z0-9._-]+) was not found in the package registry/g) ??
    blamed(/Because there is no version of ([A-Za-z0-9._-]+)/g) ??
    blamed(/Because ([A-Za-z0-9._-]+)/g) ??
    blamed(/depends on ([A-Za-z0-9._-]+)/g) ??
    'unknown (see uv output)'
  return new ContainerError(
    'CONTAINER_DEPENDENCY_UNRESOLVABLE',
    `${context.where}: ${context.project}: the dependencies of ${from} cannot be resolved for ${context.shown} (package ${other}):\n${error.stderrTail}`,
    {
      hint: `make ${other} available for ${context.shown} in the index (polyship.image.python.index), relax the constraint, or drop the platform from polyship.image.platforms`,
      cause: error,
    },
  )
}

/** The staged tree as layer entries: site-packages, and `bin/` into the scripts directory. */
async function stagedEntries(
  staging: string,
  python: PythonSettings,
  origin: string,
): Promise<SourcedEntries> {
  const tree = await treeEntries(staging, {
    include: (path) => path !== '.lock' && !path.split('/').includes('__pycache__'),
  })
  const entries: ArchiveEntry[] = []
  for (const entry of tree) {
    const inBin = entry.path === 'bin' || entry.path.startsWith('bin/')
    if (entry.path === 'bin') continue
    const path = posix
      .join(inBin ? python.scriptsDir : python.sitePackages, inBin ? entry.path.slice(4) : entry.path)
      .replace(/^\/+/, '')
    if (inBin && entry.type === 'file') {
      const content = withInterpreter(await readFile(entry.source!), python.interpreter)
      entries.push({ type: 'file', path, mode: entry.mode ?? 0o755, content })
    } else entries.push({ ...entry, path })
  }
  return { entries, origins: new Map(entries.map((e) => [e.path, origin])) }
}

/** A script's `#!...python...` line (uv writes the resolving machine's interpreter) becomes the image's. */
function withInterpreter(bytes: Buffer, interpreter: string): Buffer {
  const end = bytes.indexOf(10)
  const first = bytes.subarray(0, end === -1 ? bytes.length : end).toString('latin1')
  if (!/^#!.*python[0-9.]*\s*$/.test(first)) return bytes
  return Buffer.concat([Buffer.from(`#!${interpreter}`), end === -1 ? Buffer.alloc(0) : bytes.subarray(end)])
}
