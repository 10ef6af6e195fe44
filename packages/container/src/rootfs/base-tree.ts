import type { Reporter } from '@polyship/core'
import type { Descriptor, OciStore } from '@polyship/oci'
import type { TreeLayer } from './checks.ts'
import { layerTar, scanTar } from './tar-scan.ts'

const CAPTURED = new Set(['etc/passwd', 'etc/group'])

/**
 * Lists a base image's layers (streamed from its store, decompressed, never extracted),
 * keeping /etc/passwd and /etc/group, for checks our own layers cannot answer.
 */
export function baseTreeLoader(
  store: OciStore,
  layers: readonly Descriptor[],
  options: { readonly name: string; readonly reporter: Reporter },
): () => Promise<TreeLayer[]> {
  return async () => {
    options.reporter.emit({
      type: 'log',
      level: 'debug',
      message: `listing ${layers.length} layers of base ${options.name} to check the entrypoint and user`,
    })
    const out: TreeLayer[] = []
    for (const layer of layers) {
      const scanned = await scanTar(layerTar(await store.fetchBlob(layer), layer.mediaType), (path) =>
        CAPTURED.has(path),
      )
      const contents = new Map(
        [...scanned.contents].map(([path, bytes]) => [path, async () => bytes] as const),
      )
      out.push({ entries: scanned.entries, contents })
    }
    return out
  }
}
