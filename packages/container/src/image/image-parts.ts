import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Digest, Platform, Reporter } from '@polyship/core'
import { blobSourceOf, RegistryClient } from '@polyship/oci'
import type { PlatformBase, ResolvedBase } from '../base/resolve-base.ts'
import type { BuildImageOptions } from './assemble.ts'
import { type BuiltImage, disposerOf, type ImageBlob } from './built-image.ts'
import { type ComposedManifest, composeIndex, composeManifest } from './compose.ts'
import type { BuiltLayer } from './layers.ts'
import type { runtimeConfig } from './runtime.ts'

/**
 * What every assembled image (binaries, wheels, Node servers) does once its layers and
 * runtime config are known for a platform: compose the platform's config and manifest, and
 * collect the blobs to push (the base's layers, streamed from the base's store; ours, from
 * the build's temp files; the config), unique by digest in push order. `finish` composes
 * the index over the platforms.
 */
export class ImageParts {
  readonly #base: ResolvedBase
  readonly #created: string
  readonly #annotations: Readonly<Record<string, string>>
  readonly #manifests: ComposedManifest[] = []
  readonly #blobs = new Map<Digest, ImageBlob>()

  constructor(base: ResolvedBase, created: string, annotations: Readonly<Record<string, string>>) {
    this.#base = base
    this.#created = created
    this.#annotations = annotations
  }

  get baseName(): string | undefined {
    return this.#base.kind === 'image' ? this.#base.name : undefined
  }

  addPlatform(
    platform: Platform,
    platformBase: PlatformBase | undefined,
    layers: readonly BuiltLayer[],
    runtime: ReturnType<typeof runtimeConfig>,
  ): void {
    const composed = composeManifest({
      platform,
      base: platformBase,
      baseName: this.baseName,
      layers: layers.map((l) => l.layer),
      runtime,
      created: this.#created,
      annotations: this.#annotations,
    })
    this.#manifests.push(composed)
    const base = this.#base
    if (base.kind === 'image' && platformBase !== undefined) {
      for (const layer of platformBase.layers)
        this.#blobs.set(layer.digest, {
          descriptor: layer,
          source: blobSourceOf(base.store, layer),
          origin: base.store,
        })
    }
    for (const { layer } of layers)
      this.#blobs.set(layer.descriptor.digest, { descriptor: layer.descriptor, source: { path: layer.file } })
    this.#blobs.set(composed.config.descriptor.digest, {
      descriptor: composed.config.descriptor,
      source: composed.config.bytes,
    })
  }

  /** The index over every platform added, reported done for `project`. */
  finish(project: string, reporter: Reporter, dispose: () => Promise<void>): BuiltImage {
    const baseName = this.baseName
    const annotations = {
      ...this.#annotations,
      ...(baseName === undefined ? {} : { 'org.opencontainers.image.base.name': baseName }),
    }
    const index = composeIndex(this.#manifests, annotations)
    reporter.emit({ type: 'step', project, step: 'image', status: 'done' })
    return {
      index,
      manifests: this.#manifests.map((m) => ({
        platform: m.platform,
        descriptor: m.descriptor,
        content: m.content,
        ...(m.base === undefined ? {} : { base: m.base }),
      })),
      blobs: [...this.#blobs.values()],
      annotations,
      backend: 'assembled',
      dispose,
    }
  }
}

/**
 * The base text to parse and the directory its `oci:` path is relative to: a release-level
 * replacement by name (relative to the workspace), else the alias the image kind defines
 * (`python` for wheel images, `node` for Node servers: relative to the project), else the
 * base as configured.
 */
export function baseTextOf(
  base: string,
  alias: { readonly name: string; readonly text: string; readonly field: string },
  input: {
    readonly bases?: Readonly<Record<string, string>>
    readonly workspaceRoot?: string
    readonly project: { readonly root: string }
  },
): { readonly text: string; readonly baseDir: string; readonly field: string } {
  const override = input.bases?.[base]
  if (override !== undefined)
    return {
      text: override,
      baseDir: input.workspaceRoot ?? input.project.root,
      field: `release bases.${base}`,
    }
  if (base === alias.name) return { text: alias.text, baseDir: input.project.root, field: alias.field }
  return { text: base, baseDir: input.project.root, field: 'polyship.image.base' }
}

/**
 * An image build's temp directory and registry client, and the one `dispose` that removes
 * the directory and closes the client when the build made it (a client made here serves
 * the base's blobs until the image is published).
 */
export async function imageWorkspace(
  options: Pick<BuildImageOptions, 'client' | 'tmpDir'>,
  prefix: string,
): Promise<{
  readonly work: string
  readonly client: RegistryClient
  readonly dispose: () => Promise<void>
}> {
  const work = await mkdtemp(join(options.tmpDir ?? tmpdir(), prefix))
  const client = options.client ?? new RegistryClient()
  const removeWork = disposerOf(work)
  const dispose = async () => {
    if (options.client === undefined) client.close()
    await removeWork()
  }
  return { work, client, dispose }
}
