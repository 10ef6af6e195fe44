import { detectBuilder, provenanceStatement, sbomStatement } from '@polyship/attest'
import { registerSecret, sha256 } from '@polyship/core'
import { describe, expect, it } from 'vitest'

const builderRun = {
  id: 'https://polyship.dev/builders/local/v1',
  invocationId: 'urn:uuid:0',
  startedOn: new Date('2026-03-01T10:00:00Z'),
  finishedOn: new Date('2026-03-01T10:01:00Z'),
}

describe('signed statements carry no credential', () => {
  it('a GITHUB_SERVER_URL with userinfo is recorded without it in builder, invocation and source', () => {
    const builder = detectBuilder({
      GITHUB_ACTIONS: 'true',
      GITHUB_SERVER_URL: 'https://x-access-token:ghs_serverUrlTok3n@github.example',
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_RUN_ID: '7',
      GITHUB_SHA: 'a'.repeat(40),
    })
    expect(builder.source.repository).toBe('https://github.example/acme/app')
    expect(builder.id).toBe('https://github.example/acme/app/actions')
    const text = JSON.stringify(
      provenanceStatement({
        subjects: [{ name: 'app.tar.gz', digest: sha256('app') }],
        project: 'app',
        version: '1.0.0',
        source: builder.source,
        builder: { ...builderRun, id: builder.id, invocationId: builder.invocationId },
      }),
    )
    expect(text).not.toContain('ghs_serverUrlTok3n')
    expect(text).toContain('"uri":"git+https://github.example/acme/app"')
  })

  it('a source repository with userinfo loses it in the resolved dependency', () => {
    const statement = provenanceStatement({
      subjects: [{ name: 'app.tar.gz', digest: sha256('app') }],
      project: 'app',
      version: '1.0.0',
      source: { repository: 'https://bot:srcTok3n-xyz@git.example/acme/app', commit: 'b'.repeat(40) },
      builder: builderRun,
    })
    expect(statement.predicate.buildDefinition.resolvedDependencies[0]?.uri).toBe(
      'git+https://git.example/acme/app',
    )
  })

  it('a statement whose predicate would hold a registered credential is SECRET_IN_OUTPUT, the value unnamed', () => {
    registerSecret('registry-pass-in-sbom-77')
    const sbom = {
      format: 'cyclonedx',
      bytes: new Uint8Array(),
      document: { note: 'pw registry-pass-in-sbom-77' },
    }
    let error: (Error & { code?: string }) | undefined
    try {
      sbomStatement(sbom as never, sha256('app'), 'app.tar.gz')
    } catch (caught) {
      error = caught as Error & { code?: string }
    }
    expect(error?.code).toBe('SECRET_IN_OUTPUT')
    expect(error?.message).toBe(
      'the https://cyclonedx.org/bom statement for app.tar.gz would contain a registered credential; nothing was written',
    )
  })
})
