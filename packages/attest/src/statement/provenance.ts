import { randomUUID } from 'node:crypto'
import { type Digest, digestHex, withoutUserinfo } from '@polyship/core'
import { packageUrl } from '../sbom/component.ts'
import { PREDICATE_TYPES, type Statement, statement, subjectOf } from './statement.ts'

/** Our SLSA buildType: how to read externalParameters and internalParameters below. */
export const BUILD_TYPE = 'https://polyship.dev/buildtypes/release/v1'
/** builder.id of a release run outside CI. */
export const LOCAL_BUILDER_ID = 'https://polyship.dev/builders/local/v1'

/** An SLSA ResourceDescriptor: at least one of uri, digest. */
export interface ResourceDescriptor {
  readonly uri?: string
  readonly digest?: Readonly<Record<string, string>>
  readonly name?: string
  readonly annotations?: Readonly<Record<string, unknown>>
}

/** The SLSA Provenance v1 predicate. */
export interface SlsaProvenance {
  readonly buildDefinition: {
    readonly buildType: string
    readonly externalParameters: Readonly<Record<string, unknown>>
    readonly internalParameters?: Readonly<Record<string, unknown>>
    readonly resolvedDependencies: readonly ResourceDescriptor[]
  }
  readonly runDetails: {
    readonly builder: { readonly id: string }
    readonly metadata: {
      readonly invocationId: string
      readonly startedOn: string
      readonly finishedOn: string
    }
    readonly byproducts?: readonly ResourceDescriptor[]
  }
}

export interface SourceInfo {
  /** https URL of the repository. */
  readonly repository?: string
  /** Git ref released from (`refs/heads/main`). */
  readonly ref?: string
  /** Full commit SHA. */
  readonly commit?: string
}

/** Who ran the release and which run it was. */
export interface BuilderRun {
  readonly id: string
  readonly invocationId: string
  readonly startedOn: Date
  readonly finishedOn: Date
}

export interface ProvenanceInput {
  /** Every artifact this provenance covers (one artifact, or all of a project's). */
  readonly subjects: readonly { readonly name: string; readonly digest: Digest }[]
  readonly project: string
  readonly version: string
  readonly source: SourceInfo
  /** Compilers and packagers used: `{ name: 'go', version: '1.24.2' }`, rustc, maturin, helm. */
  readonly toolchains?: readonly { readonly name: string; readonly version: string }[]
  /** Base images by digest (container images). */
  readonly baseImages?: readonly { readonly reference: string; readonly digest: Digest }[]
  /** Format-specific settings that shaped the build (platforms, targets, flags). */
  readonly internalParameters?: Readonly<Record<string, unknown>>
  readonly builder: BuilderRun
}

/** Builder identity and source facts of the current run: GitHub Actions' when there, a local id otherwise. */
export function detectBuilder(env: Readonly<Record<string, string | undefined>>): {
  readonly id: string
  readonly invocationId: string
  readonly source: SourceInfo
} {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    // a server URL with userinfo would put the credential into every signed provenance
    const server = withoutUserinfo(env.GITHUB_SERVER_URL || 'https://github.com')
    const repository = `${server}/${env.GITHUB_REPOSITORY}`
    return {
      // GITHUB_WORKFLOW_REF: owner/repo/.github/workflows/release.yml@refs/heads/main, as Fulcio certifies it.
      id: env.GITHUB_WORKFLOW_REF ? `${server}/${env.GITHUB_WORKFLOW_REF}` : `${repository}/actions`,
      invocationId: `${repository}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT || '1'}`,
      source: {
        repository,
        ...(env.GITHUB_REF ? { ref: env.GITHUB_REF } : {}),
        ...(env.GITHUB_SHA ? { commit: env.GITHUB_SHA } : {}),
      },
    }
  }
  return { id: LOCAL_BUILDER_ID, invocationId: `urn:uuid:${randomUUID()}`, source: {} }
}

function sourceDependency(source: SourceInfo): ResourceDescriptor[] {
  if (source.repository === undefined && source.commit === undefined) return []
  const uri =
    source.repository === undefined
      ? undefined
      : `git+${source.repository}${source.ref === undefined ? '' : `@${source.ref}`}`
  return [
    {
      ...(uri === undefined ? {} : { uri }),
      ...(source.commit === undefined ? {} : { digest: { gitCommit: source.commit } }),
    },
  ]
}

function imageDependency(image: { reference: string; digest: Digest }): ResourceDescriptor {
  const withoutDigest = image.reference.replace(/@sha256:[a-f0-9]{64}$/, '')
  const lastColon = withoutDigest.lastIndexOf(':')
  const repository =
    lastColon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, lastColon) : withoutDigest
  const name = repository.split('/').pop()!.toLowerCase()
  const purl = packageUrl('oci', undefined, name, image.digest, { repository_url: repository })
  return { uri: purl, digest: { sha256: digestHex(image.digest) }, name: image.reference }
}

/**
 * The SLSA v1 provenance statement of one release of a project. The source repository is
 * recorded without userinfo: a signed provenance is published for good.
 */
export function provenanceStatement(input: ProvenanceInput): Statement<SlsaProvenance> {
  const source: SourceInfo =
    input.source.repository === undefined
      ? input.source
      : { ...input.source, repository: withoutUserinfo(input.source.repository) }
  const resolvedDependencies: ResourceDescriptor[] = [
    ...sourceDependency(source),
    ...(input.toolchains ?? []).map((tool) => ({
      uri: packageUrl('generic', undefined, tool.name, tool.version),
      name: tool.name,
    })),
    ...(input.baseImages ?? []).map(imageDependency),
  ]
  const predicate: SlsaProvenance = {
    buildDefinition: {
      buildType: BUILD_TYPE,
      externalParameters: {
        ...(source.repository === undefined ? {} : { repository: source.repository }),
        ...(source.ref === undefined ? {} : { ref: source.ref }),
        project: input.project,
        version: input.version,
      },
      ...(input.internalParameters === undefined ? {} : { internalParameters: input.internalParameters }),
      resolvedDependencies,
    },
    runDetails: {
      builder: { id: input.builder.id },
      metadata: {
        invocationId: input.builder.invocationId,
        startedOn: input.builder.startedOn.toISOString(),
        finishedOn: input.builder.finishedOn.toISOString(),
      },
    },
  }
  return statement(
    PREDICATE_TYPES.slsaProvenance,
    input.subjects.map((s) => subjectOf(s.digest, s.name)),
    predicate,
  )
}
