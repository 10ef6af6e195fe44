import { readFile } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { type RecordedArtifact, type ReleaseRecord, sha256 } from '@polyship/core'
import type { CheckResult } from '../verify/checks.ts'
import type { ArtifactCheck } from '../verify/record.ts'
import { GPG_KEYS_MEDIA_TYPE, GPG_SIGNATURE_MEDIA_TYPE, GPG_SIGNATURE_SUFFIX } from './signer.ts'
import { verifyGpgSignature } from './verify.ts'

const local = (location: string | undefined, recordDir: string) =>
  location === undefined || /^https?:\/\//i.test(location)
    ? undefined
    : isAbsolute(location)
      ? location
      : join(recordDir, location)

/**
 * The `polyship verify` check of GPG signatures: for a file the record lists a
 * `<file>.asc` for (same project and version), `gpg --verify` against `publicKey` when
 * given (the verifier's own copy), else against the public key the release recorded,
 * whose bytes must have the digest the signed record gives and whose fingerprint (its
 * name) must be the signer's. Files without a `.asc` get no row.
 */
export function gpgRecordCheck(
  record: ReleaseRecord,
  recordDir: string,
  options: { readonly publicKey?: string } = {},
): ArtifactCheck {
  const entry = (a: RecordedArtifact, mediaType: string, name?: string) =>
    record.artifacts.find(
      (s) =>
        s.kind === 'signature' &&
        s.mediaType === mediaType &&
        s.project === a.project &&
        s.version === a.version &&
        (name === undefined || s.name === name),
    )
  return async (artifact, location, name) => {
    const signature = entry(artifact, GPG_SIGNATURE_MEDIA_TYPE, `${artifact.name}${GPG_SIGNATURE_SUFFIX}`)
    if (signature === undefined || location.kind !== 'file') return []
    const failed = (reason: string): CheckResult[] => [
      { artifact: name, check: 'signature', status: 'failed', code: 'ATTEST_SIGNATURE_INVALID', reason },
    ]
    const signaturePath = local(signature.locations[0], recordDir)
    if (signaturePath === undefined) return failed(`its GPG signature ${signature.name} cannot be reached`)
    const bytes = await readFile(signaturePath).catch(() => undefined)
    if (bytes === undefined || sha256(bytes) !== signature.digest)
      return failed(`its GPG signature ${signaturePath} is missing or not the one the record lists`)
    let publicKey = options.publicKey
    let fingerprint: string | undefined
    if (publicKey === undefined) {
      const key = entry(artifact, GPG_KEYS_MEDIA_TYPE)
      const keyPath = local(key?.locations[0], recordDir)
      const keyBytes = keyPath === undefined ? undefined : await readFile(keyPath).catch(() => undefined)
      if (key === undefined || keyBytes === undefined || sha256(keyBytes) !== key.digest)
        return failed('the GPG public key the release recorded is missing or changed: pass the key to trust')
      publicKey = keyBytes.toString('utf8')
      fingerprint = key.name.slice(0, -GPG_SIGNATURE_SUFFIX.length)
    }
    const verdict = await verifyGpgSignature(location.path, signaturePath, publicKey, {
      ...(fingerprint === undefined ? {} : { fingerprint }),
    })
    return verdict.status === 'valid'
      ? [
          {
            artifact: name,
            check: 'signature',
            status: 'passed',
            detail: `GPG signature ${signature.name} by ${verdict.primaryFingerprint}`,
          },
        ]
      : failed(`its GPG signature ${signature.name}: ${verdict.reason}`)
  }
}
