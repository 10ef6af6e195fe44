import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Platform, samePlatform } from '@polyship/core'
import { pythonSettings } from '../base/python.ts'
import { binaryEntries, projectFileEntries } from '../layer/project-files.ts'
import { isNodeImage } from '../node/node-settings.ts'
import type { BuildImageOptions, ImageBuildInput } from './assemble.ts'
import { imageSettings } from './image-build.ts'
import { LayerBuilder, platformLayers } from './layers.ts'

/**
 * Writes into `layerCache` the layers an assembled binary image of `input` will hold on
 * `platform` (the static base, project files, the platform's binaries), as `buildImage`
 * would write them, so that assembling the image later finds them there instead of
 * compressing them then: a release calls it as each platform is compiled, while the next
 * compiles. Images with wheels, Node images, Dockerfile images and platforms the image
 * does not have are left alone. The cache is keyed by content, so a layer warmed from
 * other inputs is never used: at worst the warming was wasted.
 */
export async function warmImageLayers(
  input: ImageBuildInput,
  platform: Platform,
  options: BuildImageOptions & { readonly layerCache: string },
): Promise<void> {
  const config = input.project.config.image
  const artifacts = input.artifacts ?? []
  if (
    config === undefined ||
    config.dockerfile !== undefined ||
    isNodeImage(config) ||
    artifacts.some((a) => a.kind === 'wheel') ||
    !artifacts.some((a) => a.kind === 'binary')
  )
    return
  const python = pythonSettings(config.python, { override: input.bases?.python, wheelVersion: undefined })
  const settings = imageSettings(input, config, {
    ...options,
    alias: { name: 'python', text: python.base, field: 'polyship.image.python.base' },
  })
  if (!settings.platforms.some((p) => samePlatform(p, platform))) return
  const parent = options.tmpDir ?? tmpdir()
  await mkdir(parent, { recursive: true })
  const work = await mkdtemp(join(parent, 'polyship-layers-'))
  try {
    const builder = new LayerBuilder({
      dir: work,
      mtime: settings.epoch,
      gzipLevel: options.gzipLevel ?? 6,
      cacheDir: options.layerCache,
    })
    await platformLayers(builder, {
      platform,
      staticBase: settings.base.spec.kind === 'static',
      files: config.files?.length
        ? await projectFileEntries(config.files, input.project.root, config.workdir ?? '/')
        : undefined,
      wheels: [],
      binaries: binaryEntries(artifacts, platform, config.binaryDir ?? '/usr/local/bin'),
      python,
    })
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
