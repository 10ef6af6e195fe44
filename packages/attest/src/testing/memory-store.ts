import { type Digest, sha256 } from '@polyship/core'
import type { AttestationStore, OciDescriptor, ReferrerArtifact } from '../attach/referrers.ts'

/**
 * An in-memory AttestationStore (a fake registry repository) for tests that need no real
 * registry; `blobs` is exposed so tests can damage stored content.
 */
export function memoryAttestationStore(location = 'memory.test/repo'): AttestationStore & {
  readonly blobs: Map<Digest, Uint8Array>
} {
  const blobs = new Map<Digest, Uint8Array>()
  const referrers = new Map<Digest, OciDescriptor[]>()
  return {
    location,
    blobs,
    async attach(artifacts: readonly ReferrerArtifact[]) {
      return artifacts.map(attachOne)
    },
    async list(subject, artifactType) {
      return (referrers.get(subject) ?? []).filter((d) => d.artifactType === artifactType)
    },
    async fetch(descriptor) {
      const bytes = blobs.get(descriptor.digest)
      if (bytes === undefined) throw new Error(`memory store: no blob ${descriptor.digest}`)
      return bytes
    },
  }

  function attachOne(referrer: ReferrerArtifact) {
    for (const blob of referrer.blobs) blobs.set(blob.descriptor.digest, blob.bytes)
    const digest = sha256(referrer.manifest)
    const manifest = JSON.parse(Buffer.from(referrer.manifest).toString('utf8')) as {
      mediaType: string
      artifactType?: string
      subject: OciDescriptor
      annotations?: Record<string, string>
    }
    const list = referrers.get(manifest.subject.digest) ?? []
    const added = !blobs.has(digest)
    blobs.set(digest, referrer.manifest)
    if (added) {
      list.push({
        mediaType: manifest.mediaType,
        digest,
        size: referrer.manifest.length,
        ...(manifest.artifactType === undefined ? {} : { artifactType: manifest.artifactType }),
        ...(manifest.annotations === undefined ? {} : { annotations: manifest.annotations }),
      })
    }
    referrers.set(manifest.subject.digest, list)
    return { digest, added }
  }
}
