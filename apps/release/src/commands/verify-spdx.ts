import { readFile } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { type ArtifactCheck, AttestError, FILE_SUFFIXES, runCheck } from '@polyship/attest'
import { CoreError, isPolyshipError, sha256 } from '@polyship/core'

/**
 * The SPDX attestation a (signed) record pins for an artifact must be there with the
 * recorded digest: `<file>.spdx.sigstore.json` for files (its signature, subject and SPDX
 * validity are the file check's `spdx` row, which reads it beside the file), the referrer
 * manifest listed under the image or chart (checked like the others by the image check).
 * A record written before SPDX was recorded pins none: nothing to check here. Record
 * locations are relative to `recordDir`.
 */
export function recordedSpdxCheck(recordDir: string): ArtifactCheck {
  return async (artifact, location, name) => {
    const ref = artifact.spdx
    if (ref === undefined) return []
    if (location.kind === 'file') {
      const path = isAbsolute(ref.location) ? ref.location : join(recordDir, ref.location)
      const beside = `${location.path}${FILE_SUFFIXES.spdxAttestation}`
      return [
        await runCheck(name, 'spdx', async () => {
          const bytes = await readFile(path).catch((cause: unknown) => {
            if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause
            throw new AttestError(
              'ATTEST_SBOM_MISSING',
              `SPDX SBOM attestation ${path} is missing; the release record lists it for ${name}`,
              { hint: 'restore it from the destination, or release again to rewrite it', cause },
            )
          })
          const digest = sha256(bytes)
          if (digest !== ref.digest)
            throw new CoreError(
              'DIGEST_MISMATCH',
              `${path} has ${digest}, the release recorded ${ref.digest} for the SPDX SBOM of ${name}`,
              { hint: 'the SPDX attestation changed after the release; restore it from the destination' },
            )
          return path === beside
            ? `the recorded SPDX attestation (${digest})`
            : `the recorded SPDX attestation ${ref.location} (${digest})`
        }),
      ]
    }
    return [
      await runCheck(name, 'spdx', async () => {
        const listed = await location.store.listReferrers(artifact.digest)
        if (!listed.some((d) => d.digest === ref.digest))
          throw new AttestError(
            'ATTEST_SBOM_MISSING',
            `${location.reference}: the SPDX SBOM referrer ${ref.digest} the release recorded is not among its referrers`,
            { hint: 'the referrer was deleted or replaced after the release; release again to attach it' },
          )
        const manifest = await location.store.getManifest(ref.digest).catch((error: unknown) => {
          if (!isPolyshipError(error)) throw error
          throw new AttestError(
            'ATTEST_SBOM_MISSING',
            `${location.reference}: the SPDX SBOM referrer ${ref.digest} cannot be read (${error.message})`,
            { cause: error },
          )
        })
        const digest = sha256(manifest.bytes)
        if (digest !== ref.digest)
          throw new CoreError(
            'DIGEST_MISMATCH',
            `${location.reference}: the SPDX SBOM referrer stored as ${ref.digest} has ${digest}`,
            { hint: 'the referrer changed after the release; restore it, or release again' },
          )
        return `the recorded SPDX referrer (${digest})`
      }),
    ]
  }
}
