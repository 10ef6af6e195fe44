import { readFile, rename, writeFile } from 'node:fs/promises'
import { basename, relative } from 'node:path'
import { type AttestationRef, type Digest, sha256 } from '@polyship/core'
import type { CycloneDxSbom, Sbom } from '../sbom/build.ts'
import type { SpdxSbom } from '../sbom/spdx.ts'
import type { BundleSigner, SigstoreBundle } from '../sign/bundle-signer.ts'
import { PREDICATE_TYPES, type Statement, statement, subjectOf } from '../statement/statement.ts'

/** What lies next to a signed file `<file>`. */
export const FILE_SUFFIXES = {
  /** Sigstore bundle, message signature over the file: `cosign verify-blob --bundle`. */
  signature: '.sigstore.json',
  /** The SBOM itself, CycloneDX JSON, for scanners and humans. */
  sbom: '.sbom.cdx.json',
  /** Sigstore bundle, DSSE over the SBOM statement: `cosign verify-blob-attestation --type cyclonedx`. */
  sbomAttestation: '.sbom.sigstore.json',
  /** The SPDX 2.3 SBOM, from the same components as the CycloneDX one. */
  spdx: '.spdx.json',
  /** Sigstore bundle, DSSE over the SPDX statement: `cosign verify-blob-attestation --type spdxjson`. */
  spdxAttestation: '.spdx.sigstore.json',
  /** Sigstore bundle, DSSE over the SLSA statement: `cosign verify-blob-attestation --type slsaprovenance1`. */
  provenance: '.provenance.sigstore.json',
} as const

export interface FileAttestationRequest {
  readonly path: string
  /** The SBOM of the file; attested with the file as its subject. */
  readonly sbom?: CycloneDxSbom
  /** The SPDX SBOM of the file; attested like the CycloneDX one. */
  readonly spdx?: SpdxSbom
  /** The provenance statement that covers this file (and possibly its siblings). */
  readonly provenance?: Statement
}

export interface AttestedFile {
  readonly path: string
  readonly digest: Digest
  readonly signature: AttestationRef
  readonly sbom?: AttestationRef
  readonly spdx?: AttestationRef
  readonly provenance?: AttestationRef
}

export interface FileAttestOptions {
  /** Locations in the returned refs are relative to this directory (the release record's); default: absolute. */
  readonly relativeTo?: string
  /** Files signed at once (default 8): signing is CPU-bound for keys and network-bound keyless. */
  readonly concurrency?: number
}

/** Writes a file through a temporary name and a rename, so a crash never leaves half a bundle. */
async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`
  await writeFile(temp, bytes)
  await rename(temp, path)
}

export function bundleBytes(bundle: SigstoreBundle): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(bundle)}\n`)
}

/** The SBOM attestation of an artifact: its SBOM document as the predicate (typed by its format), the artifact as the subject. */
export function sbomStatement(sbom: Sbom, digest: Digest, name?: string): Statement {
  return statement(PREDICATE_TYPES[sbom.format], [subjectOf(digest, name)], sbom.document)
}

/**
 * Signs one file and writes its attestations next to it (see FILE_SUFFIXES): the signature
 * always, each SBOM (CycloneDX, SPDX) and its attestation and the provenance when given.
 */
export async function attestFile(
  request: FileAttestationRequest,
  signer: BundleSigner,
  options: FileAttestOptions = {},
): Promise<AttestedFile> {
  const data = await readFile(request.path)
  const digest = sha256(data)
  const name = basename(request.path)
  const ref = async (suffix: string, bytes: Uint8Array): Promise<AttestationRef> => {
    const path = `${request.path}${suffix}`
    await writeAtomic(path, bytes)
    const location = options.relativeTo === undefined ? path : relative(options.relativeTo, path)
    return { location, digest: sha256(bytes) }
  }

  const signature = await ref(FILE_SUFFIXES.signature, bundleBytes(await signer.signBlob(data)))
  let sbom: AttestationRef | undefined
  if (request.sbom !== undefined) {
    await writeAtomic(`${request.path}${FILE_SUFFIXES.sbom}`, request.sbom.bytes)
    const bundle = await signer.signStatement(sbomStatement(request.sbom, digest, name))
    sbom = await ref(FILE_SUFFIXES.sbomAttestation, bundleBytes(bundle))
  }
  let spdx: AttestationRef | undefined
  if (request.spdx !== undefined) {
    await writeAtomic(`${request.path}${FILE_SUFFIXES.spdx}`, request.spdx.bytes)
    const bundle = await signer.signStatement(sbomStatement(request.spdx, digest, name))
    spdx = await ref(FILE_SUFFIXES.spdxAttestation, bundleBytes(bundle))
  }
  const provenance =
    request.provenance === undefined
      ? undefined
      : await ref(FILE_SUFFIXES.provenance, bundleBytes(await signer.signStatement(request.provenance)))
  return {
    path: request.path,
    digest,
    signature,
    ...(sbom === undefined ? {} : { sbom }),
    ...(spdx === undefined ? {} : { spdx }),
    ...(provenance === undefined ? {} : { provenance }),
  }
}

/** `attestFile` over many files, a few at a time; results in request order. */
export async function attestFiles(
  requests: readonly FileAttestationRequest[],
  signer: BundleSigner,
  options: FileAttestOptions = {},
): Promise<AttestedFile[]> {
  const results: AttestedFile[] = new Array(requests.length)
  let next = 0
  const worker = async () => {
    while (next < requests.length) {
      const index = next++
      results[index] = await attestFile(requests[index]!, signer, options)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker))
  return results
}
