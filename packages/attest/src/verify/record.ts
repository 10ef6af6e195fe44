import { isAbsolute, join } from 'node:path'
import type { RecordedArtifact, ReleaseRecord } from '@polyship/core'
import type { AttestationStore, OciDescriptor } from '../attach/referrers.ts'
import { type CheckResult, expectationsFor } from './checks.ts'
import { verifyFile } from './file.ts'
import { verifyImage } from './image.ts'
import type { VerificationPolicy } from './policy.ts'

/** Where a recorded artifact can be checked: a local file, or a manifest in a store. */
export type ArtifactLocation =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'oci'; readonly store: AttestationStore; readonly subject: OciDescriptor }

/** Finds a recorded artifact (the release app knows registries and layouts); undefined when unreachable. */
export type ArtifactLocator = (
  artifact: RecordedArtifact,
  recordDir: string,
) => Promise<ArtifactLocation | undefined>

/** Kinds that are attestations themselves, not verified on their own. */
const ATTESTATION_KINDS = new Set(['signature', 'sbom', 'provenance'])

function artifactName(artifact: RecordedArtifact): string {
  return artifact.platform === undefined ? artifact.name : `${artifact.name} (${artifact.platform})`
}

/** Record paths are relative to the record's directory unless absolute. */
function inRecordDir(path: string, recordDir: string): string {
  return isAbsolute(path) ? path : join(recordDir, path)
}

/** A recorded file's first local location, relative to the record's directory. */
export function localFileLocation(artifact: RecordedArtifact, recordDir: string): string | undefined {
  const local = artifact.locations.find((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l) || l.startsWith('file:'))
  if (local === undefined) return undefined
  return inRecordDir(local.replace(/^file:(\/\/)?/, ''), recordDir)
}

/**
 * Verifies every artifact of a release record: its digest, signature, provenance and SBOM,
 * with bundle locations from the record (relative to `recordDir`). Artifacts the locator
 * cannot reach fail with ATTEST_INPUT_INVALID rather than being skipped silently.
 */
export async function verifyRecord(
  record: ReleaseRecord,
  recordDir: string,
  policy: VerificationPolicy,
  locate: ArtifactLocator,
): Promise<CheckResult[]> {
  const results: CheckResult[] = []
  for (const artifact of record.artifacts) {
    if (ATTESTATION_KINDS.has(artifact.kind)) continue
    const name = artifactName(artifact)
    const expect = expectationsFor(artifact.kind)
    const location = await locate(artifact, recordDir)
    if (location === undefined) {
      results.push({
        artifact: name,
        check: 'digest',
        status: 'failed',
        code: 'ATTEST_INPUT_INVALID',
        reason: `none of its locations can be reached: ${artifact.locations.join(', ') || '(none recorded)'}`,
      })
      continue
    }
    if (location.kind === 'oci') {
      results.push(...(await verifyImage(location.subject, location.store, policy, { name, expect })))
      continue
    }
    const bundles: { signature?: string; sbom?: string; provenance?: string } = {}
    for (const key of ['signature', 'sbom', 'provenance'] as const) {
      const ref = artifact[key]
      if (ref !== undefined) bundles[key] = inRecordDir(ref.location, recordDir)
    }
    results.push(
      ...(await verifyFile(location.path, policy, { name, digest: artifact.digest, bundles, expect })),
    )
  }
  return results
}
