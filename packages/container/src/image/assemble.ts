import { dirname, join } from 'node:path'
import {
  type Artifact,
  formatPlatform,
  type ImageConfig,
  type Project,
  type Reporter,
  settleAll,
} from '@polyship/core'
import type { RegistryClient } from '@polyship/oci'
import { pythonSettings } from '../base/python.ts'
import type { DockerfileBackend } from '../dockerfile/dockerfile-image.ts'
import { binaryEntries, projectFileEntries } from '../layer/project-files.ts'
import { checkRequiresPython, dependencySettings, installDependencies } from '../python/dependencies.ts'
import { checkInterpreter, importHealthcheck } from '../python/interpreter.ts'
import { chooseWheels } from '../wheel/choose.ts'
import { exactPythonVersion, parseWheelName } from '../wheel/wheel-tags.ts'
import type { BuiltImage, InstalledPackage } from './built-image.ts'
import { assembleWith, imageSettings } from './image-build.ts'
import { platformLayers } from './layers.ts'
import { healthcheck } from './settings.ts'

/** What an image is built from. */
export interface ImageBuildInput {
  /** The releasing project; its `config.image` says what to build. */
  readonly project: Project
  /** The project's binaries (kind `binary`) and wheels (kind `wheel`), with `path` and `platform`. */
  readonly artifacts?: readonly Artifact[]
  /** Source repository URL: `org.opencontainers.image.source`. */
  readonly source?: string
  /** VCS revision (commit): `org.opencontainers.image.revision`. */
  readonly revision?: string
  /**
   * Release-level replacements of bases by name, e.g. `{ python: 'oci:dist/bases/python:3.11-slim' }`
   * to build offline; `oci:` paths are relative to `workspaceRoot`. They win over project config.
   */
  readonly bases?: Readonly<Record<string, string>>
  readonly workspaceRoot?: string
  /**
   * Wheel files of the other projects of the same release: their directories are searched
   * (uv `--find-links`) when the image's Python dependencies are resolved, so a package that
   * depends on siblings released with it resolves before any of them is published.
   */
  readonly releaseWheels?: readonly string[]
}

/** Ambient things and knobs of a build, with production defaults. */
export interface BuildImageOptions {
  /** Reads registry bases (one shared client per release); default: a new client. */
  readonly client?: RegistryClient
  /** SOURCE_DATE_EPOCH, and the environment of external builders; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Parent of the build's temp directory (default: the OS temp dir). */
  readonly tmpDir?: string
  readonly reporter?: Reporter
  /** gzip level of layers, 1-9 (default 6). Changing it changes every digest. */
  readonly gzipLevel?: number
  /** Time limit of each external builder run (Dockerfile backend), default 30 minutes. */
  readonly timeoutMs?: number
  /**
   * Directory of layers kept between builds, keyed by the digests of what they hold (binaries,
   * wheels, files), mtime and gzip level: an unchanged layer is reused, not compressed again.
   * Default: none (every layer is written). The release uses `dist/build/.layers`.
   */
  readonly layerCache?: string
  /** Dockerfile backend to use instead of detecting one (buildx with a reachable daemon, else buildah). */
  readonly builder?: DockerfileBackend
}

/**
 * Assembles a multi-platform image without a daemon: resolves the base per platform, writes
 * polyship's layers (static base, project files, the wheels' Python dependencies resolved by
 * uv for the platform, wheels, binaries) reproducibly, checks the
 * entrypoint and user against the resulting tree, and composes configs, manifests and the
 * index. Nothing is published; temp files are removed on failure, or by `dispose()`.
 */
export async function assembleImage(
  input: ImageBuildInput,
  config: ImageConfig,
  options: BuildImageOptions = {},
): Promise<BuiltImage> {
  const { project } = input
  const artifacts = input.artifacts ?? []
  const wheels = artifacts
    .filter((a) => a.kind === 'wheel')
    .map((a) => {
      if (a.path === undefined) throw new Error(`wheel artifact ${a.name} has no path`)
      return { path: a.path, name: parseWheelName(a.path) }
    })
  const python = pythonSettings(config.python, {
    override: input.bases?.python,
    wheelVersion: exactPythonVersion(wheels.map((w) => w.name)),
  })
  const settings = imageSettings(input, config, {
    ...options,
    alias: { name: 'python', text: python.base, field: 'polyship.image.python.base' },
  })
  const { where, reporter } = settings
  const dependencies = dependencySettings(
    config.python,
    project.root,
    (input.releaseWheels ?? []).map((wheel) => dirname(wheel)),
  )
  const check =
    config.healthcheck === undefined
      ? await importHealthcheck(wheels, python)
      : healthcheck(config.healthcheck, `${where}.healthcheck`)

  return assembleWith(input, settings, { ...options, prefix: 'polyship-image-' }, async (image) => {
    const { base, builder, parts } = image
    const files = config.files?.length
      ? await projectFileEntries(config.files, project.root, config.workdir ?? '/')
      : undefined
    const packages: InstalledPackage[] = []
    const prepared = []
    for (const [i, platform] of settings.platforms.entries()) {
      const binaries = binaryEntries(artifacts, platform, config.binaryDir ?? '/usr/local/bin')
      const chosen = chooseWheels(wheels, platform, python.version, where)
      const context = { project: project.name, wheels: chosen, platform, python, where }
      await checkRequiresPython(context)
      const pythonDependencies = await installDependencies({
        ...context,
        settings: dependencies,
        dir: join(image.work, `python-${i}`),
        env: settings.env,
      })
      prepared.push({ platform, binaries, chosen, pythonDependencies })
    }
    // every platform's layers compressed at once (a layer they share is written once)
    const layersOf = await settleAll(
      prepared.map(({ platform, binaries, chosen, pythonDependencies }) =>
        platformLayers(builder, {
          platform,
          staticBase: base.kind === 'static',
          files,
          wheels: chosen,
          dependencies: pythonDependencies,
          binaries,
          python,
        }),
      ),
    )
    for (const [i, { platform, binaries, pythonDependencies }] of prepared.entries()) {
      const shown = formatPlatform(platform)
      const platformBase = base.kind === 'image' ? base.platforms[i] : undefined
      for (const pin of pythonDependencies?.pinned ?? [])
        packages.push({ ecosystem: 'pypi', ...pin, platform: shown })
      const layers = layersOf[i]!
      const runtime = image.runtime(platformBase, { config, binaries, healthcheck: check })
      const tree = image.tree(platformBase, layers)
      await image.checkRuntime(tree, runtime, platform)
      if (wheels.length > 0)
        await checkInterpreter(tree, python, {
          project: project.name,
          platform: shown,
          base: parts.baseName ?? config.base,
          dependencies: pythonDependencies !== undefined,
          reporter,
          where,
        })

      parts.addPlatform(platform, platformBase, layers, runtime)
    }
    return packages
  })
}
