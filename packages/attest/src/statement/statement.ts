import { assertNoSecrets, type Digest, digestHex, isDigest } from '@polyship/core'
import { AttestError } from '../errors.ts'

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1'
/** What cosign's `attest-blob` still writes; same shape, accepted when reading. */
const LEGACY_STATEMENT_TYPE = 'https://in-toto.io/Statement/v0.1'
/** DSSE payload type of an in-toto statement. */
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'

/** The predicate types polyship writes; cosign's `--type` names in comments. */
export const PREDICATE_TYPES = {
  /** `--type slsaprovenance1` */
  slsaProvenance: 'https://slsa.dev/provenance/v1',
  /** `--type cyclonedx` */
  cyclonedx: 'https://cyclonedx.org/bom',
  /** `--type spdxjson` */
  spdx: 'https://spdx.dev/Document',
  /** What `cosign sign` signs for an image in cosign 3's bundle format. */
  cosignSign: 'https://sigstore.dev/cosign/sign/v1',
} as const

export type PredicateType = (typeof PREDICATE_TYPES)[keyof typeof PREDICATE_TYPES]

export interface StatementSubject {
  readonly name?: string
  /** sha256 always (what polyship verifies); sha512 too where a registry names files by it (npm). */
  readonly digest: { readonly sha256: string; readonly sha512?: string }
}

/** An in-toto Statement v1. */
export interface Statement<Predicate = unknown> {
  readonly _type: typeof STATEMENT_TYPE
  readonly subject: readonly StatementSubject[]
  readonly predicateType: string
  readonly predicate: Predicate
}

/** A statement subject for an artifact: its name (file name or repository) and digest. */
export function subjectOf(digest: Digest, name?: string): StatementSubject {
  return name === undefined
    ? { digest: { sha256: digestHex(digest) } }
    : { name, digest: { sha256: digestHex(digest) } }
}

/**
 * An in-toto statement. Refuses (SECRET_IN_OUTPUT) one that would carry a credential
 * polyship read or a URL with userinfo: a signed statement is published for good.
 */
export function statement<P>(
  predicateType: string,
  subjects: readonly StatementSubject[],
  predicate: P,
): Statement<P> {
  if (subjects.length === 0) throw new Error('an in-toto statement needs at least one subject')
  const value: Statement<P> = { _type: STATEMENT_TYPE, subject: subjects, predicateType, predicate }
  assertNoSecrets(
    JSON.stringify(value),
    `the ${predicateType} statement for ${subjects[0]!.name ?? 'an artifact'}`,
  )
  return value
}

/** The statement `cosign sign` makes for an image or chart manifest: subject digest only, empty predicate. */
export function cosignSignStatement(digest: Digest): Statement<Record<string, never>> {
  return statement(PREDICATE_TYPES.cosignSign, [subjectOf(digest)], {})
}

/** Whether `digest` is one of the statement's subjects. */
export function coversDigest(value: Statement, digest: Digest): boolean {
  return value.subject.some((subject) => subject.digest.sha256 === digestHex(digest))
}

/** Parses a DSSE payload as an in-toto statement; `where` names its source in errors. */
export function parseStatement(payload: Uint8Array, where: string): Statement {
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'))
  } catch (cause) {
    throw new AttestError('ATTEST_BUNDLE_INVALID', `${where}: the signed payload is not JSON`, { cause })
  }
  const value = json as Partial<Statement>
  const subjectsValid =
    Array.isArray(value.subject) &&
    value.subject.length > 0 &&
    value.subject.every((s) => isDigest(`sha256:${(s as Partial<StatementSubject>)?.digest?.sha256}`))
  const type: unknown = value._type
  const knownType = type === STATEMENT_TYPE || type === LEGACY_STATEMENT_TYPE
  if (!knownType || typeof value.predicateType !== 'string' || !subjectsValid) {
    throw new AttestError(
      'ATTEST_BUNDLE_INVALID',
      `${where}: the signed payload is not an in-toto statement with sha256 subjects`,
      { hint: 'attestations are in-toto Statement v1 JSON inside a DSSE envelope' },
    )
  }
  return value as Statement
}
