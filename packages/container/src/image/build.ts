import { relative } from 'node:path'
import type { Project } from '@polyship/core'
import { dockerfileImage } from '../dockerfile/dockerfile-image.ts'
import { ContainerError } from '../errors.ts'
import { assembleImage, type BuildImageOptions, type ImageBuildInput } from './assemble.ts'
import type { BuiltImage } from './built-image.ts'

/**
 * Builds a project's image as `polyship.image` says: assembled without a daemon (the
 * default), or from its Dockerfile by docker buildx or buildah. Nothing is published;
 * call `publishImage` with the result, then `dispose()` it.
 */
export function buildImage(input: ImageBuildInput, options: BuildImageOptions = {}): Promise<BuiltImage> {
  const config = input.project.config.image
  if (config === undefined) {
    const file = relative(process.cwd(), input.project.manifestPath) || input.project.manifestPath
    throw new ContainerError(
      'CONTAINER_CONFIG_INVALID',
      `${file}: ${input.project.name} has no polyship.image`,
      {
        hint: 'add an "image" section to the polyship field of package.json',
      },
    )
  }
  const { dockerfile } = config
  if (dockerfile !== undefined) return dockerfileImage(input, { ...config, dockerfile }, options)
  return assembleImage(input, config, options)
}

/** The repository an image goes to under the images destination: `polyship.image.repository`, else the package name without `@`. */
export function imageRepository(project: Pick<Project, 'name' | 'config'>): string {
  return project.config.image?.repository ?? project.name.replace(/^@/, '').toLowerCase()
}
