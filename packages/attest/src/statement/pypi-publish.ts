import type { Digest } from '@polyship/core'
import { type Statement, statement, subjectOf } from './statement.ts'

/** PEP 740's publish attestation: "this file was published by this identity" (docs.pypi.org/attestations). */
export const PYPI_PUBLISH_PREDICATE_TYPE = 'https://docs.pypi.org/attestations/publish/v1'

/**
 * The statement of a PyPI publish attestation: exactly one subject, the distribution's
 * file name and sha256, and no predicate (PyPI and pypi-attestations read `null`).
 */
export function pypiPublishStatement(filename: string, digest: Digest): Statement<null> {
  return statement(PYPI_PUBLISH_PREDICATE_TYPE, [subjectOf(digest, filename)], null)
}
