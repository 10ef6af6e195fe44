import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { sha256 } from '@polyship/core'
import { findCredential, nodeDeps, type OciError, RegistryClient, registryOrigin } from '@polyship/oci'
import {
  pushTestImage,
  startRegistry,
  startTokenIssuer,
  type TestRegistry,
  type TokenIssuer,
} from '@polyship/oci/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { failure, tempDir } from './helpers.ts'

const PASSWORD = 'hunter2-Correct-Horse'
const WRONG = 'wrong-Battery-Staple-9'
const work = tempDir('auth')

/** A DOCKER_CONFIG directory holding `config`, and the env pointing at it. */
async function dockerConfig(name: string, config: unknown): Promise<Record<string, string | undefined>> {
  const dir = join(work(), name)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'config.json'), JSON.stringify(config))
  return { PATH: process.env.PATH, DOCKER_CONFIG: dir }
}

function basic(user: string, password: string): string {
  return Buffer.from(`${user}:${password}`).toString('base64')
}

function expectNoSecret(error: OciError, ...secrets: string[]): void {
  const shown = `${error.message}\n${error.hint}\n${error.stack}`
  for (const secret of secrets) {
    expect(shown).not.toContain(secret)
    expect(shown).not.toContain(Buffer.from(secret).toString('base64'))
  }
}

describe('htpasswd Basic auth', () => {
  let registry: TestRegistry
  beforeAll(async () => {
    registry = await startRegistry({ auth: { type: 'htpasswd', users: { polyship: PASSWORD } } })
  })
  afterAll(() => registry.stop())

  const push = async (
    env: Record<string, string | undefined>,
    options: { credentials?: Record<string, { username: string; password: string }> } = {},
  ) => {
    const client = new RegistryClient({ deps: { env, homedir: () => join(work(), 'no-home') }, ...options })
    try {
      return await pushTestImage(client.repository(`${registry.host}/auth/basic`), {
        seed: 'basic',
        tag: 'v1',
        platforms: [{ os: 'linux', architecture: 'amd64' }],
      })
    } finally {
      client.close()
    }
  }

  it('names every place it looked when there are no credentials', async () => {
    const error = await failure(push({ PATH: process.env.PATH }))
    expect(error.code).toBe('OCI_UNAUTHORIZED')
    expect(error.message).toContain('no credentials were found')
    expect(error.message).toContain(join(work(), 'no-home', '.docker', 'config.json'))
    expect(error.hint).toContain(`docker login ${registry.host}`)
  })

  it('pushes with auths from DOCKER_CONFIG', async () => {
    const env = await dockerConfig('good', {
      auths: { [registry.host]: { auth: basic('polyship', PASSWORD) } },
    })
    expect((await push(env)).outcome.status).toBe('published')
  })

  it('says which credential source was rejected, never its value', async () => {
    const env = await dockerConfig('wrong', {
      auths: { [`http://${registry.host}/v2/`]: { auth: basic('polyship', WRONG) } },
    })
    const error = await failure(push(env))
    expect(error.code).toBe('OCI_UNAUTHORIZED')
    expect(error.message).toContain(
      `rejected the credentials from DOCKER_CONFIG ${join(work(), 'wrong', 'config.json')}`,
    )
    expect(error.message).toContain(`auths."http://${registry.host}/v2/"`)
    expectNoSecret(error, WRONG, `polyship:${WRONG}`)
  })

  it('prefers REGISTRY_AUTH_FILE, then explicit credentials over everything', async () => {
    const env = await dockerConfig('wrong-2', {
      auths: { [registry.host]: { auth: basic('polyship', WRONG) } },
    })
    const authFile = join(work(), 'auth.json')
    await writeFile(
      authFile,
      JSON.stringify({ auths: { [registry.host]: { auth: basic('polyship', PASSWORD) } } }),
    )
    expect((await push({ ...env, REGISTRY_AUTH_FILE: authFile })).outcome.status).not.toBe('conflict')
    const explicit = { [registry.host]: { username: 'polyship', password: WRONG } }
    const error = await failure(push({ ...env, REGISTRY_AUTH_FILE: authFile }, { credentials: explicit }))
    expect(error.message).toContain(`explicit credentials for ${registry.host}`)
    expectNoSecret(error, WRONG)
  })

  it('asks credHelpers and credsStore helpers (docker-credential-*) on PATH', async () => {
    const bin = join(work(), 'bin')
    await mkdir(bin, { recursive: true })
    const helper = join(bin, 'docker-credential-polyshiptest')
    await writeFile(
      helper,
      `#!/bin/sh\nread host\n[ "$1" = get ] && [ "$host" = "${registry.host}" ] && printf '{"ServerURL":"%s","Username":"polyship","Secret":"${PASSWORD}"}' "$host" && exit 0\necho "credentials not found in native keychain"; exit 1\n`,
    )
    await chmod(helper, 0o755)
    const path = `${bin}:${process.env.PATH}`
    const viaHelpers = await dockerConfig('helpers', { credHelpers: { [registry.host]: 'polyshiptest' } })
    expect((await push({ ...viaHelpers, PATH: path })).outcome.status).not.toBe('conflict')
    const viaStore = await dockerConfig('store', { credsStore: 'polyshiptest' })
    expect((await push({ ...viaStore, PATH: path })).outcome.status).not.toBe('conflict')

    const missing = await dockerConfig('missing-helper', { credsStore: 'nosuchhelper' })
    const error = await failure(push(missing))
    expect(error.code).toBe('OCI_CREDENTIALS_INVALID')
    expect(error.message).toContain('docker-credential-nosuchhelper')
  })
})

describe('bearer token auth (real registry, fake loopback token issuer)', () => {
  let issuer: TokenIssuer
  let registry: TestRegistry
  beforeAll(async () => {
    issuer = await startTokenIssuer({
      users: { polyship: PASSWORD, reader: PASSWORD },
      refreshTokens: { 'refresh-token-value-123': 'polyship' },
      grant: (user, _repository, asked) =>
        user === 'reader' ? asked.filter((a) => a === 'pull') : user === undefined ? [] : asked,
    })
    registry = await startRegistry({ auth: { type: 'token', issuer } })
  })
  afterAll(async () => {
    await registry.stop()
    await issuer.stop()
  })

  const clientFor = async (name: string, entry: unknown) =>
    new RegistryClient({ deps: { env: await dockerConfig(name, { auths: { [registry.host]: entry } }) } })

  it('pushes with few tokens reused across requests, and mounts with a token for both repositories', async () => {
    const client = await clientFor('token-good', { auth: basic('polyship', PASSWORD) })
    const before = issuer.requests.length
    const image = await pushTestImage(client.repository(`${registry.host}/team/app`), {
      seed: 'token',
      tag: 'v1',
    })
    expect(image.outcome.status).toBe('published')
    const used = issuer.requests.slice(before)
    expect(used.length).toBeLessThanOrEqual(2)
    expect(used.every((r) => r.user === 'polyship' && r.grant === 'basic')).toBe(true)

    const mounted = client.repository(`${registry.host}/team/other`)
    expect(await mounted.pushBlob(image.blobs[1]!, new Uint8Array(), { mountFrom: 'team/app' })).toBe(
      'mounted',
    )
    expect(issuer.requests.at(-1)?.scopes).toEqual([
      'repository:team/app:pull',
      'repository:team/other:pull,push',
    ])
    client.close()
  })

  it('exchanges an identitytoken (OAuth2 refresh token) at the realm', async () => {
    const client = await clientFor('token-identity', { identitytoken: 'refresh-token-value-123' })
    expect(await client.repository(`${registry.host}/team/app`).resolve('v1')).toBeDefined()
    expect(issuer.requests.at(-1)).toMatchObject({ user: 'polyship', grant: 'refresh_token' })
    client.close()
  })

  it('refuses wrong credentials at the token realm, naming their source only', async () => {
    const client = await clientFor('token-wrong', { auth: basic('polyship', WRONG) })
    const error = await failure(client.repository(`${registry.host}/team/app`).resolve('v1'))
    expect(error.code).toBe('OCI_UNAUTHORIZED')
    expect(error.message).toContain('rejected the credentials from DOCKER_CONFIG')
    expectNoSecret(error, WRONG)
    client.close()
  })

  it('says OCI_DENIED when the token lacks push, and OCI_UNAUTHORIZED when anonymous', async () => {
    const reader = await clientFor('token-reader', { auth: basic('reader', PASSWORD) })
    expect(await reader.repository(`${registry.host}/team/app`).resolve('v1')).toBeDefined()
    const denied = await failure(
      reader
        .repository(`${registry.host}/team/app`)
        .pushBlob(
          { mediaType: 'application/octet-stream', digest: sha256('x'), size: 1 },
          new TextEncoder().encode('x'),
        ),
    )
    expect(denied.code).toBe('OCI_DENIED')
    reader.close()

    const anonymous = new RegistryClient({ deps: { env: {}, homedir: () => join(work(), 'no-home') } })
    const error = await failure(anonymous.repository(`${registry.host}/team/app`).resolve('v1'))
    expect(error.code).toBe('OCI_UNAUTHORIZED')
    anonymous.close()
  })
})

describe('transport rules (fake registry and blob host)', () => {
  let registryServer: Server
  let blobServer: Server
  const seen: { host: string; authorization: string | undefined }[] = []
  let redirectTo = ''

  beforeAll(async () => {
    blobServer = createServer((req, res) => {
      seen.push({ host: 'blobs', authorization: req.headers.authorization })
      res.writeHead(200, { 'content-length': '1' })
      res.end('x')
    })
    await new Promise<void>((resolve) => blobServer.listen(0, '127.0.0.2', resolve))
    registryServer = createServer((req, res) => {
      seen.push({ host: 'registry', authorization: req.headers.authorization })
      if (req.headers.authorization === undefined) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' })
        res.end()
        return
      }
      res.writeHead(307, { location: redirectTo })
      res.end()
    })
    await new Promise<void>((resolve) => registryServer.listen(0, '127.0.0.1', resolve))
    redirectTo = `http://127.0.0.2:${(blobServer.address() as { port: number }).port}/storage/blob`
  })
  afterAll(() => {
    registryServer.close()
    blobServer.close()
  })

  it('never forwards Authorization to another host on redirect (fake)', async () => {
    const host = `127.0.0.1:${(registryServer.address() as { port: number }).port}`
    const client = new RegistryClient({ credentials: { [host]: { username: 'u', password: PASSWORD } } })
    const blob = { mediaType: 'application/octet-stream', digest: sha256('x'), size: 1 }
    const chunks: Buffer[] = []
    for await (const chunk of await client.repository(`${host}/app`).fetchBlob(blob))
      chunks.push(chunk as Buffer)
    expect(Buffer.concat(chunks).toString()).toBe('x')
    expect(seen.filter((s) => s.host === 'registry').at(-1)?.authorization).toMatch(/^Basic /)
    expect(seen.filter((s) => s.host === 'blobs').map((s) => s.authorization)).toEqual([undefined])
    client.close()
  })

  it('refuses plain HTTP to a non-loopback host, also when redirected there (fake)', async () => {
    expect(registryOrigin('ghcr.io', [])).toBe('https://ghcr.io')
    expect(registryOrigin('docker.io', [])).toBe('https://registry-1.docker.io')
    expect(registryOrigin('localhost:5000', [])).toBe('http://localhost:5000')
    expect(registryOrigin('registry.lan:5000', ['registry.lan:5000'])).toBe('http://registry.lan:5000')
    redirectTo = 'http://registry.example.invalid/blob'
    const host = `127.0.0.1:${(registryServer.address() as { port: number }).port}`
    const client = new RegistryClient({ credentials: { [host]: { username: 'u', password: PASSWORD } } })
    const error = await failure(
      client.repository(`${host}/app`).fetchBlob({ mediaType: 'x', digest: sha256('x'), size: 1 }),
    )
    expect(error.code).toBe('OCI_INSECURE_REFUSED')
    client.close()
  })
})

describe('findCredential', () => {
  it('matches Docker Hub under any of its names and falls back to GITHUB_TOKEN for ghcr.io only', async () => {
    const env = await dockerConfig('hub', {
      auths: { 'https://index.docker.io/v1/': { auth: basic('hubuser', PASSWORD) } },
    })
    const deps = { ...nodeDeps, env, homedir: () => join(work(), 'no-home') }
    const hub = await findCredential('docker.io', {}, deps)
    expect(hub.credential).toMatchObject({
      username: 'hubuser',
      source: expect.stringContaining('auths."https://index.docker.io/v1/"'),
    })

    const ci = { ...deps, env: { ...env, GITHUB_TOKEN: 'ghs_token-value-1234', GITHUB_ACTOR: 'octocat' } }
    expect((await findCredential('ghcr.io', {}, ci)).credential).toMatchObject({
      username: 'octocat',
      source: 'GITHUB_TOKEN (for ghcr.io)',
    })
    const other = await findCredential('quay.io', {}, ci)
    expect(other.credential).toBeUndefined()
    expect(other.tried).toEqual([
      'explicit credentials for quay.io',
      `DOCKER_CONFIG ${join(work(), 'hub', 'config.json')} (no auths entry for quay.io)`,
      `podman ${join(work(), 'no-home', '.config', 'containers', 'auth.json')} (absent)`,
      `helm ${join(work(), 'no-home', '.config', 'helm', 'registry', 'config.json')} (absent)`,
    ])
  })

  it('reads identitytoken and registrytoken entries', async () => {
    const env = await dockerConfig('tokens', {
      auths: {
        'a.example': { identitytoken: 'refresh-abc-123' },
        'b.example': { registrytoken: 'bearer-xyz-789' },
      },
    })
    const deps = { ...nodeDeps, env }
    expect((await findCredential('a.example', {}, deps)).credential).toMatchObject({
      identityToken: 'refresh-abc-123',
    })
    expect((await findCredential('b.example', {}, deps)).credential).toMatchObject({
      registryToken: 'bearer-xyz-789',
    })
  })
})
