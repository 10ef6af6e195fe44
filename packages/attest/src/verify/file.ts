import { access, readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { CoreError, type Digest, digestHex, sha256 } from '@polyship/core'
import { FILE_SUFFIXES } from '../attach/files.ts'
import { AttestError, type AttestErrorCode } from '../errors.ts'
import { validateSpdx } from '../sbom/spdx-validate.ts'
import { validateSbom } from '../sbom/validate.ts'
import { verifyBundle } from './bundle.ts'
import {
  type CheckResult,
  checkProvenance,
  checkSbom,
  checkSpdx,
  type Expectations,
  runCheck,
} from './checks.ts'
import type { VerificationPolicy } from './policy.ts'

export interface FileVerifyOptions {
  /** Name in results (default: the file name). */
  readonly name?: string
  /** The digest the file must have (from a release record). */
  readonly digest?: Digest
  /** Bundle paths; default: next to the file, named by FILE_SUFFIXES. */
  readonly bundles?: { readonly signature?: string; readonly sbom?: string; readonly provenance?: string }
  /** Default: both expected. */
  readonly expect?: Expectations
  /**
   * Names the recorded artifact that has `digest`, if any: a file holding another artifact's
   * bytes (two platform archives swapped) is told as such.
   */
  readonly recordedAs?: (digest: Digest) => string | undefined
}

async function readJson(path: string, missing: AttestErrorCode, what: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause
    throw new AttestError(missing, `${what} ${path} is missing`, {
      hint: 'the release was not attested, or the file was moved without its .sigstore.json companions',
      cause,
    })
  }
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new AttestError('ATTEST_BUNDLE_INVALID', `${path}: not JSON`, { cause })
  }
}

/**
 * Verifies a file and the attestations next to it: the signature bundle over its bytes,
 * the provenance whose subjects must include its digest, the SBOM attestation (valid
 * CycloneDX, same digest) and the plain SBOM copy matching it. One result per check.
 */
export async function verifyFile(
  path: string,
  policy: VerificationPolicy,
  options: FileVerifyOptions = {},
): Promise<CheckResult[]> {
  const name = options.name ?? basename(path)
  const expect = options.expect ?? { sbom: true, provenance: true }
  let data: Buffer
  try {
    data = await readFile(path)
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause
    return [
      {
        artifact: name,
        check: 'digest',
        status: 'failed',
        code: 'ATTEST_INPUT_INVALID',
        reason: `${path} does not exist`,
      },
    ]
  }
  const digest = sha256(data)
  const results: CheckResult[] = []
  if (options.digest !== undefined) {
    results.push(
      await runCheck(name, 'digest', () => {
        if (digest !== options.digest) {
          const other = options.recordedAs?.(digest)
          throw new CoreError(
            'DIGEST_MISMATCH',
            `${path} has sha256:${digestHex(digest)}, the release recorded ${options.digest} for ${name}${other === undefined ? '' : `; it holds the bytes recorded for ${other}`}`,
            {
              hint:
                other === undefined
                  ? 'the file changed after the release; restore it from the destination or release again'
                  : 'files were swapped or renamed after the release; put each file back under its own name',
            },
          )
        }
        return digest
      }),
    )
  }
  const signaturePath = options.bundles?.signature ?? `${path}${FILE_SUFFIXES.signature}`
  results.push(
    await runCheck(name, 'signature', async () => {
      const json = await readJson(signaturePath, 'ATTEST_SIGNATURE_MISSING', 'signature')
      return `signed by ${verifyBundle(json, policy, { artifact: data, where: signaturePath }).signer}`
    }),
  )
  if (expect.provenance) {
    const provenancePath = options.bundles?.provenance ?? `${path}${FILE_SUFFIXES.provenance}`
    results.push(
      await runCheck(name, 'provenance', async () => {
        const json = await readJson(provenancePath, 'ATTEST_PROVENANCE_MISSING', 'provenance')
        return checkProvenance(verifyBundle(json, policy, { where: provenancePath }), digest, provenancePath)
      }),
    )
  }
  if (expect.sbom) {
    const sbomPath = options.bundles?.sbom ?? `${path}${FILE_SUFFIXES.sbomAttestation}`
    results.push(
      await runCheck(name, 'sbom', async () => {
        const json = await readJson(sbomPath, 'ATTEST_SBOM_MISSING', 'SBOM attestation')
        const verified = verifyBundle(json, policy, { where: sbomPath })
        const detail = await checkSbom(verified, digest, sbomPath)
        await checkPlainSbom(`${path}${FILE_SUFFIXES.sbom}`, verified.statement?.predicate)
        return detail
      }),
    )
  }
  const spdxPath = `${path}${FILE_SUFFIXES.spdxAttestation}`
  if (expect.sbom && (expect.spdx === true || (await exists(spdxPath)))) {
    results.push(
      await runCheck(name, 'spdx', async () => {
        const json = await readJson(spdxPath, 'ATTEST_SBOM_MISSING', 'SPDX SBOM attestation')
        const verified = verifyBundle(json, policy, { where: spdxPath })
        const detail = checkSpdx(verified, digest, spdxPath)
        await checkPlainSbom(`${path}${FILE_SUFFIXES.spdx}`, verified.statement?.predicate, validateSpdx)
        return detail
      }),
    )
  }
  return results
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw cause
  }
}

/** The unsigned SBOM copy, when present, must be valid and say what the signed one says. */
async function checkPlainSbom(
  path: string,
  signed: unknown,
  validate: (text: string, where: string) => Promise<void> | void = validateSbom,
): Promise<void> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return
    throw cause
  }
  await validate(text, path)
  if (JSON.stringify(JSON.parse(text)) !== JSON.stringify(signed)) {
    throw new AttestError('ATTEST_SBOM_INVALID', `${path} differs from the signed SBOM in its attestation`, {
      hint: 'the SBOM file was edited after signing; use the one inside the attestation',
    })
  }
}
