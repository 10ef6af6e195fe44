import { relative } from 'node:path'
import {
  formatPlatform,
  type ImageConfig,
  type Platform,
  type Reporter,
  silentReporter,
  sourceDateEpoch,
} from '@polyship/core'
import { type BaseSpec, parseBase } from '../base/base-reference.ts'
import { type PlatformBase, type ResolvedBase, resolveBase } from '../base/resolve-base.ts'
import type { SourcedEntries } from '../layer/project-files.ts'
import { imageTags } from '../publish/tags.ts'
import { baseTreeLoader } from '../rootfs/base-tree.ts'
import { checkEntrypoint, checkUser, ImageTree } from '../rootfs/checks.ts'
import type { BuildImageOptions, ImageBuildInput } from './assemble.ts'
import type { BuiltImage, InstalledPackage } from './built-image.ts'
import type { RuntimeConfig } from './compose.ts'
import type { HealthcheckJson } from './config-json.ts'
import { baseTextOf, ImageParts, imageWorkspace } from './image-parts.ts'
import { type BuiltLayer, LayerBuilder } from './layers.ts'
import { imageAnnotations, runtimeConfig } from './runtime.ts'
import { DEFAULT_USER, type ImageUser, imagePlatforms, parseUser, pathOf, timestamp } from './settings.ts'

/** The config position messages name: `<package.json or pyproject>: polyship.image`. */
export function imageWhere(input: ImageBuildInput): { readonly file: string; readonly where: string } {
  const { manifestPath } = input.project
  const file = relative(process.cwd(), manifestPath) || manifestPath
  return { file, where: `${file}: polyship.image` }
}

/** What every assembled image reads from its input and config before it builds anything. */
export interface ImageSettings {
  readonly where: string
  readonly reporter: Reporter
  readonly env: Readonly<Record<string, string | undefined>>
  readonly epoch: number
  readonly platforms: readonly Platform[]
  readonly user: ImageUser
  readonly base: { readonly spec: BaseSpec; readonly where: string }
}

/**
 * Validates the settings every assembled image shares (platforms, base, user, tags) and
 * resolves the ambient ones (reporter, environment, SOURCE_DATE_EPOCH). `alias` is the base
 * name the image kind defines (`python`, `node`) and what it stands for.
 */
export function imageSettings(
  input: ImageBuildInput,
  config: ImageConfig,
  options: BuildImageOptions & {
    readonly alias: { readonly name: string; readonly text: string; readonly field: string }
  },
): ImageSettings {
  const { file, where } = imageWhere(input)
  const env = options.env ?? process.env
  const platforms = imagePlatforms(config, where)
  const baseText = baseTextOf(config.base, options.alias, input)
  const baseWhere = `${file}: ${baseText.field}`
  const spec = parseBase(baseText.text, { baseDir: baseText.baseDir, where: baseWhere })
  const user = parseUser(config.user ?? DEFAULT_USER, `${where}.user`)
  imageTags(input.project.version, config.tags)
  return {
    where,
    reporter: options.reporter ?? silentReporter,
    env,
    epoch: sourceDateEpoch(env),
    platforms,
    user,
    base: { spec, where: baseWhere },
  }
}

/** What a kind of image adds for each of its platforms, in the build `assembleWith` opened. */
export interface ImageBuild {
  /** The build's temp directory (removed by `dispose` of the image, or on failure). */
  readonly work: string
  readonly base: ResolvedBase
  readonly builder: LayerBuilder
  readonly parts: ImageParts
  /** One platform's tree as the checks see it: our layers over the base's, which are read only when needed. */
  tree(platformBase: PlatformBase | undefined, layers: readonly BuiltLayer[]): ImageTree
  /** How the platform's containers start: the base's config with `config` over it, run as the image's user. */
  runtime(
    platformBase: PlatformBase | undefined,
    options: {
      readonly config: ImageConfig
      readonly binaries: SourcedEntries
      readonly healthcheck: HealthcheckJson | undefined
    },
  ): RuntimeConfig
  /** Checks the platform's entrypoint (or cmd) and user against its tree. */
  checkRuntime(tree: ImageTree, runtime: RuntimeConfig, platform: Platform): Promise<void>
}

/**
 * The frame of every assembled image: opens the build (temp directory, registry client, the
 * base resolved for every platform, a layer builder, the image parts), lets `build` add the
 * platforms, and composes the index. On failure the build's temp files are removed.
 */
export async function assembleWith(
  input: ImageBuildInput,
  settings: ImageSettings,
  options: BuildImageOptions & { readonly prefix: string },
  build: (image: ImageBuild) => Promise<readonly InstalledPackage[]>,
): Promise<BuiltImage> {
  const { project } = input
  const { reporter, where, user } = settings
  const { work, client, dispose } = await imageWorkspace(options, options.prefix)
  try {
    reporter.emit({ type: 'step', project: project.name, step: 'image', status: 'start' })
    const base = await resolveBase(settings.base.spec, settings.platforms, {
      client,
      where: settings.base.where,
    })
    const builder = new LayerBuilder({
      dir: work,
      mtime: settings.epoch,
      gzipLevel: options.gzipLevel ?? 6,
      ...(options.layerCache === undefined ? {} : { cacheDir: options.layerCache }),
    })
    const created = timestamp(settings.epoch)
    const annotations = imageAnnotations({
      created,
      project,
      ...(input.source === undefined ? {} : { source: input.source }),
      ...(input.revision === undefined ? {} : { revision: input.revision }),
    })
    const parts = new ImageParts(base, created, annotations)
    const packages = await build({
      work,
      base,
      builder,
      parts,
      tree: (platformBase, layers) =>
        new ImageTree(
          layers.map((l) => l.tree),
          base.kind === 'image' && platformBase !== undefined
            ? baseTreeLoader(base.store, platformBase.layers, { name: base.name, reporter })
            : undefined,
        ),
      runtime: (platformBase, { config, binaries, healthcheck }) =>
        runtimeConfig({
          config,
          baseKind: base.kind,
          base: platformBase,
          binaries,
          user: user.text,
          healthcheck,
          labels: annotations,
        }),
      checkRuntime: async (tree, runtime, platform) => {
        await checkEntrypoint(tree, runtime.entrypoint ?? runtime.cmd, {
          path: pathOf(runtime.env),
          workdir: runtime.workdir ?? '/',
          where,
          platform: formatPlatform(platform),
        })
        await checkUser(tree, user, `${where}.user`)
      },
    })
    return { ...parts.finish(project.name, reporter, dispose), packages: [...packages] }
  } catch (error) {
    await dispose()
    throw error
  }
}
