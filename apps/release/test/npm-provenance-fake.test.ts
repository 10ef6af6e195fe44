import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type BundleSigner,
  GITHUB_WORKFLOW_BUILD_TYPE,
  generateSigningKey,
  keylessSigner,
  keySigner,
  nodeDeps,
  npmProvenanceSigner,
  npmPurl,
  sha512HexOf,
  trustMaterialFromJson,
  verifyBundle,
} from '@polyship/attest'
import { FAKE_ISSUER, type FakeSigstore, startFakeSigstore } from '@polyship/attest/testing'
import { digestHex, isPolyshipError } from '@polyship/core'
import {
  type NpmTarball,
  npmRegistry,
  packPackage,
  publishTarballs,
  type RegistryCredential,
} from '@polyship/npm'
import { type FakeNpmRegistry, startFakeNpmRegistry } from '@polyship/npm/testing'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'

/**
 * npm provenance as `npm publish --provenance` attaches it (issue 17), against a fake
 * Sigstore and a fake of the registry's publish endpoint (registry.npmjs.org cannot be
 * reached from tests): the PUT document's `_attachments` carries `<name>-<version>.sigstore`,
 * a Sigstore bundle that polyship's verifier accepts under the fake Sigstore root. The
 * shared Verdaccio checks that a registry which drops provenance still takes the publish.
 */

const WORKFLOW = 'https://github.com/acme/lib/.github/workflows/release.yml@refs/heads/main'
const GITHUB_ENV = {
  GITHUB_ACTIONS: 'true',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/lib',
  GITHUB_WORKFLOW_REF: 'acme/lib/.github/workflows/release.yml@refs/heads/main',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_SHA: 'a'.repeat(40),
  GITHUB_RUN_ID: '42',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_REPOSITORY_ID: '7',
  GITHUB_REPOSITORY_OWNER_ID: '8',
  RUNNER_ENVIRONMENT: 'github-hosted',
}
const SCOPE = `@prov${process.pid}`
const verdaccio = inject('npmRegistry')
let sigstore: FakeSigstore
let work: string
let registry: FakeNpmRegistry | undefined

beforeAll(async () => {
  sigstore = await startFakeSigstore()
  work = await mkdtemp(join(tmpdir(), 'polyship-npm-provenance-'))
})
afterEach(async () => {
  await registry?.stop()
  registry = undefined
})
afterAll(async () => {
  await sigstore?.close()
  if (work) await rm(work, { recursive: true, force: true })
})

async function pack(name: string, version: string): Promise<NpmTarball> {
  const dir = join(work, name.replace('/', '+'), version)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version, main: 'index.js' }))
  await writeFile(join(dir, 'index.js'), `module.exports = ${JSON.stringify(version)}\n`)
  return packPackage(dir, { outDir: join(dir, 'out'), name, version })
}

function fakeKeyless(): BundleSigner {
  return keylessSigner(
    {
      fulcioURL: sigstore.fulcioURL,
      rekorURL: sigstore.rekorURL,
      rekorEntryType: 'intoto',
      identityToken: async () => sigstore.identityToken(WORKFLOW),
    },
    nodeDeps,
  )
}

describe('npm provenance (fake registry, fake Sigstore)', () => {
  it('attaches <name>-<version>.sigstore: a bundle of npm-shaped SLSA provenance that polyship verifies', async () => {
    registry = await startFakeNpmRegistry()
    const tarball = await pack(`${SCOPE}/lib`, '1.0.0')
    const target = npmRegistry({ url: registry.url, provenance: true })
    const provenance = npmProvenanceSigner({ mode: 'keyless', signer: fakeKeyless() }, GITHUB_ENV)
    const [outcome] = await publishTarballs([tarball], () => target, { provenance })
    expect(outcome).toMatchObject({ status: 'published', provenance: { status: 'attached' } })

    const [published] = registry.publishes
    const attachments = published!.document._attachments
    expect(Object.keys(attachments)).toEqual([`${SCOPE}/lib-1.0.0.tgz`, `${SCOPE}/lib-1.0.0.sigstore`])
    const attachment = attachments[`${SCOPE}/lib-1.0.0.sigstore`]!
    expect(attachment.content_type).toBe('application/vnd.dev.sigstore.bundle.v0.3+json')
    expect(attachment.length).toBe(attachment.data.length)

    const trustMaterial = trustMaterialFromJson(sigstore.trustedRoot, 'fake trusted root')
    const verified = verifyBundle(
      JSON.parse(attachment.data),
      { mode: 'keyless', trustMaterial, identity: WORKFLOW, issuer: FAKE_ISSUER },
      { where: 'the provenance attachment' },
    )
    expect(verified.signer).toContain(WORKFLOW)
    const statement = verified.statement!
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1')
    expect(statement.subject).toEqual([
      {
        name: `pkg:npm/%40prov${process.pid}/lib@1.0.0`,
        digest: { sha512: sha512HexOf(tarball.integrity), sha256: digestHex(tarball.digest) },
      },
    ])
    expect(npmPurl(tarball.name, '1.0.0')).toBe(statement.subject[0]!.name)
    // the integrity the registry records is the sha512 the provenance names
    expect(published!.document.versions['1.0.0']!.dist!.integrity).toBe(tarball.integrity)
    expect(statement.predicate).toMatchObject({
      buildDefinition: {
        buildType: GITHUB_WORKFLOW_BUILD_TYPE,
        externalParameters: {
          workflow: {
            ref: 'refs/heads/main',
            repository: 'https://github.com/acme/lib',
            path: '.github/workflows/release.yml',
          },
        },
        resolvedDependencies: [
          { uri: 'git+https://github.com/acme/lib@refs/heads/main', digest: { gitCommit: 'a'.repeat(40) } },
        ],
      },
      runDetails: {
        builder: { id: 'https://github.com/actions/runner/github-hosted' },
        metadata: { invocationId: 'https://github.com/acme/lib/actions/runs/42/attempts/1' },
      },
    })
  })

  it('a provenance that cannot be signed (Fulcio unreachable) is NPM_PROVENANCE_FAILED, with nothing published', async () => {
    registry = await startFakeNpmRegistry()
    const tarball = await pack(`${SCOPE}/down`, '1.0.0')
    const signer = keylessSigner(
      { fulcioURL: 'http://127.0.0.1:1', rekorURL: 'http://127.0.0.1:1', identityToken: async () => 'x.y.' },
      nodeDeps,
    )
    const target = npmRegistry({ url: registry.url, provenance: true })
    const error = await publishTarballs([tarball], () => target, {
      provenance: npmProvenanceSigner({ mode: 'keyless', signer }, GITHUB_ENV),
    }).catch((e: unknown) => e)
    expect(isPolyshipError(error) && error.code).toBe('NPM_PROVENANCE_FAILED')
    expect(registry.publishes).toEqual([])
  })

  it('key signing, or outside GitHub Actions, or a registry other than npmjs: no provenance, said in the outcome', async () => {
    registry = await startFakeNpmRegistry()
    const key = await generateSigningKey(join(work, 'cosign.key'))
    const byKey = npmProvenanceSigner({ mode: 'key', signer: keySigner(key.key), key }, GITHUB_ENV)
    expect(byKey).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('with a key') })
    const local = npmProvenanceSigner({ mode: 'keyless', signer: fakeKeyless() }, {})
    expect(local).toMatchObject({
      kind: 'unavailable',
      reason: expect.stringContaining('not GitHub Actions'),
    })

    const tarball = await pack(`${SCOPE}/plain`, '1.0.0')
    const target = npmRegistry({ url: registry.url })
    const [outcome] = await publishTarballs([tarball], () => target, {
      provenance: npmProvenanceSigner({ mode: 'keyless', signer: fakeKeyless() }, GITHUB_ENV),
    })
    expect(outcome?.provenance).toEqual({
      status: 'not-attached',
      reason: `${registry.url} does not keep npm provenance (only registry.npmjs.org does)`,
    })
    expect(Object.keys(registry.publishes[0]!.document._attachments)).toEqual([`${SCOPE}/plain-1.0.0.tgz`])
  })

  it('Verdaccio: publishes without provenance by default; it refuses a publish that carries one, which is why none is sent there', async () => {
    const credential: RegistryCredential = { type: 'token', token: verdaccio.token, source: 'test' }
    const provenance = npmProvenanceSigner({ mode: 'keyless', signer: fakeKeyless() }, GITHUB_ENV)
    const tarball = await pack(`${SCOPE}/verdaccio`, '1.0.0')
    const target = npmRegistry({ url: verdaccio.url, credential })
    const [outcome] = await publishTarballs([tarball], () => target, { provenance })
    expect(outcome).toMatchObject({ status: 'published', provenance: { status: 'not-attached' } })
    const lookup = await target.lookup(tarball.name, '1.0.0')
    expect(lookup.held?.integrity).toBe(tarball.integrity)

    // forced (provenance: true), Verdaccio 6 answers a second attachment with 400
    const forced = npmRegistry({ url: verdaccio.url, credential, provenance: true })
    const other = await pack(`${SCOPE}/verdaccio-forced`, '1.0.0')
    const error = await publishTarballs([other], () => forced, { provenance }).catch((e: unknown) => e)
    expect(isPolyshipError(error) && error.code).toBe('NPM_PUBLISH_REJECTED')
    expect((error as Error).message).toContain('400 unsupported registry call')
  })
})
