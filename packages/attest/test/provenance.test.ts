import { generateKeyPairSync } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  type AttestError,
  defaultKeyPath,
  detectBuilder,
  generateSigningKey,
  isAttestError,
  LOCAL_BUILDER_ID,
  provenanceStatement,
  signerFromConfig,
} from '@polyship/attest'
import { sha256 } from '@polyship/core'
import { describe, expect, it } from 'vitest'
import { tempDir, testDeps } from './helpers.ts'

const dir = tempDir('provenance')

const GITHUB_ENV = {
  GITHUB_ACTIONS: 'true',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/time',
  GITHUB_WORKFLOW_REF: 'acme/time/.github/workflows/release.yml@refs/heads/main',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_SHA: 'd'.repeat(40),
}

describe('provenanceStatement', () => {
  it('records source, parameters, toolchains, base image and the GitHub workflow as builder', () => {
    const builder = detectBuilder(GITHUB_ENV)
    const statement = provenanceStatement({
      subjects: [
        { name: 'time-server-go_1.2.0_linux_amd64.tar.gz', digest: sha256('archive') },
        { name: 'ghcr.io/acme/time-server-go', digest: sha256('index') },
      ],
      project: 'time-server-go',
      version: '1.2.0',
      source: builder.source,
      toolchains: [{ name: 'go', version: '1.24.2' }],
      baseImages: [{ reference: 'gcr.io/distroless/static:nonroot', digest: sha256('base') }],
      internalParameters: { platforms: ['linux/amd64', 'linux/arm64'] },
      builder: {
        id: builder.id,
        invocationId: builder.invocationId,
        startedOn: new Date('2026-03-01T10:00:00Z'),
        finishedOn: new Date('2026-03-01T10:04:30Z'),
      },
    })
    expect(statement).toMatchInlineSnapshot(`
      {
        "_type": "https://in-toto.io/Statement/v1",
        "predicate": {
          "buildDefinition": {
            "buildType": "https://polyship.dev/buildtypes/release/v1",
            "externalParameters": {
              "project": "time-server-go",
              "ref": "refs/heads/main",
              "repository": "https://github.com/acme/time",
              "version": "1.2.0",
            },
            "internalParameters": {
              "platforms": [
                "linux/amd64",
                "linux/arm64",
              ],
            },
            "resolvedDependencies": [
              {
                "digest": {
                  "gitCommit": "dddddddddddddddddddddddddddddddddddddddd",
                },
                "uri": "git+https://github.com/acme/time@refs/heads/main",
              },
              {
                "name": "go",
                "uri": "pkg:generic/go@1.24.2",
              },
              {
                "digest": {
                  "sha256": "cae662172fd450bb0cd710a769079c05bfc5d8e35efa6576edc7d0377afdd4a2",
                },
                "name": "gcr.io/distroless/static:nonroot",
                "uri": "pkg:oci/static@sha256:cae662172fd450bb0cd710a769079c05bfc5d8e35efa6576edc7d0377afdd4a2?repository_url=gcr.io%2Fdistroless%2Fstatic",
              },
            ],
          },
          "runDetails": {
            "builder": {
              "id": "https://github.com/acme/time/.github/workflows/release.yml@refs/heads/main",
            },
            "metadata": {
              "finishedOn": "2026-03-01T10:04:30.000Z",
              "invocationId": "https://github.com/acme/time/actions/runs/4242/attempts/2",
              "startedOn": "2026-03-01T10:00:00.000Z",
            },
          },
        },
        "predicateType": "https://slsa.dev/provenance/v1",
        "subject": [
          {
            "digest": {
              "sha256": "0eb3e36bfb24dcd9bb1d1bece1531216b59539a8fde17ee80224af0653c92aa3",
            },
            "name": "time-server-go_1.2.0_linux_amd64.tar.gz",
          },
          {
            "digest": {
              "sha256": "1bc04b5291c26a46d918139138b992d2de976d6851d0893b0476b85bfbdfc6e6",
            },
            "name": "ghcr.io/acme/time-server-go",
          },
        ],
      }
    `)
  })

  it('uses a local builder id and a fresh invocation id outside CI', () => {
    const first = detectBuilder({})
    expect(first.id).toBe(LOCAL_BUILDER_ID)
    expect(first.invocationId).toMatch(/^urn:uuid:[0-9a-f-]{36}$/)
    expect(detectBuilder({}).invocationId).not.toBe(first.invocationId)
  })
})

describe('signerFromConfig', () => {
  it('defaults to key signing with the generated key, and signs nothing with mode none', async () => {
    const { deps } = testDeps(join(dir(), 'home'))
    const signer = await signerFromConfig(undefined, deps)
    expect(signer.mode).toBe('key')
    expect(signer.mode === 'key' && signer.key.generated).toBe(true)
    expect((await signerFromConfig({ mode: 'none' }, deps)).mode).toBe('none')
  })

  it('in CI never generates a key: keyless with an OIDC token at hand, else a coded error', async () => {
    const home = join(dir(), 'ci-home')
    const oidc = {
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.invalid/',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x',
    }
    for (const ci of [{ CI: 'true' }, { CI: '1' }, { GITHUB_ACTIONS: 'true' }]) {
      expect((await signerFromConfig(undefined, testDeps(home, { ...ci, ...oidc }).deps)).mode).toBe(
        'keyless',
      )
      expect(
        (await signerFromConfig(undefined, testDeps(home, { ...ci, SIGSTORE_ID_TOKEN: 'a.b.c' }).deps)).mode,
      ).toBe('keyless')
      for (const config of [undefined, { mode: 'key' } as const]) {
        const error = await signerFromConfig(config, testDeps(home, ci).deps).catch((e: unknown) => e)
        expect(isAttestError(error) && error.code).toBe('ATTEST_KEY_NOT_CONFIGURED')
        expect((error as AttestError).hint).toContain('POLYSHIP_SIGNING_KEY')
        expect((error as AttestError).hint).toContain('id-token: write')
      }
    }
    expect(existsSync(defaultKeyPath({ env: {}, home }))).toBe(false)
    // A key passed in the environment or an explicit key setting wins over the token; a key
    // that exists is used, never replaced.
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString()
    const fromEnv = await signerFromConfig(
      undefined,
      testDeps(home, { CI: 'true', ...oidc, POLYSHIP_SIGNING_KEY: pem }).deps,
    )
    expect(fromEnv.mode === 'key' && fromEnv.key.key.source).toBe('$POLYSHIP_SIGNING_KEY')
    await generateSigningKey(defaultKeyPath({ env: {}, home }))
    const signer = await signerFromConfig({ mode: 'key' }, testDeps(home, { CI: 'true', ...oidc }).deps)
    expect(signer.mode === 'key' && signer.key.generated).toBe(false)
    // CI=false is not CI.
    const local = await signerFromConfig(undefined, testDeps(join(dir(), 'local-home'), { CI: 'false' }).deps)
    expect(local.mode === 'key' && local.key.generated).toBe(true)
  })
})
