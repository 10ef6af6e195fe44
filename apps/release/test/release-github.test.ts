import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeGitHub } from './fake-github.ts'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * Release files to GitHub Releases, against a loopback FAKE of the GitHub API (GitHub cannot
 * be reached here): a draft first, every asset uploaded, the release published last; a
 * re-run changes nothing; other bytes under a released asset name stop the release unless
 * --replace; a missing token stops it before anything is built.
 */

const TOKEN = 'ghs_releaseTestToken0123456789'
const TAG = 'time-server-go@0.1.0'
const ARCHIVES = ['time-server-go_0.1.0_linux_amd64.tar.gz', 'time-server-go_0.1.0_linux_arm64.tar.gz']
const CHECKSUMS = 'time-server-go_0.1.0_checksums.txt'
const ASSETS = [
  ...ARCHIVES.flatMap((archive) => [
    archive,
    `${archive}.sigstore.json`,
    `${archive}.sbom.cdx.json`,
    `${archive}.sbom.sigstore.json`,
    `${archive}.spdx.json`,
    `${archive}.spdx.sigstore.json`,
    `${archive}.provenance.sigstore.json`,
  ]),
  CHECKSUMS,
  `${CHECKSUMS}.sigstore.json`,
  `${CHECKSUMS}.provenance.sigstore.json`,
].sort()

let ws: TestWorkspace
let fake: FakeGitHub
const env = (options: { readonly token?: boolean } = {}) => ({
  root: ws.root,
  env: {
    ...ws.env,
    GITHUB_API_URL: fake.url,
    GITHUB_SERVER_URL: fake.url,
    ...(options.token === false ? {} : { GITHUB_TOKEN: TOKEN }),
  },
})
const writes = (requests: readonly string[]) => requests.filter((r) => !r.startsWith('GET '))
const assetNames = () =>
  (fake.releases.find((r) => r.tag_name === TAG)?.assets.map((a) => a.name) ?? []).sort()

beforeAll(async () => {
  fake = new FakeGitHub(TOKEN)
  await fake.start()
  ws = await exampleWorkspace({
    projects: ['time-server-go'],
    platforms: { 'time-server-go': ['linux/amd64', 'linux/arm64'] },
    config: {
      repository: 'https://github.com/owner/repo',
      destinations: { files: { type: 'github', repository: 'owner/repo' } },
    },
  })
})
afterAll(async () => {
  await fake.stop()
  await ws.remove()
})

describe('release files to GitHub Releases (loopback fake of the API)', () => {
  it('without GITHUB_TOKEN stops with RELEASE_CREDENTIALS_MISSING before building anything', async () => {
    const result = await polyship(['release'], env({ token: false }))
    expect(result.code).toBe(1)
    expect(result.stderr).toMatchInlineSnapshot(`
      "error RELEASE_CREDENTIALS_MISSING: destinations.files is GitHub (owner/repo) but GITHUB_TOKEN is not set; nothing was built or published
        hint: export GITHUB_TOKEN (in Actions: permissions contents: write, env GITHUB_TOKEN: \${{ secrets.GITHUB_TOKEN }})
      "
    `)
    expect(existsSync(join(ws.root, 'dist'))).toBe(false)
    expect(fake.requests).toEqual([])
    // --github-release overrides destinations.files (what release.yml passes in CI)
    const flagged = await polyship(['release', '--github-release', 'other/repo'], env({ token: false }))
    expect(flagged.stderr).toContain('destinations.files is GitHub (other/repo) but GITHUB_TOKEN is not set')
  })

  it('an asset with other bytes under a released name is RELEASE_CONFLICT; nothing is uploaded', async () => {
    // a draft someone left with a different checksums file
    fake.releases.push({
      id: 900,
      tag_name: TAG,
      name: 'time-server-go 0.1.0',
      body: '',
      draft: true,
      assets: [
        {
          id: 901,
          name: CHECKSUMS,
          size: 5,
          digest: `sha256:${createHash('sha256').update('other').digest('hex')}`,
          bytes: Buffer.from('other'),
        },
      ],
    })
    const result = await polyship(['release'], env())
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'error RELEASE_CONFLICT: 1 released name(s) already hold other content; nothing was published:',
    )
    expect(result.stderr).toContain(
      `${fake.url}/owner/repo/releases/download/${encodeURIComponent(TAG)}/${CHECKSUMS}`,
    )
    expect(writes(fake.requests)).toEqual([])
    expect(assetNames()).toEqual([CHECKSUMS])
  })

  it('--replace uploads every asset into the draft and publishes the release last', async () => {
    fake.requests.length = 0
    const result = await polyship(['release', '--replace'], env())
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`${CHECKSUMS} +replaced\\n`))
    const release = fake.releases.find((r) => r.tag_name === TAG)!
    expect(release.draft).toBe(false)
    expect(assetNames()).toEqual(ASSETS)
    const changes = writes(fake.requests)
    expect(changes.filter((r) => r.startsWith('DELETE '))).toEqual([
      'DELETE /repos/owner/repo/releases/assets/901',
    ])
    // every upload happens while the release is a draft; publishing it is the last write
    expect(changes.at(-1)).toBe('PATCH /repos/owner/repo/releases/900')
    expect(changes.filter((r) => r.startsWith('POST /uploads/'))).toHaveLength(ASSETS.length)
    expect(fake.bodies.at(-1)?.body).toEqual({ draft: false })
  })

  it('creates the release as a draft when there is none, and a re-run writes nothing', async () => {
    fake.releases.length = 0
    fake.requests.length = 0
    fake.bodies.length = 0
    const first = await polyship(['release'], env())
    expect(first.code, first.stderr).toBe(0)
    expect(fake.bodies.map((b) => [b.request, b.body.draft])).toEqual([
      ['POST /repos/owner/repo/releases', true],
      [expect.stringMatching(/^PATCH \/repos\/owner\/repo\/releases\/\d+$/), false],
    ])
    expect(writes(fake.requests).at(-1)).toMatch(/^PATCH /)
    expect(assetNames()).toEqual(ASSETS)

    fake.requests.length = 0
    const again = await polyship(['release'], env())
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/\n4 unchanged; record: /)
    expect(writes(fake.requests)).toEqual([])

    // verify downloads the assets from the published release's download URLs
    const verify = await polyship(['verify'], env())
    expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0)
    expect(verify.stdout).toMatch(/4 artifacts, \d+ checks: all passed/)
  })
})
