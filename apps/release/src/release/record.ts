import { join } from 'node:path'
import {
  RELEASE_RECORD_SCHEMA,
  type RecordedArtifact,
  type ReleaseRecord,
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

/**
 * Writes `dist/release.json` (everything released, with digests, locations and attestation
 * references) and `dist/artifacts.json` in GoReleaser's shape for tooling that reads it.
 */
export async function writeRecords(
  outDir: string,
  content: {
    readonly commit: string
    readonly projects: ReleaseRecord['projects']
    readonly artifacts: readonly RecordedArtifact[]
  },
): Promise<ReleaseRecord> {
  const record: ReleaseRecord = {
    schema: RELEASE_RECORD_SCHEMA,
    createdAt: new Date().toISOString(),
    ...(content.commit ? { commit: content.commit } : {}),
    projects: content.projects,
    artifacts: content.artifacts,
  }
  await writeReleaseRecord(join(outDir, 'release.json'), record)
  await writeJsonAtomic(
    join(outDir, 'artifacts.json'),
    content.artifacts.map((a) => {
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
