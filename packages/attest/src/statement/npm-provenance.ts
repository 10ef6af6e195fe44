import { type Digest, digestHex } from '@polyship/core'
import { AttestError } from '../errors.ts'
import { PREDICATE_TYPES, type Statement, statement } from './statement.ts'

/** npm's buildType for provenance signed in GitHub Actions (libnpmpublish's provenance.js). */
export const GITHUB_WORKFLOW_BUILD_TYPE =
  'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1'
const GITHUB_BUILDER_ID_PREFIX = 'https://github.com/actions/runner'

/** The package URL npm names a provenance subject by: `pkg:npm/%40scope/name@1.0.0`. */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.replace(/^@/, '%40')}@${version}`
}

/** An npm integrity (`sha512-<base64>`) as the hex a provenance subject carries. */
export function sha512HexOf(integrity: string): string {
  if (!integrity.startsWith('sha512-')) throw new Error(`${integrity} is not a sha512 integrity`)
  return Buffer.from(integrity.slice('sha512-'.length), 'base64').toString('hex')
}

const GITHUB_VARIABLES = [
  'GITHUB_SERVER_URL',
  'GITHUB_REPOSITORY',
  'GITHUB_WORKFLOW_REF',
  'GITHUB_REF',
  'GITHUB_SHA',
  'GITHUB_RUN_ID',
  'GITHUB_RUN_ATTEMPT',
  'RUNNER_ENVIRONMENT',
] as const

/**
 * The SLSA provenance v1 statement `npm publish --provenance` signs in GitHub Actions, in
 * exactly npm's shape (the registry and `npm audit signatures` read it): one subject, the
 * package's purl and sha512 (and its sha256, which polyship's verifier matches); the workflow as external parameters; the commit as the one
 * resolved dependency. Outside GitHub Actions (a variable missing) it is
 * ATTEST_INPUT_INVALID naming the variables: npm provenance has no other builder.
 */
export function npmProvenanceStatement(
  tarball: {
    readonly name: string
    readonly version: string
    readonly integrity: string
    readonly digest: Digest
  },
  env: Readonly<Record<string, string | undefined>>,
): Statement {
  const missing = GITHUB_VARIABLES.filter((name) => !env[name])
  if (missing.length > 0)
    throw new AttestError(
      'ATTEST_INPUT_INVALID',
      `npm provenance for ${tarball.name}@${tarball.version} is signed in GitHub Actions; ${missing.map((m) => `$${m}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`,
      { hint: 'publish from a GitHub Actions workflow with `id-token: write`, or turn npm provenance off' },
    )
  const e = env as Readonly<Record<(typeof GITHUB_VARIABLES)[number], string>> &
    Readonly<Record<string, string | undefined>>
  const relativeRef = e.GITHUB_WORKFLOW_REF.replace(`${e.GITHUB_REPOSITORY}/`, '')
  const at = relativeRef.indexOf('@')
  const repository = `${e.GITHUB_SERVER_URL}/${e.GITHUB_REPOSITORY}`
  return statement(
    PREDICATE_TYPES.slsaProvenance,
    [
      {
        name: npmPurl(tarball.name, tarball.version),
        digest: { sha512: sha512HexOf(tarball.integrity), sha256: digestHex(tarball.digest) },
      },
    ],
    {
      buildDefinition: {
        buildType: GITHUB_WORKFLOW_BUILD_TYPE,
        externalParameters: {
          workflow: { ref: relativeRef.slice(at + 1), repository, path: relativeRef.slice(0, at) },
        },
        internalParameters: {
          github: {
            event_name: e.GITHUB_EVENT_NAME,
            repository_id: e.GITHUB_REPOSITORY_ID,
            repository_owner_id: e.GITHUB_REPOSITORY_OWNER_ID,
          },
        },
        resolvedDependencies: [
          { uri: `git+${repository}@${e.GITHUB_REF}`, digest: { gitCommit: e.GITHUB_SHA } },
        ],
      },
      runDetails: {
        builder: { id: `${GITHUB_BUILDER_ID_PREFIX}/${e.RUNNER_ENVIRONMENT}` },
        metadata: {
          invocationId: `${repository}/actions/runs/${e.GITHUB_RUN_ID}/attempts/${e.GITHUB_RUN_ATTEMPT}`,
        },
      },
    },
  )
}
