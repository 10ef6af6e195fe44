import { readFile } from 'node:fs/promises'
import type { ArtifactKind } from './artifact.ts'
import { type Digest, isDigest } from './digest.ts'
import { CoreError } from './errors.ts'
import { writeFileAtomic } from './fs/write-atomic.ts'
import { assertNoSecrets } from './redact.ts'

export const RELEASE_RECORD_SCHEMA = 'https://polyship.dev/release-record/v1'

/** A reference from an artifact to one of its attestations. */
export interface AttestationRef {
  /** Where it is: a path relative to the record's directory, or an OCI reference by digest. */
  readonly location: string
  readonly digest: Digest
}

export interface RecordedArtifact {
  readonly kind: ArtifactKind
  readonly name: string
  readonly project: string
  readonly version: string
  readonly platform?: string
  readonly digest: Digest
  readonly size: number
  readonly mediaType?: string
  /** Where the artifact was published: file paths, `oci-layout:dir@digest`, registry refs, URLs. */
  readonly locations: readonly string[]
  readonly signature?: AttestationRef
  readonly sbom?: AttestationRef
  /**
   * The SPDX SBOM attestation: `<file>.spdx.sigstore.json` for files, the referrer manifest
   * for images and charts. Absent in records written before SPDX was recorded.
   */
  readonly spdx?: AttestationRef
  readonly provenance?: AttestationRef
}

export interface RecordedProject {
  readonly name: string
  readonly version: string
  /** `<name>@<version>`, the git tag written last. */
  readonly tag: string
  /** The commit this version was released from (records accumulate across releases). */
  readonly commit?: string
  /**
   * Where this version was released, one `<format>=<destination>` per format
   * (`image=ghcr.io/acme`): a version released to one destination is not released to another.
   */
  readonly destinations?: readonly string[]
  /** Go's own tags written beside `tag` (`services/foo/v1.2.0`), so `go install module@vX.Y.Z` resolves. */
  readonly goTags?: readonly string[]
}

/**
 * The vulnerability gate's verdict on this run's SBOMs: `passed` (nothing at or above
 * `failOn` outside `ignore`; `findings` counts what was below it or ignored), `skipped`
 * (`--skip scan`) or `not-configured` (no `scan` in polyship.json).
 */
export type RecordedScan =
  | {
      readonly status: 'passed'
      readonly scanner: string
      readonly database: string
      readonly failOn: string
      readonly findings: number
    }
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'not-configured' }

/** `dist/release.json`: everything one release produced and where it went. */
export interface ReleaseRecord {
  readonly schema: typeof RELEASE_RECORD_SCHEMA
  readonly createdAt: string
  readonly commit?: string
  readonly projects: readonly RecordedProject[]
  readonly artifacts: readonly RecordedArtifact[]
  /** The vulnerability scan of this run's SBOMs (records before the gate have none). */
  readonly scan?: RecordedScan
}

/** Validates a parsed release record; `file` names the source in errors. */
export function parseReleaseRecord(value: unknown, file: string): ReleaseRecord {
  const fail = (what: string): never => {
    throw new CoreError('RECORD_INVALID', `${file}: ${what}`, {
      hint: 'release records are written by `polyship release`; regenerate it rather than editing by hand',
    })
  }
  if (typeof value !== 'object' || value === null) return fail('not a JSON object')
  const record = value as Partial<ReleaseRecord>
  if (record.schema !== RELEASE_RECORD_SCHEMA) fail(`schema must be "${RELEASE_RECORD_SCHEMA}"`)
  if (!Array.isArray(record.artifacts)) fail('artifacts must be an array')
  if (!Array.isArray(record.projects)) fail('projects must be an array')
  record.artifacts!.forEach((artifact, i) => {
    if (!isDigest(artifact?.digest)) fail(`artifacts[${i}].digest is not a sha256 digest`)
    if (typeof artifact.name !== 'string' || artifact.name === '') fail(`artifacts[${i}].name is missing`)
    if (!Array.isArray(artifact.locations)) fail(`artifacts[${i}].locations must be an array`)
    if (
      artifact.spdx !== undefined &&
      (typeof artifact.spdx?.location !== 'string' || !isDigest(artifact.spdx?.digest))
    )
      fail(`artifacts[${i}].spdx needs a location and a sha256 digest`)
  })
  return record as ReleaseRecord
}

export async function readReleaseRecord(file: string): Promise<ReleaseRecord> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new CoreError('RECORD_INVALID', `cannot read release record ${file}`, {
      hint: 'run `polyship release` first, or pass the path of an existing dist/release.json',
      cause,
    })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new CoreError('RECORD_INVALID', `${file}: not valid JSON: the record is truncated or was edited`, {
      hint: 'nothing in it can be trusted: run `polyship release` again to rewrite it from the destinations, or restore it from the release (the GitHub release or registry it was published to)',
      cause,
    })
  }
  return parseReleaseRecord(json, file)
}

/** Writes the record atomically (temp file + rename), keys in a stable order. */
export async function writeReleaseRecord(file: string, record: ReleaseRecord): Promise<void> {
  await writeJsonAtomic(file, record)
}

/**
 * Writes JSON with a trailing newline through a temp file and rename, so readers never see a
 * torn file. Refuses (SECRET_IN_OUTPUT) JSON holding a credential polyship read or a URL with userinfo.
 */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const text = `${JSON.stringify(value, null, 2)}\n`
  assertNoSecrets(text, file)
  await writeFileAtomic(file, text)
}
