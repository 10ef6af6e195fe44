import { existsSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { BundleSigner } from '@polyship/attest'
import {
  CoreError,
  parseReleaseRecord,
  RELEASE_RECORD_SCHEMA,
  type RecordedArtifact,
  type RecordedScan,
  type ReleaseRecord,
  type Reporter,
  readReleaseRecord,
  run,
  writeJsonAtomic,
  writeReleaseRecord,
} from '@polyship/core'
import { builtBinaries, goreleaserArtifacts, goreleaserMetadata, previousReleaseTags } from './goreleaser.ts'

/**
 * attest (Sigstore, CycloneDX, ajv) is loaded only where a record's signature is checked or
 * written: `plan`, `status` and reading the record do not pay for it.
 */
const attest = () => import('@polyship/attest')

/** The file beside `release.json` holding the signature over its bytes (attest's `recordSignaturePath`). */
async function signaturePath(recordPath: string): Promise<string> {
  return (await attest()).recordSignaturePath(recordPath)
}

/** The record already in `outDir`, or undefined when there is none. */
export async function previousRecord(outDir: string): Promise<ReleaseRecord | undefined> {
  return readReleaseRecord(join(outDir, 'release.json')).catch((error: unknown) => {
    const missing = (error as CoreError).cause as NodeJS.ErrnoException | undefined
    if (error instanceof CoreError && missing?.code === 'ENOENT') return undefined
    throw error
  })
}

/** The bytes of `path`, or undefined when there is no such file. */
async function bytesOf(path: string): Promise<Buffer | undefined> {
  return readFile(path).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  })
}

/**
 * The record already in `outDir`, checked before a release builds on it (it accumulates
 * that record's entries and signs the result): a record whose signature does not match is
 * refused (ATTEST_RECORD_SIGNATURE_INVALID naming it and the way out), so a record edited by
 * hand is never signed again; one with no signature (written by a polyship that did not
 * sign records) is accepted with a warning to `reporter`, and this release signs it.
 */
export async function trustedPreviousRecord(
  outDir: string,
  signer: BundleSigner,
  reporter?: Reporter,
): Promise<ReleaseRecord | undefined> {
  const recordPath = join(outDir, 'release.json')
  const bytes = await bytesOf(recordPath)
  if (bytes === undefined) return undefined
  const { checkPreviousRecord, recordSignaturePath } = await attest()
  const state = await checkPreviousRecord(recordPath, bytes, signer.ownPolicy)
  const record = await previousRecord(outDir)
  if (state === 'unsigned')
    reporter?.emit({
      type: 'log',
      level: 'warn',
      message: `${recordPath} has no signature (${recordSignaturePath(recordPath)}): a polyship that did not sign release records wrote it; accepted once, this release signs it`,
    })
  return record
}

/**
 * The record in `outDir` when its signature verifies under the signer's own policy (see
 * `trustedPreviousRecord`): what a re-run may answer from without asking the build. Undefined
 * when there is no record or it has no signature (the whole release handles that case); a
 * signature that does not match is ATTEST_RECORD_SIGNATURE_INVALID, as for a release.
 */
export async function signedRecord(outDir: string, signer: BundleSigner): Promise<ReleaseRecord | undefined> {
  const recordPath = join(outDir, 'release.json')
  const bytes = await bytesOf(recordPath)
  if (bytes === undefined) return undefined
  const { checkPreviousRecord } = await attest()
  if ((await checkPreviousRecord(recordPath, bytes, signer.ownPolicy)) !== 'signed') return undefined
  // the bytes the signature covers, not a second read of the file
  return parseReleaseRecord(JSON.parse(bytes.toString('utf8')), recordPath)
}

/** True when `outDir` holds a release record without its signature beside it. */
export async function hasUnsignedRecord(outDir: string): Promise<boolean> {
  const recordPath = join(outDir, 'release.json')
  return existsSync(recordPath) && !existsSync(await signaturePath(recordPath))
}

/**
 * Signs the record in `outDir` when it has no signature (a re-run with nothing to release
 * after upgrading from a polyship that did not sign records), so `polyship verify` accepts
 * it; its bytes stay as they are. A signed record, or none, is left alone and the signer is
 * not resolved. True when it signed.
 */
export async function signUnsignedRecord(
  outDir: string,
  signer: () => Promise<BundleSigner>,
  reporter?: Reporter,
): Promise<boolean> {
  const recordPath = join(outDir, 'release.json')
  const bytes = await bytesOf(recordPath)
  if (bytes === undefined) return false
  const signature = await signaturePath(recordPath)
  if ((await bytesOf(signature)) !== undefined) return false
  await previousRecord(outDir) // a torn record is RECORD_INVALID, not signed
  await writeJsonAtomic(signature, await (await signer()).signBlob(bytes))
  reporter?.emit({
    type: 'log',
    level: 'warn',
    message: `${recordPath} had no signature (a polyship that did not sign release records wrote it): signed it as it is`,
  })
  return true
}

/**
 * GoReleaser's `artifacts.json` (every artifact of the record) and `metadata.json` (this
 * release's projects) beside the record, shaped as in `goreleaser.ts`.
 */
async function writeGoreleaserFiles(
  outDir: string,
  record: ReleaseRecord,
  released: ReleaseRecord['projects'],
  previous: ReleaseRecord | undefined,
  release: { readonly name: string; readonly date: string },
): Promise<void> {
  await writeJsonAtomic(
    join(outDir, 'artifacts.json'),
    goreleaserArtifacts(record.artifacts, basename(outDir), await builtBinaries(outDir, record.artifacts)),
  )
  const tags = await run('git', ['tag', '--list'], { cwd: outDir, timeoutMs: 60_000 }).then(
    (r) => r.stdout.split('\n').filter(Boolean),
    (error: unknown) => {
      if (error instanceof CoreError) return [] // dist/ outside a git repository
      throw error
    },
  )
  // The record's earlier entries stand in for tags a fresh checkout has not fetched.
  const earlier = (previous?.projects ?? []).filter((p) => released.some((r) => r.name === p.name))
  const previousTags = previousReleaseTags(released, [...tags, ...earlier.map((p) => p.tag)])
  const metadata = goreleaserMetadata({
    workspace: release.name,
    projects: released,
    previousTags,
    commit: record.commit ?? '',
    date: release.date,
  })
  await writeJsonAtomic(join(outDir, 'metadata.json'), metadata)
}

/**
 * Writes `dist/release.json` (everything released, with digests, locations and attestation
 * references), and `dist/artifacts.json` and `dist/metadata.json` in GoReleaser's shapes for
 * tooling that reads them.
 * The record accumulates: projects this run did not release keep their earlier entries, so
 * it always says which version of every project was released from which commit.
 * The record is signed last, with the signer of the release's artifacts: the bundle over
 * its exact bytes lands next to it (`release.json.sigstore.json`), and `polyship verify`
 * checks it before trusting anything the record lists. The earlier record is checked
 * first (see `trustedPreviousRecord`).
 */
export async function writeRecords(
  outDir: string,
  content: {
    readonly commit: string
    readonly projects: ReleaseRecord['projects']
    readonly artifacts: readonly RecordedArtifact[]
    readonly scan?: RecordedScan
    /** GoReleaser's `project_name` in metadata.json (default: the directory above outDir). */
    readonly name?: string
    /** metadata.json's `date` (default: the record's createdAt); SOURCE_DATE_EPOCH's in a reproducible run. */
    readonly date?: string
  },
  signer: BundleSigner,
  reporter?: Reporter,
): Promise<ReleaseRecord> {
  const previous = await trustedPreviousRecord(outDir, signer, reporter)
  const now = new Set(content.projects.map((p) => p.name))
  const kept = (previous?.projects ?? [])
    .filter((p) => !now.has(p.name))
    .map((p) => (p.commit === undefined && previous?.commit ? { ...p, commit: previous.commit } : p))
  const record: ReleaseRecord = {
    schema: RELEASE_RECORD_SCHEMA,
    createdAt: new Date().toISOString(),
    ...(content.commit ? { commit: content.commit } : {}),
    projects: [
      ...kept,
      ...content.projects.map((p) => (content.commit ? { ...p, commit: content.commit } : p)),
    ],
    artifacts: [...(previous?.artifacts ?? []).filter((a) => !now.has(a.project)), ...content.artifacts],
    ...(content.scan === undefined ? {} : { scan: content.scan }),
  }
  const recordPath = join(outDir, 'release.json')
  const signature = await signaturePath(recordPath)
  // The old signature goes first: a run killed before the new one is written leaves an
  // unsigned record (accepted once, signed by the next run), never a record and a
  // signature that do not match (refused as edited).
  await rm(signature, { force: true })
  await writeReleaseRecord(recordPath, record)
  await writeJsonAtomic(signature, await signer.signBlob(await readFile(recordPath)))
  await writeGoreleaserFiles(outDir, record, content.projects, previous, {
    name: content.name ?? basename(dirname(outDir)),
    date: content.date ?? record.createdAt,
  })
  return record
}
