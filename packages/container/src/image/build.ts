import { relative } from 'node:path'
import type { Project } from '@polyship/core'
import { dockerfileImage } from '../dockerfile/dockerfile-image.ts'
import { ContainerError } from '../errors.ts'
import { nodeImage } from '../node/node-image.ts'
import { isNodeImage } from '../node/node-settings.ts'
import { assembleImage, type BuildImageOptions, type ImageBuildInput } from './assemble.ts'
import type { BuiltImage } from './built-image.ts'

/**
 * Builds a project's image as `polyship.image` says: assembled without a daemon (the
 * default; a Node server image when `node` is set or the base is `node`), or from its
 * Dockerfile by docker buildx or buildah. Nothing is published; call `publishImage` with
 * the result, then `dispose()` it.
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
  if (isNodeImage(config)) return nodeImage(input, config, options)
  return assembleImage(input, config, options)
}

/** The repository an image goes to under the images destination: `polyship.image.repository`, else the package name without `@`. */
export function imageRepository(project: Pick<Project, 'name' | 'config' | 'manifestPath'>): string {
  const configured = project.config.image?.repository
  const repository = configured ?? project.name.replace(/^@/, '').toLowerCase()
  if (repository.length > 255 || !OCI_REPOSITORY.test(repository)) {
    const field = configured === undefined ? `name "${project.name}"` : 'polyship.image.repository'
    throw new ContainerError(
      'CONTAINER_CONFIG_INVALID',
      `${project.manifestPath}: the image repository "${repository}" (from ${field}) is not an OCI repository name: lowercase letters and digits in components separated by /, joined inside a component by one . or _, __, or dashes (no leading, trailing or doubled dots), at most 255 characters`,
      {
        hint: `set polyship.image.repository to a valid name, e.g. "${suggestedRepository(repository)}"`,
        source: { file: project.manifestPath },
      },
    )
  }
  return repository
}

/** The OCI distribution spec's repository name (`<name>` in /v2/<name>/...). */
const OCI_REPOSITORY = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/

/** A valid name close to `name`: each component's runs of other characters become one dash. */
function suggestedRepository(name: string): string {
  const components = name
    .toLowerCase()
    .split('/')
    .map((c) => c.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, ''))
    .filter((c) => c !== '')
  return components.join('/') || 'app'
}
