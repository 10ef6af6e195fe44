import { createHash } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { digestFile } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { changelogSection, GitHubReleases } from '../src/publish/github.ts'
import { FakeGitHub } from './fake-github.ts'

const TOKEN = 'ghs_fakeTokenForTests1234567890'
/** Retries without waiting; the waits asked for are recorded. */
const waits: number[] = []
const retry = { sleep: async (ms: number) => void waits.push(ms) }
let fake: FakeGitHub
let dir: string

beforeAll(async () => {
  fake = new FakeGitHub(TOKEN)
  await fake.start()
  dir = await mkdtemp(join(tmpdir(), 'polyship-gh-'))
})
afterAll(() => fake.stop())

async function file(name: string, content: string) {
  const path = join(dir, name)
  await writeFile(path, content)
  return { name, path, digest: (await digestFile(path)).digest }
}

describe('GitHub Releases against a loopback fake of the API', () => {
  it('creates a draft, uploads, is unchanged on re-run, publishes last', async () => {
    const gh = new GitHubReleases({ repository: 'owner/repo', token: TOKEN, apiUrl: fake.url, retry })
    const release = await gh.ensureDraft('app@1.0.0', { name: 'app 1.0.0', body: 'notes' })
    expect(release.draft).toBe(true)
    const asset = await file('app_1.0.0_linux_amd64.tar.gz', 'archive bytes')
    expect(await gh.upload(release, asset)).toMatchObject({ status: 'published', digest: asset.digest })
    // a second run finds the same draft and the same asset
    const again = await gh.ensureDraft('app@1.0.0', { name: 'app 1.0.0', body: 'notes' })
    expect(again.id).toBe(release.id)
    fake.omitDigests = true // older assets have no digest: downloaded and hashed
    expect(await gh.upload(again, asset)).toMatchObject({ status: 'unchanged' })
    fake.omitDigests = false
    expect((await gh.publish(again)).draft).toBe(false)
    expect(fake.releases).toHaveLength(1)
    expect(fake.releases[0]!.assets).toHaveLength(1)
  })

  it('stops on an asset with other bytes unless replace is set', async () => {
    const gh = new GitHubReleases({ repository: 'owner/repo', token: TOKEN, apiUrl: fake.url, retry })
    const release = await gh.ensureDraft('app@2.0.0', { name: 'app 2.0.0', body: '' })
    await gh.upload(release, await file('a.txt', 'one'))
    const changed = await file('a.txt', 'two')
    await expect(gh.upload(release, changed)).rejects.toMatchObject({ code: 'RELEASE_CONFLICT' })
    const replacing = new GitHubReleases({
      repository: 'owner/repo',
      token: TOKEN,
      apiUrl: fake.url,
      replace: true,
      retry,
    })
    expect(await replacing.upload(release, changed)).toMatchObject({
      status: 'published',
      digest: changed.digest,
    })
  })

  it('retries 5xx and reports a refused token without printing it', async () => {
    fake.failNext = [502, 503]
    const gh = new GitHubReleases({ repository: 'owner/repo', token: TOKEN, apiUrl: fake.url, retry })
    expect(await gh.find('app@1.0.0')).toBeDefined()
    const wrong = new GitHubReleases({
      repository: 'owner/repo',
      token: 'ghs_wrongwrongwrong',
      apiUrl: fake.url,
      retry,
    })
    const error = (await wrong.find('x').catch((e: unknown) => e)) as Error & { code: string; hint: string }
    expect(error.code).toBe('RELEASE_GITHUB_FAILED')
    expect(error.hint).toContain('GITHUB_TOKEN')
    expect(`${error.message} ${error.hint}`).not.toContain('ghs_wrong')
  })
})

describe('GitHub paging and rate limits (loopback fake of the API)', () => {
  it('reads all 150 assets of a release, 100 a page, following Link rel="next"', async () => {
    const gh = new GitHubReleases({ repository: 'owner/repo', token: TOKEN, apiUrl: fake.url, retry })
    const release = await gh.ensureDraft('many@1.0.0', { name: 'many', body: '' })
    const stored = fake.releases.find((r) => r.id === release.id)!
    for (let i = 0; i < 150; i++) {
      const bytes = Buffer.from(`asset ${i}`)
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
      stored.assets.push({ id: 10_000 + i, name: `a${i}.txt`, size: bytes.length, digest, bytes })
    }
    fake.requests.length = 0
    const assets = await gh.assets(release)
    expect(assets.map((a) => a.name)).toEqual(Array.from({ length: 150 }, (_, i) => `a${i}.txt`))
    expect(fake.requests).toEqual([
      `GET /repos/owner/repo/releases/${release.id}/assets`,
      `GET /repos/owner/repo/releases/${release.id}/assets`,
    ])
    // the last asset, on the second page, is found: unchanged, not uploaded again
    expect(await gh.upload(release, await file('a149.txt', 'asset 149'))).toMatchObject({
      status: 'unchanged',
    })
  })

  it('waits out a secondary rate limit (403 with retry-after), then succeeds', async () => {
    const gh = new GitHubReleases({ repository: 'owner/repo', token: TOKEN, apiUrl: fake.url, retry })
    waits.length = 0
    fake.failNext = [
      {
        status: 403,
        headers: { 'retry-after': '7' },
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      },
    ]
    expect(await gh.find('app@1.0.0')).toBeDefined()
    expect(waits).toEqual([7000])
  })

  it('waits for x-ratelimit-reset when the primary limit is spent; a reset too far off is a coded error', async () => {
    const now = Date.parse('2026-06-01T12:00:00Z')
    const clocked = { sleep: async (ms: number) => void waits.push(ms), now: () => now }
    const gh = new GitHubReleases({
      repository: 'owner/repo',
      token: TOKEN,
      apiUrl: fake.url,
      retry: clocked,
    })
    waits.length = 0
    const resetIn = (s: number) => ({
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + s) },
      message: 'API rate limit exceeded',
    })
    fake.failNext = [resetIn(20)]
    expect(await gh.find('app@1.0.0')).toBeDefined()
    expect(waits).toEqual([20_000])

    fake.failNext = [resetIn(3600)]
    const error = (await gh.find('app@1.0.0').catch((e: unknown) => e)) as Error & {
      code: string
      hint: string
    }
    expect([error.code, error.message]).toEqual([
      'RELEASE_GITHUB_FAILED',
      expect.stringContaining('answered 403'),
    ])
    expect(error.hint).toContain('rate-limiting')
  })

  it('a plain 403 (no rate-limit headers) is not retried', async () => {
    const gh = new GitHubReleases({ repository: 'owner/repo', token: TOKEN, apiUrl: fake.url, retry })
    fake.failNext = [403]
    fake.requests.length = 0
    await expect(gh.find('app@1.0.0')).rejects.toMatchObject({ code: 'RELEASE_GITHUB_FAILED' })
    expect(fake.requests).toHaveLength(1)
  })
})

describe('changelogSection', () => {
  it('takes one version of a changesets changelog', () => {
    const text = '# app\n\n## 1.1.0\n\n### Minor Changes\n\n- abc: new flag\n\n## 1.0.0\n\n- first\n'
    expect(changelogSection(text, '1.1.0')).toBe('### Minor Changes\n\n- abc: new flag')
    expect(changelogSection(text, '9.9.9')).toBe('')
  })
})

describe('GitHub Releases against hostile or misconfigured API roots', () => {
  const servers: import('node:net').Server[] = []
  afterAll(() => {
    for (const server of servers) server.close()
  })

  async function serve(handler: import('node:http').RequestListener): Promise<string> {
    const { createServer } = await import('node:http')
    const server = createServer(handler)
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`
  }

  it('refuses to send the token over plain http to a host that is not loopback', () => {
    expect(
      () => new GitHubReleases({ repository: 'o/r', token: TOKEN, apiUrl: 'http://ghe.example.com/api/v3' }),
    ).toThrow(
      expect.objectContaining({
        code: 'RELEASE_GITHUB_FAILED',
        message: expect.stringContaining('plain http'),
      }),
    )
  })

  it('refuses an API URL with userinfo and never shows it', () => {
    let message = ''
    try {
      new GitHubReleases({
        repository: 'o/r',
        token: TOKEN,
        apiUrl: 'https://x-access:s3cr3tPass@ghe.example.com/api/v3',
      })
    } catch (error) {
      expect(error).toMatchObject({ code: 'RELEASE_GITHUB_FAILED' })
      message = `${(error as Error).message} ${(error as { hint?: string }).hint}`
    }
    expect(message).toContain('carries credentials')
    expect(message).not.toContain('s3cr3tPass')
    expect(() => new GitHubReleases({ repository: 'o/r', token: TOKEN, apiUrl: 'not a url' })).toThrow(
      expect.objectContaining({ code: 'RELEASE_GITHUB_FAILED' }),
    )
  })

  it('gives a coded error, not a crash, when the API root serves HTML with 200', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<!DOCTYPE html><html><body>GitHub Enterprise sign in</body></html>')
    })
    const gh = new GitHubReleases({ repository: 'o/r', token: TOKEN, apiUrl: url, retry })
    await expect(gh.find('app@1.0.0')).rejects.toMatchObject({
      code: 'RELEASE_GITHUB_FAILED',
      message: expect.stringMatching(/text\/html, not JSON/),
    })
  })

  it('gives up on an API that accepts and never answers, naming the host', async () => {
    const url = await serve(() => {})
    const gh = new GitHubReleases({ repository: 'o/r', token: TOKEN, apiUrl: url, timeoutMs: 300, retry })
    await expect(gh.find('app@1.0.0')).rejects.toMatchObject({
      code: 'RELEASE_GITHUB_FAILED',
      message: expect.stringContaining(`${new URL(url).host} did not answer within`),
    })
  })

  it('stops reading an endless answer at the size cap', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(1024 * 1024, 0x20)
      const write = () => {
        while (res.write(chunk)) {}
        res.once('drain', write)
      }
      res.write('[')
      write()
      res.on('close', () => res.removeAllListeners('drain'))
    })
    const gh = new GitHubReleases({ repository: 'o/r', token: TOKEN, apiUrl: url, retry })
    await expect(gh.find('app@1.0.0')).rejects.toMatchObject({
      code: 'RELEASE_GITHUB_FAILED',
      message: expect.stringContaining('more than 16 MiB'),
    })
  })

  it('names the host when the API cannot be reached', async () => {
    const gh = new GitHubReleases({ repository: 'o/r', token: TOKEN, apiUrl: 'http://127.0.0.1:9', retry })
    await expect(gh.find('app@1.0.0')).rejects.toMatchObject({
      code: 'RELEASE_GITHUB_FAILED',
      message: expect.stringContaining('127.0.0.1:9 could not be reached'),
    })
  })
})
