import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type RecordedArtifact, run } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type BuiltBinary,
  builtBinaries,
  goreleaserArtifacts,
  goreleaserMetadata,
  previousReleaseTags,
} from '../src/release/goreleaser.ts'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * dist/artifacts.json and dist/metadata.json against a fixture written from GoReleaser's
 * source (fixtures/goreleaser/README.md): same keys, same types, same `internal_type` per
 * `type`, `extra.Checksum` as `sha256:<hex>` where GoReleaser writes it.
 */

type Entry = Record<string, unknown> & { type: string; extra?: Record<string, unknown> }
const FIXTURES = join(import.meta.dirname, 'fixtures', 'goreleaser')
const fixture = async (name: string) => JSON.parse(await readFile(join(FIXTURES, name), 'utf8'))

/** Keys GoReleaser's `Artifact` marshals, in its field order. */
const ARTIFACT_KEYS = [
  'name',
  'path',
  'goos',
  'goarch',
  'goamd64',
  'go386',
  'goarm',
  'goarm64',
  'gomips',
  'goppc64',
  'goriscv64',
  'target',
  'internal_type',
  'type',
  'extra',
]
/** Extra keys polyship adds (none of them is a GoReleaser key with another meaning). */
const OWN_EXTRA = ['Project', 'Version', 'Of']

/** Checks `ours` against the fixture's entry of the same type: keys, key order, value types, internal_type. */
function expectGoreleaserShape(ours: readonly Entry[], theirs: readonly Entry[]): void {
  for (const entry of ours) {
    const keys = Object.keys(entry)
    expect(
      keys.every((k) => ARTIFACT_KEYS.includes(k)),
      `${entry.name}: ${keys}`,
    ).toBe(true)
    expect(keys).toEqual(ARTIFACT_KEYS.filter((k) => keys.includes(k)))
    const peer = theirs.find((t) => t.type === entry.type)
    if (peer === undefined) {
      expect(entry.internal_type, `${entry.type} is not a GoReleaser type`).toBeUndefined()
      continue
    }
    expect(entry.internal_type, entry.type).toBe(peer.internal_type)
    for (const key of keys.filter((k) => k !== 'extra'))
      if (key in peer) expect(typeof entry[key], `${entry.name}.${key}`).toBe(typeof peer[key])
    for (const [key, value] of Object.entries(entry.extra ?? {})) {
      if (OWN_EXTRA.includes(key)) continue
      const known = theirs.find((t) => t.extra !== undefined && key in t.extra)
      expect(known, `extra.${key} of ${entry.name} is not a GoReleaser key`).toBeDefined()
      expect(typeof value, `extra.${key}`).toBe(typeof known!.extra![key])
    }
    if (entry.extra?.Checksum !== undefined) expect(entry.extra.Checksum).toMatch(/^sha256:[0-9a-f]{64}$/)
  }
}

const digest = (c: string) => `sha256:${c.repeat(64)}` as const

describe('GoReleaser shapes (pure)', () => {
  it('an archive, its attestations, the checksums file and an image read as GoReleaser writes them', async () => {
    const theirs = (await fixture('artifacts.json')) as Entry[]
    const recorded: RecordedArtifact[] = [
      {
        kind: 'archive',
        name: 'tool_1.0.0_linux_amd64.tar.gz',
        project: 'tool',
        version: '1.0.0',
        platform: 'linux/amd64',
        digest: digest('a'),
        size: 10,
        locations: ['assets/tool_1.0.0_linux_amd64.tar.gz'],
        signature: { location: 'assets/tool_1.0.0_linux_amd64.tar.gz.sigstore.json', digest: digest('b') },
        sbom: { location: 'assets/tool_1.0.0_linux_amd64.tar.gz.cdx.json', digest: digest('c') },
        provenance: { location: 'assets/tool_1.0.0_linux_amd64.tar.gz.intoto.jsonl', digest: digest('d') },
      },
      {
        kind: 'archive',
        name: 'tool_1.0.0_linux_armv7.tar.gz',
        project: 'tool',
        version: '1.0.0',
        platform: 'linux/arm/v7',
        digest: digest('e'),
        size: 10,
        locations: [
          'https://github.com/acme/tool/releases/download/tool%401.0.0/tool_1.0.0_linux_armv7.tar.gz',
        ],
      },
      {
        kind: 'checksums',
        name: 'tool_1.0.0_checksums.txt',
        project: 'tool',
        version: '1.0.0',
        digest: digest('f'),
        size: 10,
        locations: ['assets/tool_1.0.0_checksums.txt'],
      },
      {
        kind: 'image-index',
        name: 'tool',
        project: 'tool',
        version: '1.0.0',
        digest: digest('1'),
        size: 10,
        locations: ['ghcr.io/acme/tool:1.0.0'],
        signature: { location: `ghcr.io/acme/tool@${digest('2')}`, digest: digest('2') },
      },
    ]
    const ours = goreleaserArtifacts(recorded, 'dist') as unknown as Entry[]
    expectGoreleaserShape(ours, theirs)
    expect(ours.map((e) => [e.type, e.name, e.path])).toEqual([
      ['Archive', 'tool_1.0.0_linux_amd64.tar.gz', 'dist/assets/tool_1.0.0_linux_amd64.tar.gz'],
      [
        'Signature',
        'tool_1.0.0_linux_amd64.tar.gz.sigstore.json',
        'dist/assets/tool_1.0.0_linux_amd64.tar.gz.sigstore.json',
      ],
      [
        'SBOM',
        'tool_1.0.0_linux_amd64.tar.gz.cdx.json',
        'dist/assets/tool_1.0.0_linux_amd64.tar.gz.cdx.json',
      ],
      [
        'SLSA Provenance',
        'tool_1.0.0_linux_amd64.tar.gz.intoto.jsonl',
        'dist/assets/tool_1.0.0_linux_amd64.tar.gz.intoto.jsonl',
      ],
      [
        'Archive',
        'tool_1.0.0_linux_armv7.tar.gz',
        'https://github.com/acme/tool/releases/download/tool%401.0.0/tool_1.0.0_linux_armv7.tar.gz',
      ],
      ['Checksum', 'tool_1.0.0_checksums.txt', 'dist/assets/tool_1.0.0_checksums.txt'],
      // The image's signature is a referrer in the registry, not a file: not listed.
      ['Docker Manifest', 'tool', 'ghcr.io/acme/tool:1.0.0'],
    ])
    expect(ours[0]).toMatchObject({ goos: 'linux', goarch: 'amd64', goamd64: 'v1', target: 'linux_amd64_v1' })
    expect(ours[0]!.extra).toEqual({
      ID: 'tool',
      Checksum: digest('a'),
      Format: 'tar.gz',
      WrappedIn: '',
      Project: 'tool',
      Version: '1.0.0',
      Size: 10,
    })
    expect(ours[4]).toMatchObject({ goos: 'linux', goarch: 'arm', goarm: '7', target: 'linux_arm_7' })
    expect(ours[6]!.extra).toMatchObject({ Digest: digest('1') })
    expect(ours[6]!.extra).not.toHaveProperty('Checksum')
  })

  it("built Go and Rust binaries are Binary entries as GoReleaser's go and rust builders add them, before the archives", async () => {
    const theirs = (await fixture('artifacts.json')) as Entry[]
    const binary = (b: Partial<BuiltBinary>): BuiltBinary => ({
      project: 'tool',
      version: '1.0.0',
      name: 'tool',
      platform: 'linux/amd64',
      target: 'linux/amd64',
      toolchain: 'go',
      path: 'build/tool/linux-amd64/tool',
      ...b,
    })
    const archive: RecordedArtifact = {
      kind: 'archive',
      name: 'tool_1.0.0_linux_amd64.tar.gz',
      project: 'tool',
      version: '1.0.0',
      platform: 'linux/amd64',
      digest: digest('a'),
      size: 10,
      locations: ['assets/tool_1.0.0_linux_amd64.tar.gz'],
    }
    const ours = goreleaserArtifacts([archive], 'dist', [
      binary({}),
      binary({
        platform: 'windows/arm64',
        target: 'windows/arm64',
        path: 'build/tool/windows-arm64/tool.exe',
      }),
      binary({
        project: 'rtool',
        name: 'rtool',
        toolchain: 'rust',
        target: 'x86_64-unknown-linux-gnu',
        path: 'build/rtool/x86_64-unknown-linux-gnu/rtool',
      }),
      binary({
        project: 'rtool',
        name: 'rtool',
        toolchain: 'rust',
        platform: 'linux/arm/v7',
        target: 'armv7-unknown-linux-musleabihf',
        path: 'build/rtool/armv7-unknown-linux-musleabihf/rtool',
      }),
    ]) as unknown as Entry[]
    expectGoreleaserShape(ours, theirs)
    expect(ours.map((e) => e.type)).toEqual(['Binary', 'Binary', 'Binary', 'Binary', 'Archive'])
    expect(ours[0]).toEqual({
      name: 'tool',
      path: 'dist/build/tool/linux-amd64/tool',
      goos: 'linux',
      goarch: 'amd64',
      goamd64: 'v1',
      target: 'linux_amd64_v1',
      internal_type: 4,
      type: 'Binary',
      extra: { Binary: 'tool', Builder: 'go', Ext: '', ID: 'tool', Project: 'tool', Version: '1.0.0' },
    })
    expect(ours[1]).toMatchObject({
      name: 'tool.exe',
      goos: 'windows',
      goarch: 'arm64',
      target: 'windows_arm64_v8.0',
      extra: { Binary: 'tool', Ext: '.exe' },
    })
    const rust = theirs.find((t) => t.extra?.Builder === 'rust')!
    const { path: _ours, extra: oursExtra, ...oursRest } = ours[2]!
    const { path: _theirs, extra: theirsExtra, ...theirsRest } = rust
    expect(oursRest).toEqual(theirsRest)
    expect(oursExtra).toEqual({ ...theirsExtra, Project: 'rtool', Version: '1.0.0' })
    expect(ours[3]).toMatchObject({
      goos: 'linux',
      goarch: 'arm',
      goarm: '7',
      target: 'armv7-unknown-linux-musleabihf',
      extra: { Abi: 'musleabihf', Builder: 'rust' },
    })
  })

  it('metadata.json has GoReleaser fields for one project, and lists each when several are released', async () => {
    const theirs = await fixture('metadata.json')
    const projects = [{ name: 'tool', version: '1.1.0', tag: 'tool@1.1.0' }]
    const previous = previousReleaseTags(projects, ['tool@1.0.0', 'tool@0.9.0', 'tool@1.2.0', 'other@1.0.9'])
    expect(previous).toEqual(new Map([['tool', 'tool@1.0.0']]))
    const one = goreleaserMetadata({
      workspace: 'repo',
      projects,
      previousTags: previous,
      commit: 'c0ffee',
      date: '2026-01-01T00:00:00.000Z',
      platform: 'win32',
      arch: 'x64',
    })
    expect(Object.keys(one)).toEqual(Object.keys(theirs))
    expect(Object.keys(one.runtime)).toEqual(Object.keys(theirs.runtime))
    expect(one).toEqual({
      project_name: 'tool',
      tag: 'tool@1.1.0',
      previous_tag: 'tool@1.0.0',
      version: '1.1.0',
      commit: 'c0ffee',
      date: '2026-01-01T00:00:00.000Z',
      runtime: { goos: 'windows', goarch: 'amd64' },
    })
    const two = goreleaserMetadata({
      workspace: 'repo',
      projects: [...projects, { name: 'web', version: '0.1.0', tag: 'web@0.1.0' }],
      previousTags: previous,
      commit: 'c0ffee',
      date: '2026-01-01T00:00:00.000Z',
    })
    expect(Object.keys(two)).toEqual([...Object.keys(theirs), 'projects'])
    expect(two).toMatchObject({ project_name: 'repo', tag: '', version: '', projects: [{}, {}] })
  })
})

const GO_MAIN =
  'package main\n\nimport "fmt"\n\nvar version = "dev"\n\nfunc main() { fmt.Println(version) }\n'

describe('GoReleaser shapes of a real release', () => {
  let ws: TestWorkspace
  beforeAll(async () => {
    ws = await exampleWorkspace({
      projects: [],
      globs: ['go/tool'],
      files: {
        'go/tool/package.json': `${JSON.stringify({
          name: 'tool',
          version: '1.0.0',
          private: true,
          polyship: { binary: { toolchain: 'go', platforms: ['linux/amd64', 'linux/arm64'] } },
        })}\n`,
        'go/tool/go.mod': 'module example.com/tool\n\ngo 1.22\n',
        'go/tool/main.go': GO_MAIN,
        'go/tool/LICENSE': 'MIT\n',
      },
    })
  }, 120_000)
  afterAll(() => ws?.remove())

  it('artifacts.json lists binaries, archives, checksums, signatures, SBOMs and provenance; Checksum is each file sha256', async () => {
    const result = await polyship(['release'], ws)
    expect(result.code, result.stderr).toBe(0)
    const ours = JSON.parse(await readFile(join(ws.root, 'dist', 'artifacts.json'), 'utf8')) as Entry[]
    expectGoreleaserShape(ours, await fixture('artifacts.json'))
    const types = ours.map((e) => e.type)
    expect(types.filter((t) => t === 'Archive')).toHaveLength(2)
    // The binaries the build left in dist/build, as GoReleaser lists its builds' output.
    const binaries = ours.filter((e) => e.type === 'Binary')
    expect(binaries.map((e) => [e.name, e.target, e.extra?.Builder])).toEqual([
      ['tool', 'linux_amd64_v1', 'go'],
      ['tool', 'linux_arm64_v8.0', 'go'],
    ])
    // A unit of another version, or one polyship cannot read, is not this release's.
    const unitOf = (entry: Entry) => (entry.path as string).split('/')[2]!
    const dist = join(ws.root, 'dist')
    await mkdir(join(dist, 'build', 'stale'), { recursive: true })
    await writeFile(
      join(dist, 'build', 'stale', 'build.json'),
      JSON.stringify({
        ...JSON.parse(await readFile(join(dist, 'build', unitOf(binaries[0]!), 'build.json'), 'utf8')),
        version: '0.9.0',
      }),
    )
    await mkdir(join(dist, 'build', 'torn'), { recursive: true })
    await writeFile(join(dist, 'build', 'torn', 'build.json'), '{"schema":')
    const record = JSON.parse(await readFile(join(dist, 'release.json'), 'utf8'))
    expect((await builtBinaries(dist, record.artifacts)).map((b) => b.platform)).toEqual([
      'linux/amd64',
      'linux/arm64',
    ])
    for (const entry of binaries) {
      expect(entry.path as string).toMatch(/^dist\/build\//)
      const head = (await readFile(join(ws.root, entry.path as string))).subarray(0, 4)
      expect(head.toString('latin1')).toBe('\x7fELF')
    }
    expect(types.filter((t) => t === 'Checksum')).toHaveLength(1)
    expect(types.filter((t) => t === 'Signature')).toHaveLength(3)
    expect(types.filter((t) => t === 'SBOM').length).toBeGreaterThanOrEqual(2)
    expect(ours.find((e) => e.goarch === 'arm64')).toMatchObject({
      goarm64: 'v8.0',
      target: 'linux_arm64_v8.0',
    })
    // What the SLSA generator's GoReleaser recipe does: the Archive entries' path and extra.Checksum.
    for (const entry of ours.filter((e) => e.extra?.Checksum !== undefined)) {
      const bytes = await readFile(join(ws.root, entry.path as string))
      expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, entry.name as string).toBe(
        entry.extra?.Checksum,
      )
    }
    const metadata = JSON.parse(await readFile(join(ws.root, 'dist', 'metadata.json'), 'utf8'))
    const commit = (await run('git', ['rev-parse', 'HEAD'], { cwd: ws.root })).stdout.trim()
    expect(metadata).toMatchObject({
      project_name: 'tool',
      tag: 'tool@1.0.0',
      previous_tag: '',
      version: '1.0.0',
      commit,
    })
    expect(Object.keys(metadata)).toEqual(Object.keys(await fixture('metadata.json')))
  }, 600_000)
})
