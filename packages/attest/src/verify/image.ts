import {
  type AttestationStore,
  type OciDescriptor,
  readBundles,
  type StoredBundle,
} from '../attach/referrers.ts'
import { AttestError, type AttestErrorCode } from '../errors.ts'
import { PREDICATE_TYPES } from '../statement/statement.ts'
import { verifyBundle } from './bundle.ts'
import {
  type CheckName,
  type CheckResult,
  checkProvenance,
  checkSbom,
  checkSignatureStatement,
  checkSpdx,
  type Expectations,
  runCheck,
} from './checks.ts'
import type { VerificationPolicy } from './policy.ts'

export interface ImageVerifyOptions {
  /** Name in results (default: `<store location>@<digest>`). */
  readonly name?: string
  /** Default: both expected. */
  readonly expect?: Expectations
}

/**
 * Passes when at least one bundle of the predicate type passes `check`; otherwise fails with
 * the first bundle's error, or `missing` when there is none.
 */
async function anyPasses(
  bundles: readonly StoredBundle[],
  predicateType: string,
  missing: { code: AttestErrorCode; what: string },
  check: (bundle: StoredBundle, where: string) => Promise<string> | string,
): Promise<string> {
  const candidates = bundles.filter((b) => b.predicateType === predicateType)
  if (candidates.length === 0) {
    throw new AttestError(
      missing.code,
      `no ${missing.what} is attached (no referrer with predicate type ${predicateType})`,
      {
        hint: 'the image was not attested, or was copied without its referrers (copy with `oras cp -r` or `cosign copy`)',
      },
    )
  }
  let first: unknown
  for (const candidate of candidates) {
    try {
      return await check(candidate, `referrer ${candidate.descriptor.digest}`)
    } catch (error) {
      if (!(error instanceof AttestError)) throw error
      first ??= error
    }
  }
  throw first
}

/**
 * Verifies the cosign-style attestations of an image or chart manifest: its signature
 * (sign/v1 statement over this digest), provenance and SBOM, each a DSSE bundle in a
 * referrer. One result per check.
 */
export async function verifyImage(
  subject: OciDescriptor,
  store: AttestationStore,
  policy: VerificationPolicy,
  options: ImageVerifyOptions = {},
): Promise<CheckResult[]> {
  const name = options.name ?? `${store.location}@${subject.digest}`
  const expect = options.expect ?? { sbom: true, provenance: true }
  const bundles = await readBundles(store, subject.digest)
  const one = (
    check: CheckName,
    predicateType: string,
    missing: { code: AttestErrorCode; what: string },
    body: (verified: ReturnType<typeof verifyBundle>, where: string) => Promise<string> | string,
  ) =>
    runCheck(name, check, () =>
      anyPasses(bundles, predicateType, missing, (stored, where) => {
        if (stored.problem !== undefined)
          throw new AttestError('ATTEST_BUNDLE_INVALID', `${where}: ${stored.problem}`)
        return body(verifyBundle(stored.bundle, policy, { where }), where)
      }),
    )

  const results = [
    await one(
      'signature',
      PREDICATE_TYPES.cosignSign,
      { code: 'ATTEST_SIGNATURE_MISSING', what: 'signature' },
      (verified, where) => checkSignatureStatement(verified, subject.digest, where),
    ),
  ]
  if (expect.provenance) {
    results.push(
      await one(
        'provenance',
        PREDICATE_TYPES.slsaProvenance,
        { code: 'ATTEST_PROVENANCE_MISSING', what: 'provenance' },
        (verified, where) => checkProvenance(verified, subject.digest, where),
      ),
    )
  }
  if (expect.sbom) {
    results.push(
      await one(
        'sbom',
        PREDICATE_TYPES.cyclonedx,
        { code: 'ATTEST_SBOM_MISSING', what: 'SBOM' },
        (verified, where) => checkSbom(verified, subject.digest, where),
      ),
    )
  }
  if (
    expect.sbom &&
    (expect.spdx === true || bundles.some((b) => b.predicateType === PREDICATE_TYPES.spdx))
  ) {
    results.push(
      await one(
        'spdx',
        PREDICATE_TYPES.spdx,
        { code: 'ATTEST_SBOM_MISSING', what: 'SPDX SBOM' },
        (verified, where) => checkSpdx(verified, subject.digest, where),
      ),
    )
  }
  return results satisfies CheckResult[]
}
