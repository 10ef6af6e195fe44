import type { Digest } from '@polyship/core'
import { isManifestMediaType, MEDIA_TYPES, type OciStore } from '@polyship/oci'
import type { AttestationStore, OciDescriptor } from './referrers.ts'

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of stream) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/**
 * An OCI store (registry repository or image layout) as the place for attestations:
 * referrers go through its referrers API or `sha256-<hex>` tag fallback.
 */
export function attestationStore(store: OciStore): AttestationStore {
  return {
    location: store.location,
    async attach(referrers) {
      const blobs = new Map(referrers.flatMap((r) => r.blobs).map((b) => [b.descriptor.digest, b]))
      await Promise.all([...blobs.values()].map((blob) => store.pushBlob(blob.descriptor, blob.bytes)))
      // issued together: the store lists them in this order and can update its index once
      const outcomes = await Promise.all(
        referrers.map((r) => store.attachReferrer({ bytes: r.manifest, mediaType: MEDIA_TYPES.ociManifest })),
      )
      return outcomes.map((outcome) => ({ digest: outcome.descriptor.digest, added: outcome.added }))
    },
    list: (subject: Digest, artifactType: string): Promise<OciDescriptor[]> =>
      store.listReferrers(subject, artifactType),
    async fetch(descriptor) {
      if (isManifestMediaType(descriptor.mediaType)) {
        return (await store.getManifest(descriptor.digest)).bytes
      }
      return collect(await store.fetchBlob(descriptor))
    },
  }
}
