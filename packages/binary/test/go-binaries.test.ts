import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type BinaryRelease,
  buildBinaryRelease,
  buildGoBinaries,
  goPlatforms,
  planBinaries,
  readGitStamp,
} from '@polyship/binary'
import { formatPlatform, loadWorkspace, parsePlatform } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf, makeWorkspace, removeWorkspaces, sh, type TestWorkspace } from './workspace.ts'

const stamp = { commit: 'abc1234def5678', date: '2026-01-02T03:04:05Z' }

const MAIN = (name: string) =>
  `package main\n\nimport "fmt"\n\nvar (\n\tversion = "dev"\n\tcommit  = "none"\n\tbuiltBy = "nobody"\n\tflavor  = "plain"\n)\n\nfunc main() { fmt.Println("${name}", version, commit, builtBy, flavor) }\n`

/** One module, two main packages (podinfo's cmd/podinfo beside cmd/podcli), one behind a build tag. */
export function twoMains(binary: object = {}, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'package.json': JSON.stringify({
      name: 'podtool',
      version: '1.2.0',
      polyship: {
        binary: {
          toolchain: 'go',
          platforms: ['linux/amd64'],
          binaries: [
            {
              main: './cmd/podserve',
              tags: ['fancy', 'netgo'],
              ldflags: { extra: ['-X main.builtBy=polyship-{{ .ShortCommit }}'] },
            },
            { main: './cmd/podcli', strip: false },
          ],
          ...binary,
        },
      },
    }),
    'go.mod': 'module example.com/podtool\n\ngo 1.22\n',
    'cmd/podserve/main.go': MAIN('podserve'),
    'cmd/podserve/fancy.go': '//go:build fancy\n\npackage main\n\nfunc init() { flavor = "fancy" }\n',
    'cmd/podcli/main.go': MAIN('podcli'),
    'cmd/podcli/fancy.go': '//go:build fancy\n\npackage main\n\nfunc init() { flavor = "fancy" }\n',
    LICENSE: 'MIT\n',
    ...extra,
  }
}

describe('a Go module with two mains, build tags and ldflags', () => {
  afterAll(removeWorkspaces)
  let ws: TestWorkspace
  let release: BinaryRelease

  beforeAll(async () => {
    ws = await makeWorkspace(twoMains({ goamd64: ['v1', 'v3'] }), { git: true })
    const gitStamp = await readGitStamp(ws.root)
    release = await buildBinaryRelease(ws.project, { ...gitStamp, outDir: ws.outDir, concurrency: 2 })
  })

  it('builds every binary for every platform and GOAMD64 level, named like GoReleaser', () => {
    expect(release.binaryNames).toEqual(['podserve', 'podcli'])
    expect(
      release.binaries.map((b) => [b.name, formatPlatform(b.artifact.platform), b.artifact.extra?.goamd64]),
    ).toEqual([
      ['podserve', 'linux/amd64', 'v1'],
      ['podcli', 'linux/amd64', 'v1'],
      ['podserve', 'linux/amd64/v3', 'v3'],
      ['podcli', 'linux/amd64/v3', 'v3'],
    ])
    expect(release.binaries.map((b) => b.artifact.path)).toEqual([
      join(ws.outDir, 'podserve_linux_amd64', 'podserve'),
      join(ws.outDir, 'podcli_linux_amd64', 'podcli'),
      join(ws.outDir, 'podserve_linux_amd64v3', 'podserve'),
      join(ws.outDir, 'podcli_linux_amd64v3', 'podcli'),
    ])
    expect(release.archives.map((a) => a.name)).toEqual([
      'podtool_1.2.0_linux_amd64.tar.gz',
      'podtool_1.2.0_linux_amd64v3.tar.gz',
    ])
  })

  it('puts both binaries in each archive, and sha256sum -c accepts the checksums', () => {
    for (const archive of release.archives)
      expect(sh('tar', ['-tzf', archive.path]).trim().split('\n')).toEqual(['LICENSE', 'podcli', 'podserve'])
    const verdicts = sh('sha256sum', ['-c', release.checksums.name], ws.outDir).trim().split('\n')
    expect(verdicts).toEqual([
      'podtool_1.2.0_linux_amd64.tar.gz: OK',
      'podtool_1.2.0_linux_amd64v3.tar.gz: OK',
    ])
  })

  it('go version -m shows each binary`s main package, tags and GOAMD64; the artifact records its ldflags', () => {
    const info = (i: number) => sh('go', ['version', '-m', release.binaries[i]!.artifact.path])
    const serve = info(0)
    expect(serve).toMatch(/\tpath\texample\.com\/podtool\/cmd\/podserve\n/)
    expect(serve).toMatch(/\tbuild\t-tags=fancy,netgo\n/)
    expect(serve).toMatch(/\tbuild\tGOAMD64=v1\n/)
    // cmd/go leaves -ldflags out of the build info under -trimpath (they may hold paths),
    // so the artifact carries them instead.
    expect(serve).not.toMatch(/-ldflags/)
    expect(release.binaries[0]!.artifact.extra).toMatchObject({
      tags: 'fancy,netgo',
      ldflags: expect.stringMatching(
        /^-s -w -X main\.version=1\.2\.0 .*-X main\.builtBy=polyship-[0-9a-f]{7}$/,
      ),
    })
    const cli = info(1)
    expect(cli).toMatch(/\tpath\texample\.com\/podtool\/cmd\/podcli\n/)
    expect(cli).not.toMatch(/-tags=/)
    expect(release.binaries[1]!.artifact.extra?.ldflags).toMatch(/^-X main\.version=1\.2\.0 /)
    expect(info(2)).toMatch(/\tbuild\tGOAMD64=v3\n/)
  })

  it('runs: the tagged file is in podserve only, extra ldflags filled in', async () => {
    const { commit } = await readGitStamp(ws.root)
    expect(sh(release.binaries[0]!.artifact.path, []).trim()).toBe(
      `podserve 1.2.0 ${commit} polyship-${commit.slice(0, 7)} fancy`,
    )
    expect(sh(release.binaries[1]!.artifact.path, []).trim()).toBe(`podcli 1.2.0 ${commit} nobody plain`)
    // strip: false keeps the symbol table
    expect(sh('file', ['-b', release.binaries[1]!.artifact.path])).toMatch(/not stripped/)
    expect(sh('file', ['-b', release.binaries[0]!.artifact.path])).toMatch(/, stripped/)
  })

  it('plans the same binaries and targets without compiling', async () => {
    const plan = await planBinaries(ws.project)
    expect(plan.binaries).toEqual(['podserve', 'podcli'])
    expect(plan.targets.map((t) => t.target)).toEqual(['linux/amd64 GOAMD64=v1', 'linux/amd64 GOAMD64=v3'])
    expect(plan.targets.every((t) => t.skipped === undefined)).toBe(true)
  })
})

describe('goamd64 and goarm expand variant-less platforms', () => {
  it('keeps v1 on the plain platform, names the others amd64v3 / armv6', () => {
    const platforms = ['linux/amd64', 'linux/arm', 'linux/arm/v7', 'linux/arm64'].map((p) => parsePlatform(p))
    const expanded = goPlatforms({ toolchain: 'go', goamd64: ['v1', 'v3'], goarm: ['6', '7'] }, platforms)
    expect(expanded.map((p) => [formatPlatform(p.platform), p.goamd64])).toEqual([
      ['linux/amd64', 'v1'],
      ['linux/amd64/v3', undefined],
      ['linux/arm/v6', undefined],
      ['linux/arm/v7', undefined],
      ['linux/arm64', undefined],
    ])
    expect(goPlatforms({ toolchain: 'go' }, platforms).map((p) => formatPlatform(p.platform))).toEqual([
      'linux/amd64',
      'linux/arm',
      'linux/arm/v7',
      'linux/arm64',
    ])
  })
})

describe('Go binaries: main packages and names', () => {
  afterAll(removeWorkspaces)

  it('`main: ".."` (or any main out of the project) is BINARY_PROJECT_INVALID naming the field', async () => {
    for (const main of ['..', '../other', '/usr/src', 'cmd/../../x']) {
      const ws = await makeWorkspace(twoMains({ binaries: undefined, main }))
      expect(await codeOf(buildGoBinaries(ws.project, { ...stamp, outDir: ws.outDir }))).toMatch(
        /^BINARY_PROJECT_INVALID: .*package\.json: polyship\.binary\.main ".*" (points outside the project|is absolute); main is a package path inside the project/,
      )
    }
    const ws = await makeWorkspace(twoMains({ binaries: [{ main: './cmd/podcli' }, { main: '..' }] }))
    expect(await codeOf(planBinaries(ws.project))).toMatch(
      /^BINARY_PROJECT_INVALID: .*polyship\.binary\.binaries\[1\]\.main "\.\." points outside the project/,
    )
  })

  it('a missing main directory, a clash of names, or main beside binaries is BINARY_PROJECT_INVALID', async () => {
    const missing = await makeWorkspace(twoMains({ binaries: [{ main: './cmd/nothere' }] }))
    expect(await codeOf(buildGoBinaries(missing.project, { ...stamp, outDir: missing.outDir }))).toMatch(
      /^BINARY_PROJECT_INVALID: .*polyship\.binary\.binaries\[0\]\.main "\.\/cmd\/nothere": .*cmd\/nothere does not exist/,
    )
    const clash = await makeWorkspace(
      twoMains({ binaries: [{ main: './cmd/podcli' }, { main: './cmd/podserve', name: 'podcli' }] }),
    )
    expect(await codeOf(buildGoBinaries(clash.project, { ...stamp, outDir: clash.outDir }))).toMatch(
      /^BINARY_PROJECT_INVALID: .*polyship\.binary\.binaries\[1\] and polyship\.binary\.binaries\[0\] are both named "podcli"/,
    )
    const both = await makeWorkspace(twoMains({ main: './cmd/podcli' }))
    expect(await codeOf(buildGoBinaries(both.project, { ...stamp, outDir: both.outDir }))).toMatch(
      /^BINARY_PROJECT_INVALID: .*set main and name in each entry of binaries, not beside it \(found main\)/,
    )
    const template = await makeWorkspace(
      twoMains({ binaries: [{ main: './cmd/podcli', ldflags: { extra: ['-X main.x={{ .Env.HOME }}'] } }] }),
    )
    expect(await codeOf(buildGoBinaries(template.project, { ...stamp, outDir: template.outDir }))).toMatch(
      /^BINARY_PROJECT_INVALID: .*polyship\.binary\.binaries\[0\]\.ldflags\.extra\[0\]: unknown template \{\{ \.Env\.HOME \}\}/,
    )
  })

  it('a project inside a module (cmd/podcli as its own project) finds the go.mod above it', async () => {
    const ws = await makeWorkspace({
      'package.json': JSON.stringify({
        name: 'podcli',
        version: '0.3.0',
        polyship: { binary: { toolchain: 'go', platforms: ['linux/amd64'] } },
      }),
      'main.go': MAIN('podcli'),
    })
    await writeFile(join(ws.root, 'go.mod'), 'module example.com/mono\n\ngo 1.22\n')
    const project = (await loadWorkspace(ws.root)).projects[0]!
    const build = await buildGoBinaries(project, { ...stamp, outDir: ws.outDir })
    expect(build.binaryNames).toEqual(['proj'])
    const out = build.binaries[0]!.artifact.path
    expect(execFileSync(out, { encoding: 'utf8' }).trim()).toBe('podcli 0.3.0 abc1234def5678 nobody plain')
    expect(sh('go', ['version', '-m', out])).toMatch(/\tpath\texample\.com\/mono\/proj\n/)
  })
})
