import type { ImageConfig } from '@polyship/core'
import { DEFAULT_NODE_BASE } from '../base/base-reference.ts'
import { imagePath } from '../layer/image-path.ts'

/** Where a Node image's package goes and what `node` means for it. */
export interface NodeSettings {
  /** The base `node` stands for. */
  readonly base: string
  /** Absolute image directory of the deployed package (`/app`). */
  readonly dir: string
  /** `polyship.image.node.entry`, relative to the package, when configured. */
  readonly entry?: string
  /** Absolute path of node when configured; otherwise found on the base's PATH. */
  readonly interpreter?: string
}

/** A Node server image: `polyship.image.node` is set, or the base is the `node` alias. */
export function isNodeImage(config: ImageConfig): boolean {
  return config.node !== undefined || config.base === 'node'
}

/**
 * What `node` means for an image: `override` (the release's choice for the `node` alias,
 * e.g. an OCI layout built offline) or `node.base` or `docker.io/library/node:24-slim`.
 */
export function nodeSettings(
  config: ImageConfig['node'],
  options: { readonly override?: string | undefined; readonly where: string },
): NodeSettings {
  const dir = `/${imagePath(config?.dir ?? '/app', `${options.where}.node.dir`)}`
  return {
    base: options.override ?? config?.base ?? DEFAULT_NODE_BASE,
    dir,
    ...(config?.entry === undefined ? {} : { entry: config.entry }),
    ...(config?.interpreter === undefined ? {} : { interpreter: config.interpreter }),
  }
}
