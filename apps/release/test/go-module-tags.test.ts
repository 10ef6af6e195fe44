import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CoreError, type Project, run } from '@polyship/core'
import { createReleaseTags, goModuleTag } from '@polyship/versioning'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { goModuleTags } from '../src/release/released.ts'
import { FakeGitHub } from './fake-github.ts'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'polyship test',
  GIT_AUTHOR_EMAIL: 'test@polyship.invalid',
  GIT_COMMITTER_NAME: 'polyship test',
  GIT_COMMITTER_EMAIL: 'test@polyship.invalid',
}
const git = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd, env: gitEnv })).stdout

const MAIN = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("foo") }\n'

function project(root: string, dir: string, name: string): Project {
  return {
    name,
    version: '1.2.0',
    root: join(root, dir),
    dir,
    manifestPath: join(root, dir, 'package.json'),
    config: { binary: { toolchain: 'go' } },
    dependsOn: [],
  }
}

describe('Go module tags', () => {
  it('spell <module dir>/v<version> as Go looks them up', () => {
    expect(goModuleTag('', 'example.com/tool', '1.2.0')).toBe('v1.2.0')
    expect(goModuleTag('services/foo', 'example.com/repo/services/foo', '1.2.0')).toBe('services/foo/v1.2.0')
    expect(goModuleTag('services/foo', 'example.com/repo/services/foo', '0.3.0-rc.1')).toBe(
      'services/foo/v0.3.0-rc.1',
    )
    // Major version 2+: the module path carries /vN; a major subdirectory is tagged under its parent.
    expect(goModuleTag('services/foo', 'example.com/repo/services/foo/v2', '2.1.0')).toBe(
      'services/foo/v2.1.0',
    )
    expect(goModuleTag('services/foo/v2', 'example.com/repo/services/foo/v2', '2.1.0')).toBe(
      'services/foo/v2.1.0',
    )
    expect(goModuleTag('v3', 'example.com/tool/v3', '3.0.0')).toBe('v3.0.0')
    // Versions Go refuses for the module get no tag.
    expect(goModuleTag('services/foo', 'example.com/repo/services/foo', '2.0.0')).toBeUndefined()
    expect(goModuleTag('services/foo', 'example.com/repo/services/foo/v2', '1.4.0')).toBeUndefined()
    expect(goModuleTag('services/foo', 'example.com/repo/services/foo', '1.0.0+build.5')).toBeUndefined()
  })

  it('are written beside <name>@<version>, and `go install module@version` resolves them from git', async () => {
    const base = await mkdtemp(join(tmpdir(), 'polyship-gotags-'))
    const repo = join(base, 'repo')
    // `.git` in the module path makes Go clone https://example.test/repo with no go-get lookup;
    // git's insteadOf sends that to the local repository.
    const module = 'example.test/repo.git/services/foo'
    await mkdir(join(repo, 'services', 'foo'), { recursive: true })
    await mkdir(join(repo, 'web'), { recursive: true })
    await writeFile(join(repo, 'services', 'foo', 'go.mod'), `module ${module}\n\ngo 1.22\n`)
    await writeFile(join(repo, 'services', 'foo', 'main.go'), MAIN)
    await writeFile(join(repo, 'web', 'package.json'), '{"name":"web","version":"1.2.0"}\n')
    await git(base, 'init', '-q', '-b', 'main', repo)
    await git(repo, 'add', '-A')
    await git(repo, 'commit', '-q', '-m', 'init')

    const foo = project(repo, 'services/foo', 'foo')
    const web = project(repo, 'web', 'web')
    const tags = await goModuleTags(
      [
        { project: foo, version: '1.2.0' },
        { project: web, version: '1.2.0' },
      ],
      repo,
      process.env,
    )
    expect([...tags]).toEqual([['foo', ['services/foo/v1.2.0']]])
    const output = join(base, 'changesets.ndjson')
    const result = await createReleaseTags(
      repo,
      [
        { name: 'foo', version: '1.2.0', goTags: tags.get('foo')! },
        { name: 'web', version: '1.2.0' },
      ],
      { outputFile: output },
    )
    expect(result).toEqual({ created: ['foo@1.2.0', 'services/foo/v1.2.0', 'web@1.2.0'], existing: [] })
    // changesets/action makes one GitHub release per line: the Go tag is not one of them.
    expect(await readFile(output, 'utf8')).toBe(
      '{"type":"git-tag","tag":"foo@1.2.0","packageName":"foo"}\n' +
        '{"type":"git-tag","tag":"web@1.2.0","packageName":"web"}\n',
    )
    // A resumed release finds every tag in place.
    expect(
      await createReleaseTags(repo, [{ name: 'foo', version: '1.2.0', goTags: ['services/foo/v1.2.0'] }]),
    ).toEqual({ created: [], existing: ['foo@1.2.0', 'services/foo/v1.2.0'] })

    const gitconfig = join(base, 'gitconfig')
    await writeFile(
      gitconfig,
      `[url "file://${repo}"]\n\tinsteadOf = https://example.test/repo\n[protocol "file"]\n\tallow = always\n`,
    )
    const goEnv = {
      ...process.env,
      GIT_CONFIG_GLOBAL: gitconfig,
      GIT_CONFIG_NOSYSTEM: '1',
      GOPROXY: 'direct',
      GOPRIVATE: 'example.test',
      GOFLAGS: '-mod=mod',
      GOTOOLCHAIN: 'local',
      GOPATH: join(base, 'gopath'),
      GOBIN: join(base, 'bin'),
    }
    await run('go', ['install', `${module}@v1.2.0`], { cwd: base, env: goEnv, timeoutMs: 300_000 })
    const binary = join(base, 'bin', 'foo')
    expect((await run(binary, [])).stdout).toBe('foo\n')
    const info = (await run('go', ['version', '-m', binary], { env: goEnv })).stdout
    expect(info).toMatch(new RegExp(`\\tmod\\t${module.replace(/\./g, '\\.')}\\tv1\\.2\\.0\\t`))

    // Without the Go tag, `<name>@<version>` alone gives Go nothing to resolve.
    await git(repo, 'tag', 'bar@1.3.0')
    const missing = await run('go', ['install', `${module}@v1.3.0`], {
      cwd: base,
      env: goEnv,
      timeoutMs: 300_000,
    }).catch((error: unknown) => error)
    expect(missing).toBeInstanceOf(CoreError)
    expect((missing as CoreError).message).toMatch(/v1\.3\.0/)
  })
})

describe('a release to GitHub (FAKE GitHub API) of a Go module in a subdirectory', () => {
  const TOKEN = 'ghs_goTagsTestToken0123456789'
  let fake: FakeGitHub
  let ws: TestWorkspace
  beforeAll(async () => {
    fake = new FakeGitHub(TOKEN)
    await fake.start()
    ws = await exampleWorkspace({
      projects: [],
      globs: ['services/*'],
      files: {
        'services/foo/package.json': `${JSON.stringify({
          name: 'foo',
          version: '1.2.0',
          private: true,
          polyship: { binary: { toolchain: 'go', platforms: ['linux/amd64'] } },
        })}\n`,
        'services/foo/go.mod': 'module example.com/repo/services/foo\n\ngo 1.22\n',
        'services/foo/main.go': MAIN,
      },
      config: {
        repository: 'https://github.com/owner/repo',
        destinations: { files: { type: 'github', repository: 'owner/repo' } },
      },
    })
  }, 120_000)
  afterAll(async () => {
    await ws?.remove()
    await fake?.stop()
  })

  it('writes services/foo/v1.2.0 beside foo@1.2.0 and the record says so', async () => {
    const result = await polyship(['release'], {
      root: ws.root,
      env: { ...ws.env, GITHUB_API_URL: fake.url, GITHUB_SERVER_URL: fake.url, GITHUB_TOKEN: TOKEN },
    })
    expect(result.code, result.stderr).toBe(0)
    expect((await git(ws.root, 'tag', '--list')).split('\n').filter(Boolean).sort()).toEqual([
      'foo@1.2.0',
      'services/foo/v1.2.0',
    ])
    const record = JSON.parse(await readFile(join(ws.root, 'dist', 'release.json'), 'utf8')) as {
      projects: { name: string; tag: string; goTags?: string[] }[]
    }
    expect(record.projects).toEqual([
      expect.objectContaining({ name: 'foo', tag: 'foo@1.2.0', goTags: ['services/foo/v1.2.0'] }),
    ])
  }, 600_000)
})
