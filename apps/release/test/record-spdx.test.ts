import { parseReleaseRecord, RELEASE_RECORD_SCHEMA, type RecordedArtifact } from '@polyship/core'
import { describe, expect, it } from 'vitest'
import { recordedSpdxCheck } from '../src/commands/verify-spdx.ts'

const digest = `sha256:${'a'.repeat(64)}` as const
const archive: RecordedArtifact = {
  kind: 'archive',
  name: 'app_0.1.0_linux_amd64.tar.gz',
  project: 'app',
  version: '0.1.0',
  digest,
  size: 1,
  locations: ['assets/app_0.1.0_linux_amd64.tar.gz'],
  signature: { location: 'assets/app_0.1.0_linux_amd64.tar.gz.sigstore.json', digest },
}
const record = (artifacts: unknown[]) => ({
  schema: RELEASE_RECORD_SCHEMA,
  createdAt: '2026-01-01T00:00:00.000Z',
  projects: [],
  artifacts,
})

describe('the spdx entry of a release record', () => {
  it('is optional: a record written before SPDX was recorded parses, and its artifacts have no SPDX row', async () => {
    const parsed = parseReleaseRecord(record([archive]), 'release.json')
    expect(parsed.artifacts[0]?.spdx).toBeUndefined()
    const rows = await recordedSpdxCheck('/nonexistent')(
      parsed.artifacts[0]!,
      { kind: 'file', path: '/nonexistent/assets/app_0.1.0_linux_amd64.tar.gz' },
      archive.name,
    )
    expect(rows).toEqual([])
  })

  it('when present, needs a location and a sha256 digest (RECORD_INVALID naming the field)', () => {
    expect(() =>
      parseReleaseRecord(
        record([{ ...archive, spdx: { location: 'x.spdx.sigstore.json' } }]),
        'release.json',
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'RECORD_INVALID',
        message: expect.stringContaining('artifacts[0].spdx'),
      }),
    )
  })
})
