import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type BundleSigner, recordSignaturePath } from '@polyship/attest'
import {
  CoreError,
  RELEASE_RECORD_SCHEMA,
  type RecordedArtifact,
  type ReleaseRecord,
  readReleaseRecord,
  writeJsonAtomic,
  writeReleaseRecord,
} from '@polyship/core'

const GORELEASER_TYPES: Record<string, string> = {
  archive: 'Archive',
  checksums: 'Checksum',
  wheel: 'Wheel',
  sdist: 'Source',
  'image-index': 'Docker Manifest',
  chart: 'Helm Chart',
}

/** The record already in `outDir`, or undefined when there is none. */
export async function previousRecord(outDir: string): Promise<ReleaseRecord | undefined> {
  return readReleaseRecord(join(outDir, 'release.json')).catch((error: unknown) => {
    const missing = (error as CoreError).cause as NodeJS.ErrnoException | undefined
    if (error instanceof CoreError && missing?.code === 'ENOENT') return undefined
    throw error
  })
}

/**
 * Writes `dist/release.json` (everything released, with digests, locations and attestation
 * references) and `dist/artifacts.json` in GoReleaser's shape for tooling that reads it.
 * The record accumulates: projects this run did not release keep their earlier entries, so
 * it always says which version of every project was released from which commit.
 * The record is signed last, with the signer of the release's artifacts: the bundle over
 * its exact bytes lands next to it (`release.json.sigstore.json`), and `polyship verify`
 * checks it before trusting anything the record lists.
 */
export async function writeRecords(
  outDir: string,
  content: {
    readonly commit: string
    readonly projects: ReleaseRecord['projects']
    readonly artifacts: readonly RecordedArtifact[]
  },
  signer: BundleSigner,
): Promise<ReleaseRecord> {
  const previous = await previousRecord(outDir)
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
  }
  const recordPath = join(outDir, 'release.json')
  await writeReleaseRecord(recordPath, record)
  await writeJsonAtomic(recordSignaturePath(recordPath), await signer.signBlob(await readFile(recordPath)))
  await writeJsonAtomic(
    join(outDir, 'artifacts.json'),
    record.artifacts.map((a) => {
      const [goos, goarch] = (a.platform ?? '').split('/')
      return {
        name: a.name,
        path: a.locations[0] ?? '',
        ...(goos ? { goos, goarch } : {}),
        type: GORELEASER_TYPES[a.kind] ?? a.kind,
        extra: { Digest: a.digest, Project: a.project, Version: a.version, Size: a.size },
      }
    }),
  )
  return record
}
