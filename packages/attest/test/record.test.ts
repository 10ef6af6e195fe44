import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type ArtifactLocator,
  attestationStore,
  attestFiles,
  attestImage,
  buildSbom,
  type CheckResult,
  keyPolicy,
  keySigner,
  localFileLocation,
  provenanceStatement,
  readPublicKey,
  resolveSigningKey,
  verifyRecord,
} from '@polyship/attest'
import { RELEASE_RECORD_SCHEMA, type RecordedArtifact, type ReleaseRecord, sha256 } from '@polyship/core'
import { LayoutStore } from '@polyship/oci'
import { pushTestImage } from '@polyship/oci/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import { tempDir, testDeps } from './helpers.ts'

const dir = tempDir('record')
let record: ReleaseRecord
let publicKeyPath: string

const locate: ArtifactLocator = async (artifact, recordDir) => {
  if (artifact.kind === 'image' || artifact.kind === 'image-index') {
    const store = new LayoutStore(join(recordDir, 'oci'))
    return { kind: 'oci', store, reference: `oci-layout:oci@${artifact.digest}` }
  }
  const path = localFileLocation(artifact, recordDir)
  return path === undefined ? undefined : { kind: 'file', path }
}

function rows(results: readonly CheckResult[]): string[] {
  return results.map((r) => `${r.artifact} ${r.check} ${r.status === 'passed' ? 'ok' : r.code}`)
}

beforeAll(async () => {
  const resolved = await resolveSigningKey({}, testDeps(join(dir(), 'home')).deps)
  publicKeyPath = resolved.publicKeyPath!
  const signer = keySigner(resolved.key)
  const dist = join(dir(), 'dist')
  await mkdir(join(dist, 'assets'), { recursive: true })
  const archive = join(dist, 'assets', 'time_1.0.0_linux_amd64.tar.gz')
  const checksums = join(dist, 'assets', 'time_1.0.0_checksums.txt')
  await writeFile(archive, 'pretend archive bytes\n')
  const archiveDigest = sha256(await readFile(archive))
  await writeFile(checksums, `${archiveDigest.slice(7)}  time_1.0.0_linux_amd64.tar.gz\n`)
  const checksumsDigest = sha256(await readFile(checksums))

  const layout = new LayoutStore(join(dist, 'oci'))
  const image = await pushTestImage(layout, {
    seed: 'attest-record',
    layers: 1,
    layerSize: 1024,
    tag: '1.0.0',
  })
  const provenance = provenanceStatement({
    subjects: [
      { name: 'time_1.0.0_linux_amd64.tar.gz', digest: archiveDigest },
      { name: 'time_1.0.0_checksums.txt', digest: checksumsDigest },
      { name: 'time', digest: image.root.digest },
    ],
    project: 'time',
    version: '1.0.0',
    source: {},
    builder: {
      id: 'https://polyship.dev/builders/local/v1',
      invocationId: 'urn:uuid:2',
      startedOn: new Date(),
      finishedOn: new Date(),
    },
  })
  const sbom = await buildSbom(
    { kind: 'archive', name: 'time_1.0.0_linux_amd64.tar.gz', version: '1.0.0', digest: archiveDigest },
    [],
  )
  const [archiveRefs, checksumRefs] = await attestFiles(
    [
      { path: archive, sbom, provenance },
      { path: checksums, provenance },
    ],
    signer,
    { relativeTo: dist },
  )
  const imageSbom = await buildSbom(
    { kind: 'image-index', name: 'time', version: '1.0.0', digest: image.root.digest },
    [],
  )
  const imageRefs = await attestImage(image.root, attestationStore(layout), signer, {
    provenance,
    sbom: imageSbom,
  })

  const file = (
    kind: RecordedArtifact['kind'],
    refs: typeof archiveRefs,
    location: string,
  ): RecordedArtifact => ({
    kind,
    name: location.split('/').pop()!,
    project: 'time',
    version: '1.0.0',
    digest: refs!.digest,
    size: 1,
    locations: [location],
    signature: refs!.signature,
    ...(refs!.sbom === undefined ? {} : { sbom: refs!.sbom }),
    ...(refs!.provenance === undefined ? {} : { provenance: refs!.provenance }),
  })
  record = {
    schema: RELEASE_RECORD_SCHEMA,
    createdAt: '2026-01-01T00:00:00Z',
    projects: [{ name: 'time', version: '1.0.0', tag: 'time@1.0.0' }],
    artifacts: [
      file('archive', archiveRefs, 'assets/time_1.0.0_linux_amd64.tar.gz'),
      file('checksums', checksumRefs, 'assets/time_1.0.0_checksums.txt'),
      {
        kind: 'image-index',
        name: 'time',
        project: 'time',
        version: '1.0.0',
        digest: image.root.digest,
        size: image.root.size,
        locations: [`oci-layout:oci@${image.root.digest}`],
        signature: imageRefs.signature,
      },
    ],
  }
})

describe('verifyRecord', () => {
  it('checks every artifact of a release record: files by their recorded bundles, images by referrers', async () => {
    const results = await verifyRecord(
      record,
      join(dir(), 'dist'),
      keyPolicy([await readPublicKey(publicKeyPath)]),
      locate,
    )
    expect(rows(results)).toEqual([
      'time_1.0.0_linux_amd64.tar.gz digest ok',
      'time_1.0.0_linux_amd64.tar.gz signature ok',
      'time_1.0.0_linux_amd64.tar.gz provenance ok',
      'time_1.0.0_linux_amd64.tar.gz sbom ok',
      'time_1.0.0_checksums.txt digest ok',
      'time_1.0.0_checksums.txt content ok',
      'time_1.0.0_checksums.txt signature ok',
      'time_1.0.0_checksums.txt provenance ok',
      'time content ok',
      'time tag ok',
      'time signature ok',
      'time provenance ok',
      'time sbom ok',
    ])
  })

  it('names the artifact whose bytes changed, and artifacts it cannot reach', async () => {
    const archive = join(dir(), 'dist', 'assets', 'time_1.0.0_linux_amd64.tar.gz')
    await writeFile(archive, 'pretend archive bytes, edited\n')
    const unreachable: RecordedArtifact = {
      ...record.artifacts[0]!,
      name: 'gone.whl',
      kind: 'wheel',
      locations: ['https://pypi.example/gone.whl'],
    }
    const results = await verifyRecord(
      { ...record, artifacts: [record.artifacts[0]!, unreachable] },
      join(dir(), 'dist'),
      keyPolicy([await readPublicKey(publicKeyPath)]),
      locate,
    )
    expect(rows(results)).toEqual([
      'time_1.0.0_linux_amd64.tar.gz digest DIGEST_MISMATCH',
      'time_1.0.0_linux_amd64.tar.gz signature ATTEST_SIGNATURE_INVALID',
      'time_1.0.0_linux_amd64.tar.gz provenance ATTEST_SUBJECT_MISMATCH',
      'time_1.0.0_linux_amd64.tar.gz sbom ATTEST_SUBJECT_MISMATCH',
      'gone.whl digest ATTEST_INPUT_INVALID',
    ])
  })
})
