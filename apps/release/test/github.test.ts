import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { digestFile } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { changelogSection, GitHubReleases } from '../src/publish/github.ts'
import { FakeGitHub } from './fake-github.ts'

const TOKEN = 'ghs_fakeTokenForTests1234567890'
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
    const gh = new GitHubReleases({ repository: 'owner/repo', token: TOKEN, apiUrl: fake.url })
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
    const gh = new GitHubReleases({ repository: 'owner/repo', token: TOKEN, apiUrl: fake.url })
    const release = await gh.ensureDraft('app@2.0.0', { name: 'app 2.0.0', body: '' })
    await gh.upload(release, await file('a.txt', 'one'))
    const changed = await file('a.txt', 'two')
    await expect(gh.upload(release, changed)).rejects.toMatchObject({ code: 'RELEASE_CONFLICT' })
    const replacing = new GitHubReleases({
      repository: 'owner/repo',
      token: TOKEN,
      apiUrl: fake.url,
      replace: true,
    })
    expect(await replacing.upload(release, changed)).toMatchObject({
      status: 'published',
      digest: changed.digest,
    })
  })

  it('retries 5xx and reports a refused token without printing it', async () => {
    fake.failNext = [502, 503]
    const gh = new GitHubReleases({ repository: 'owner/repo', token: TOKEN, apiUrl: fake.url })
    expect(await gh.find('app@1.0.0')).toBeDefined()
    const wrong = new GitHubReleases({
      repository: 'owner/repo',
      token: 'ghs_wrongwrongwrong',
      apiUrl: fake.url,
    })
    const error = (await wrong.find('x').catch((e: unknown) => e)) as Error & { code: string; hint: string }
    expect(error.code).toBe('RELEASE_GITHUB_FAILED')
    expect(error.hint).toContain('GITHUB_TOKEN')
    expect(`${error.message} ${error.hint}`).not.toContain('ghs_wrong')
  })
})

describe('changelogSection', () => {
  it('takes one version of a changesets changelog', () => {
    const text = '# app\n\n## 1.1.0\n\n### Minor Changes\n\n- abc: new flag\n\n## 1.0.0\n\n- first\n'
    expect(changelogSection(text, '1.1.0')).toBe('### Minor Changes\n\n- abc: new flag')
    expect(changelogSection(text, '9.9.9')).toBe('')
  })
})
