import { generateKeyPairSync } from 'node:crypto'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  attestFile,
  buildSboms,
  type CheckResult,
  FILE_SUFFIXES,
  fileComponent,
  keyPolicy,
  keySigner,
  provenanceStatement,
  readPublicKey,
  resolveSigningKey,
  type SigningKey,
  verifyFile,
} from '@polyship/attest'
import { sha256, writeArchive } from '@polyship/core'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  cosignSignBlob,
  cosignVerifyBlob,
  cosignVerifyBlobAttestation,
  tempDir,
  testDeps,
} from './helpers.ts'

const dir = tempDir('files')
let key: SigningKey
let publicKeyPath: string
let archive: string

/** One row per check, as `polyship verify` prints them. */
function summary(results: readonly CheckResult[]): string[] {
  return results.map((r) => (r.status === 'passed' ? `${r.check} ok` : `${r.check} ${r.code}: ${r.reason}`))
}

async function flipByte(path: string, offset: number): Promise<void> {
  const bytes = await readFile(path)
  const at = offset < 0 ? bytes.length + offset : offset
  bytes[at] = bytes[at]! ^ 0x01
  await writeFile(path, bytes)
}

/** Copies the archive with all its companions into a fresh directory, to damage one of them. */
async function copySet(name: string): Promise<string> {
  const target = join(dir(), name)
  await mkdir(target, { recursive: true })
  for (const suffix of ['', ...Object.values(FILE_SUFFIXES)]) {
    await copyFile(`${archive}${suffix}`, join(target, `app.tar.gz${suffix}`))
  }
  return join(target, 'app.tar.gz')
}

beforeAll(async () => {
  const resolved = await resolveSigningKey({}, testDeps(join(dir(), 'home')).deps)
  key = resolved.key
  publicKeyPath = resolved.publicKeyPath!
  const source = join(dir(), 'src')
  await mkdir(source)
  await writeFile(join(source, 'app'), '#!/bin/sh\necho time\n', { mode: 0o755 })
  archive = join(dir(), 'app.tar.gz')
  await writeArchive(archive, [{ type: 'file', path: 'app', source: join(source, 'app'), mode: 0o755 }], {
    format: 'tar.gz',
    mtime: 1_700_000_000,
  })
  const digest = sha256(await readFile(archive))
  const sboms = await buildSboms(
    { kind: 'archive', name: 'app.tar.gz', version: '1.0.0', digest },
    [fileComponent({ name: 'app', digest: sha256(await readFile(join(source, 'app'))), version: '1.0.0' })],
    { env: { SOURCE_DATE_EPOCH: '1700000000' } },
  )
  const provenance = provenanceStatement({
    subjects: [{ name: 'app.tar.gz', digest }],
    project: 'app',
    version: '1.0.0',
    source: { repository: 'https://github.com/acme/app', ref: 'refs/heads/main', commit: 'a'.repeat(40) },
    toolchains: [{ name: 'go', version: '1.24.2' }],
    builder: {
      id: 'https://polyship.dev/builders/local/v1',
      invocationId: 'urn:uuid:00000000-0000-4000-8000-000000000000',
      startedOn: new Date('2026-01-01T00:00:00Z'),
      finishedOn: new Date('2026-01-01T00:01:00Z'),
    },
  })
  await attestFile({ path: archive, sbom: sboms.cyclonedx, spdx: sboms.spdx, provenance }, keySigner(key))
})

describe('files signed and attested with a key', () => {
  it('pass cosign verify-blob and verify-blob-attestation (slsaprovenance1, cyclonedx, spdxjson)', async () => {
    const signature = await cosignVerifyBlob(archive, publicKeyPath)
    expect(signature.ok, signature.output).toBe(true)
    for (const [type, suffix] of [
      ['slsaprovenance1', FILE_SUFFIXES.provenance],
      ['cyclonedx', FILE_SUFFIXES.sbomAttestation],
      ['spdxjson', FILE_SUFFIXES.spdxAttestation],
    ] as const) {
      const attestation = await cosignVerifyBlobAttestation(
        archive,
        publicKeyPath,
        type,
        `${archive}${suffix}`,
      )
      expect(attestation.ok, `${type}: ${attestation.output}`).toBe(true)
    }
  })

  it('pass polyship verification', async () => {
    const results = await verifyFile(archive, keyPolicy([await readPublicKey(publicKeyPath)]))
    expect(summary(results)).toEqual(['signature ok', 'provenance ok', 'sbom ok', 'spdx ok'])
  })

  it('pass polyship verification when the policy also holds a key of another type (Ed25519) first', async () => {
    const ed25519 = { key: generateKeyPairSync('ed25519').publicKey, source: 'ed25519.pub' }
    const results = await verifyFile(archive, keyPolicy([ed25519, await readPublicKey(publicKeyPath)]))
    expect(summary(results)).toEqual(['signature ok', 'provenance ok', 'sbom ok', 'spdx ok'])
    const alone = await verifyFile(archive, keyPolicy([ed25519]))
    expect(alone[0]).toMatchObject({ status: 'failed', code: 'ATTEST_SIGNATURE_INVALID' })
  })

  it('fail in cosign and in polyship, naming the file, when one byte of the artifact changes', async () => {
    const path = await copySet('flipped-artifact')
    await flipByte(path, 100)
    const signature = await cosignVerifyBlob(path, publicKeyPath)
    expect(signature.ok).toBe(false)
    const provenance = await cosignVerifyBlobAttestation(
      path,
      publicKeyPath,
      'slsaprovenance1',
      `${path}${FILE_SUFFIXES.provenance}`,
    )
    expect(provenance.ok).toBe(false)
    const results = await verifyFile(path, keyPolicy([await readPublicKey(publicKeyPath)]))
    expect(results.map((r) => [r.artifact, r.check, r.status === 'failed' ? r.code : 'ok'])).toEqual([
      ['app.tar.gz', 'signature', 'ATTEST_SIGNATURE_INVALID'],
      ['app.tar.gz', 'provenance', 'ATTEST_SUBJECT_MISMATCH'],
      ['app.tar.gz', 'sbom', 'ATTEST_SUBJECT_MISMATCH'],
      ['app.tar.gz', 'spdx', 'ATTEST_SUBJECT_MISMATCH'],
    ])
    expect(summary(results)[0]).toContain(`${path}.sigstore.json: the artifact's sha256`)
  })

  it('fail in cosign and in polyship when one byte of a signature changes', async () => {
    const path = await copySet('flipped-signature')
    const bundlePath = `${path}.sigstore.json`
    const bundle = JSON.parse(await readFile(bundlePath, 'utf8'))
    const signature = Buffer.from(bundle.messageSignature.signature, 'base64')
    signature[signature.length - 5] = signature[signature.length - 5]! ^ 0x01
    bundle.messageSignature.signature = signature.toString('base64')
    await writeFile(bundlePath, JSON.stringify(bundle))
    const cosignResult = await cosignVerifyBlob(path, publicKeyPath, bundlePath)
    expect(cosignResult.ok).toBe(false)
    const results = await verifyFile(path, keyPolicy([await readPublicKey(publicKeyPath)]), {
      expect: { sbom: false, provenance: false },
    })
    expect(summary(results)).toEqual([
      expect.stringMatching(
        /^signature ATTEST_SIGNATURE_INVALID: .*flipped-signature\/app\.tar\.gz\.sigstore\.json: the signature does not verify/,
      ),
    ])

    const provenancePath = `${path}${FILE_SUFFIXES.provenance}`
    await flipByte(provenancePath, 60)
    const [, provenance] = await verifyFile(path, keyPolicy([await readPublicKey(publicKeyPath)]), {
      expect: { sbom: false, provenance: true },
    })
    expect(provenance?.status === 'failed' && provenance.code).toMatch(/^ATTEST_(SIGNATURE|BUNDLE)_INVALID$/)
  })

  it('fail with ATTEST_SIGNATURE_INVALID under another key, and report missing attestations', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
    const results = await verifyFile(archive, keyPolicy([{ key: other, source: 'other.pub' }]))
    expect(results.map((r) => (r.status === 'failed' ? r.code : 'ok'))).toEqual([
      'ATTEST_SIGNATURE_INVALID',
      'ATTEST_SIGNATURE_INVALID',
      'ATTEST_SIGNATURE_INVALID',
      'ATTEST_SIGNATURE_INVALID',
    ])
    expect(summary(results)[0]).toContain('does not verify with other.pub')

    const lonely = join(dir(), 'lonely.txt')
    await writeFile(lonely, 'never signed\n')
    const missing = await verifyFile(lonely, keyPolicy([await readPublicKey(publicKeyPath)]))
    expect(missing.map((r) => (r.status === 'failed' ? r.code : 'ok'))).toEqual([
      'ATTEST_SIGNATURE_MISSING',
      'ATTEST_PROVENANCE_MISSING',
      'ATTEST_SBOM_MISSING',
    ])
  })

  it('notices an edited SBOM copy and verifies what cosign signed', async () => {
    const path = await copySet('edited-sbom')
    const sbomPath = `${path}${FILE_SUFFIXES.sbom}`
    const document = JSON.parse(await readFile(sbomPath, 'utf8'))
    document.components = []
    await writeFile(sbomPath, JSON.stringify(document))
    const results = await verifyFile(path, keyPolicy([await readPublicKey(publicKeyPath)]))
    expect(summary(results)[2]).toMatch(/^sbom ATTEST_SBOM_INVALID: .*differs from the signed SBOM/)

    const spdxPath = `${path}${FILE_SUFFIXES.spdx}`
    const spdx = JSON.parse(await readFile(spdxPath, 'utf8'))
    spdx.packages[0].versionInfo = '6.6.6'
    await writeFile(spdxPath, JSON.stringify(spdx))
    const edited = await verifyFile(path, keyPolicy([await readPublicKey(publicKeyPath)]))
    expect(summary(edited)[3]).toMatch(/^spdx ATTEST_SBOM_INVALID: .*differs from the signed SBOM/)

    const blob = join(dir(), 'by-cosign.txt')
    await writeFile(blob, 'signed by cosign\n')
    const signed = await cosignSignBlob(blob, join(dir(), 'home', '.config', 'polyship', 'cosign.key'))
    expect(signed.ok, signed.output).toBe(true)
    const verified = await verifyFile(blob, keyPolicy([await readPublicKey(publicKeyPath)]), {
      expect: { sbom: false, provenance: false },
    })
    expect(summary(verified)).toEqual(['signature ok'])
  })
})
