import { createHash, type KeyObject, verify as verifySignature, X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { type Digest, isPolyshipError, type RecordedArtifact, type ReleaseRecord } from '@polyship/core'
import { type Descriptor, MEDIA_TYPES, type OciStore, versionTag } from '@polyship/oci'
import { assertBundle, type Bundle, bundleFromJSON } from '@sigstore/bundle'
import { FILE_SUFFIXES } from '../attach/files.ts'
import { attestationStore } from '../attach/oci-store.ts'
import { AttestError } from '../errors.ts'
import { verifyBundle } from './bundle.ts'
import { type CheckResult, expectationsFor, runCheck } from './checks.ts'
import { verifyOciContent, verifyOciTag } from './content.ts'
import { verifyFile } from './file.ts'
import { verifyImage } from './image.ts'
import { describeKey, type VerificationPolicy } from './policy.ts'

/**
 * Where a recorded artifact can be checked: a local file, or a repository (registry or
 * layout) holding its manifest; `reference` names it in messages (`oci-layout:dist/oci/app@sha256:…`).
 */
export type ArtifactLocation =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'oci'; readonly store: OciStore; readonly reference: string }

/** Finds a recorded artifact (the release app knows registries and layouts); undefined when unreachable. */
export type ArtifactLocator = (
  artifact: RecordedArtifact,
  recordDir: string,
) => Promise<ArtifactLocation | undefined>

/** More checks of a located artifact, by the caller (the release app checks package index pages). */
export type ArtifactCheck = (
  artifact: RecordedArtifact,
  location: ArtifactLocation,
  name: string,
) => Promise<readonly CheckResult[]>

export interface RecordVerifyOptions {
  readonly check?: ArtifactCheck
}

/** Kinds that are attestations themselves, not verified on their own. */
const ATTESTATION_KINDS = new Set(['signature', 'sbom', 'provenance'])

/** The file next to `release.json` holding the Sigstore bundle over its bytes. */
export function recordSignaturePath(recordPath: string): string {
  return `${recordPath}${FILE_SUFFIXES.signature}`
}

export function artifactName(artifact: RecordedArtifact): string {
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
 * Checks the signature over the release record's exact bytes (`release.json.sigstore.json`
 * next to it) under `policy`: what a release signs last, and what verify checks first, so
 * a record edited by hand (a digest, a location, a platform) fails before anything it
 * lists is trusted. Throws ATTEST_RECORD_UNSIGNED or ATTEST_RECORD_SIGNATURE_INVALID.
 */
export async function verifyRecordSignature(
  recordPath: string,
  bytes: Uint8Array,
  policy: VerificationPolicy,
): Promise<string> {
  const bundlePath = recordSignaturePath(recordPath)
  let json: unknown
  try {
    json = JSON.parse(await readFile(bundlePath, 'utf8'))
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT'
    if (!missing && !(cause instanceof SyntaxError)) throw cause
    throw new AttestError(
      missing ? 'ATTEST_RECORD_UNSIGNED' : 'ATTEST_RECORD_SIGNATURE_INVALID',
      missing
        ? `${recordPath} is not signed: ${bundlePath} does not exist, so nothing it lists can be trusted`
        : `${bundlePath}: not JSON`,
      {
        hint: missing
          ? '`polyship release` writes the signature beside the record: restore both from the release. A record written before polyship signed records has none: run `polyship release` again, which signs it (with nothing to release, it only signs the record)'
          : 'restore release.json.sigstore.json from the release, or re-run `polyship release` to rewrite and sign the record',
        cause,
      },
    )
  }
  try {
    return verifyBundle(json, policy, { artifact: bytes, where: bundlePath }).signer
  } catch (error) {
    if (!(error instanceof AttestError)) throw error
    throw new AttestError(
      'ATTEST_RECORD_SIGNATURE_INVALID',
      `${recordPath} does not match its signature (${error.code}: ${error.message}); it was edited after the release or signed by someone else`,
      {
        hint: 'do not edit release.json by hand: restore it from the release, or re-run `polyship release` to rewrite and sign it',
        cause: error,
      },
    )
  }
}

/**
 * Before a release builds on the record already in its outDir (it accumulates the earlier
 * releases' entries and signs the result), the record must be what a release signed:
 * `'signed'` when its signature verifies under `ownPolicy` (the signer's own key), or, for
 * a signer with no offline policy (keyless), when the bundle's signature and certificate
 * match the record's bytes; `'unsigned'` when there is no signature at all (a record from a
 * polyship that did not sign records). Throws ATTEST_RECORD_SIGNATURE_INVALID naming the
 * file and the way out when a signature is there and does not match: a record edited by
 * hand is never signed again.
 */
export async function checkPreviousRecord(
  recordPath: string,
  bytes: Uint8Array,
  ownPolicy: VerificationPolicy | undefined,
): Promise<'signed' | 'unsigned'> {
  const bundlePath = recordSignaturePath(recordPath)
  const refuse = (detail: string, cause?: unknown) =>
    new AttestError(
      'ATTEST_RECORD_SIGNATURE_INVALID',
      `${recordPath} does not match its signature ${bundlePath} (${detail}): it was edited after the last release signed it${ownPolicy?.mode === 'key' ? `, or signed with a key other than ${ownPolicy.keys.map(describeKey).join(', ')}` : ''}; polyship does not sign a record it cannot trust`,
      {
        hint: `restore both files from the last release (its record is published with it, e.g. CI artifacts or release assets), or move them aside (mv ${recordPath} ${recordPath}.untrusted; mv ${bundlePath} ${bundlePath}.untrusted) to start a new record; nothing is published until then`,
        ...(cause === undefined ? {} : { cause }),
      },
    )
  if (ownPolicy !== undefined) {
    try {
      await verifyRecordSignature(recordPath, bytes, ownPolicy)
      return 'signed'
    } catch (error) {
      if (!(error instanceof AttestError)) throw error
      if (error.code === 'ATTEST_RECORD_UNSIGNED') return 'unsigned'
      const inner = error.cause instanceof AttestError ? error.cause : error
      throw refuse(inner === error ? error.message : `${inner.code}: ${inner.message}`, error)
    }
  }
  let json: unknown
  try {
    json = JSON.parse(await readFile(bundlePath, 'utf8'))
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return 'unsigned'
    if (cause instanceof SyntaxError) throw refuse('the signature is not JSON', cause)
    throw cause
  }
  const problem = selfConsistency(json, bytes)
  if (problem !== undefined) throw refuse(problem)
  return 'signed'
}

/**
 * Why a message-signature bundle does not sign `bytes` with the key or certificate it
 * carries (undefined when it does): the offline part of a keyless verification.
 */
function selfConsistency(json: unknown, bytes: Uint8Array): string | undefined {
  let bundle: Bundle
  try {
    bundle = bundleFromJSON(json)
    assertBundle(bundle)
  } catch (cause) {
    return `not a Sigstore bundle: ${(cause as Error).message}`
  }
  if (bundle.content.$case !== 'messageSignature') return 'not a message signature'
  const { messageDigest, signature } = bundle.content.messageSignature
  const actual = createHash('sha256').update(bytes).digest()
  if (messageDigest !== undefined && !Buffer.from(messageDigest.digest).equals(actual))
    return `the record's sha256 ${actual.toString('hex')} is not the signed one ${Buffer.from(messageDigest.digest).toString('hex')}`
  const material = bundle.verificationMaterial.content
  const der =
    material.$case === 'certificate'
      ? material.certificate.rawBytes
      : material.$case === 'x509CertificateChain'
        ? material.x509CertificateChain.certificates[0]?.rawBytes
        : undefined
  if (der === undefined) return 'the signature carries no certificate'
  let key: KeyObject
  try {
    key = new X509Certificate(Buffer.from(der)).publicKey
  } catch (cause) {
    return `its certificate does not parse: ${(cause as Error).message}`
  }
  return verifySignature('sha256', bytes, key, Buffer.from(signature))
    ? undefined
    : "the signature does not verify with its certificate's key"
}

/** `<hex>  <name>` lines of a checksums file (sha256sum's text and binary forms). */
function checksumLines(text: string): { digest: Digest; name: string }[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trimEnd())
      if (match === null)
        throw new AttestError(
          'ATTEST_CHECKSUMS_MISMATCH',
          `line "${line.slice(0, 80)}" is not "<sha256>  <file>"`,
        )
      return { digest: `sha256:${match[1]}` as Digest, name: match[2]! }
    })
}

/**
 * A checksums file must list exactly the recorded archives of its project version, each
 * with its recorded digest: a file swapped on both sides of a checksums line fails here.
 */
async function checkChecksums(
  path: string,
  artifact: RecordedArtifact,
  record: ReleaseRecord,
  name: string,
): Promise<CheckResult> {
  return runCheck(name, 'content', async () => {
    const lines = checksumLines(await readFile(path, 'utf8'))
    const siblings = record.artifacts.filter(
      (a) => a.project === artifact.project && a.version === artifact.version && a.kind === 'archive',
    )
    const problems: string[] = []
    for (const line of lines) {
      const recorded = siblings.find((a) => a.name === line.name)
      if (recorded === undefined) problems.push(`${line.name} is not an archive of this release`)
      else if (recorded.digest !== line.digest)
        problems.push(
          `${line.name} is listed with ${line.digest}, the release recorded ${recorded.digest}${recorded.platform ? ` (${recorded.platform})` : ''}`,
        )
    }
    for (const sibling of siblings)
      if (!lines.some((l) => l.name === sibling.name)) problems.push(`${sibling.name} is not listed`)
    if (problems.length > 0) {
      throw new AttestError('ATTEST_CHECKSUMS_MISMATCH', `${path}: ${problems.join('; ')}`, {
        hint: 'the checksums file or the archives changed after the release; restore them from the destination',
      })
    }
    return `${lines.length} archive(s) listed with their recorded digests`
  })
}

/** The recorded descriptor of an image or chart (the record is signed; the store is not trusted). */
async function recordedDescriptor(artifact: RecordedArtifact, store: OciStore): Promise<Descriptor> {
  if (artifact.mediaType !== undefined)
    return { mediaType: artifact.mediaType, digest: artifact.digest, size: artifact.size }
  const resolved = await store.resolve(artifact.digest).catch((error: unknown) => {
    if (isPolyshipError(error)) return undefined
    throw error
  })
  return (
    resolved ?? {
      mediaType: artifact.kind === 'image-index' ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest,
      digest: artifact.digest,
      size: artifact.size,
    }
  )
}

/**
 * Verifies every artifact of a release record, with bundle locations from the record
 * (relative to `recordDir`). Images and charts: every manifest and blob re-hashed, the
 * version tag pointing at the recorded digest, then signature, provenance and SBOM. Files:
 * the recorded digest (a file holding another artifact's bytes says whose), a checksums
 * file's lines, then the attestations. Artifacts the locator cannot reach fail with
 * ATTEST_INPUT_INVALID rather than being skipped silently. Call verifyRecordSignature first.
 */
export async function verifyRecord(
  record: ReleaseRecord,
  recordDir: string,
  policy: VerificationPolicy,
  locate: ArtifactLocator,
  options: RecordVerifyOptions = {},
): Promise<CheckResult[]> {
  const results: CheckResult[] = []
  const recordedAs = (self: RecordedArtifact) => (digest: Digest) => {
    const other = record.artifacts.find((a) => a !== self && a.digest === digest)
    return other === undefined ? undefined : artifactName(other)
  }
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
      const subject = await recordedDescriptor(artifact, location.store)
      const reference = `${location.reference} (${artifact.project} ${artifact.version})`
      results.push(...(await verifyOciContent(location.store, subject, { name, reference })))
      results.push(
        await verifyOciTag(location.store, {
          tag: versionTag(artifact.version),
          digest: artifact.digest,
          name,
        }),
      )
      results.push(
        ...(await verifyImage(subject, attestationStore(location.store), policy, { name, expect })),
      )
      if (options.check) results.push(...(await options.check(artifact, location, name)))
      continue
    }
    const bundles: { signature?: string; sbom?: string; provenance?: string } = {}
    for (const key of ['signature', 'sbom', 'provenance'] as const) {
      const ref = artifact[key]
      if (ref !== undefined) bundles[key] = inRecordDir(ref.location, recordDir)
    }
    const checked = await verifyFile(location.path, policy, {
      name,
      digest: artifact.digest,
      bundles,
      expect,
      recordedAs: recordedAs(artifact),
    })
    const digestRow = checked.find((r) => r.check === 'digest')
    results.push(...(digestRow === undefined ? [] : [digestRow]))
    if (artifact.kind === 'checksums' && digestRow?.status === 'passed')
      results.push(await checkChecksums(location.path, artifact, record, name))
    if (options.check) results.push(...(await options.check(artifact, location, name)))
    results.push(...checked.filter((r) => r !== digestRow))
  }
  return results
}
