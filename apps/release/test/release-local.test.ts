import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { parseReleaseRecord, type ReleaseRecord, sha256 } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { treeState } from './destination-state.ts'
import { exampleWorkspace, polyship, type TestWorkspace, tool } from './workspace.ts'

/**
 * The README's main command on a fresh clone: `polyship release` with no polyship.json
 * destinations and no account releases examples/ to dist/ (OCI layout, simple index, assets),
 * signed with a key generated on first use. Checked with the tools users have: skopeo,
 * cosign, pip, sha256sum. The workspace is built once; later cases reuse its caches.
 * This is a maintainer's machine, not CI: in CI polyship never generates a key.
 */

const BASE_CONFIG = { repository: 'https://github.com/polyship/polyship', bases: { python: 'scratch' } }

let ws: TestWorkspace
const dist = (...path: string[]) => join(ws.root, 'dist', ...path)
const published = () => ({
  oci: existsSync(dist('oci')),
  assets: existsSync(dist('assets')),
  pypi: existsSync(dist('pypi')),
  record: existsSync(dist('release.json')),
})
const readRecord = async (path: string): Promise<ReleaseRecord> =>
  parseReleaseRecord(JSON.parse(await readFile(path, 'utf8')), path)
const digests = (record: ReleaseRecord) =>
  record.artifacts.map((a) => `${a.kind} ${a.name} ${a.platform ?? '-'} ${a.digest}`).sort()
/** The result table without host-specific wheel tags. */
const table = (stdout: string) =>
  stdout
    .replace(/cp39-abi3-\S+\.whl/g, 'cp39-abi3-<platform>.whl')
    .split('\n')
    .filter((line) => !line.startsWith('signed with') && !line.includes('record:'))
    .join('\n')

beforeAll(async () => {
  ws = await exampleWorkspace({
    platforms: {
      'time-server-go': ['linux/amd64', 'linux/arm64'],
      'echo-server-rust': ['linux/amd64', 'linux/arm64'],
    },
    config: BASE_CONFIG,
    ci: false,
  })
})
afterAll(() => ws.remove())

describe('release to the embedded destinations (no configuration, no account)', () => {
  it('--dry-run builds, asks the destinations and prints the plan; nothing is published or signed', async () => {
    const result = await polyship(['release', '--dry-run'], ws)
    expect(result.code, result.stderr).toBe(0)
    expect(table(result.stdout)).toMatchInlineSnapshot(`
      "project           kind       artifact                                                                 would be
      ----------------  ---------  -----------------------------------------------------------------------  --------
      echo-server-rust  checksums  echo-server-rust_0.1.0_checksums.txt                                     new
      echo-server-rust  archive    echo-server-rust_0.1.0_linux_amd64.tar.gz                                new
      echo-server-rust  image      echo-server-rust:0.1.0                                                   new
      fastjson          wheel      fastjson-0.1.0-cp39-abi3-<platform>.whl  new
      fastjson          sdist      fastjson-0.1.0.tar.gz                                                    new
      fastjson          image      fastjson:0.1.0                                                           new
      time-server-go    checksums  time-server-go_0.1.0_checksums.txt                                       new
      time-server-go    archive    time-server-go_0.1.0_linux_amd64.tar.gz                                  new
      time-server-go    archive    time-server-go_0.1.0_linux_arm64.tar.gz                                  new
      time-server-go    image      time-server-go:0.1.0                                                     new
      mcp-stack         chart      mcp-stack:0.1.0                                                          new

      dry run: 11 new; nothing was published
      "
    `)
    expect(published()).toEqual({ oci: false, assets: false, pypi: false, record: false })
    expect(existsSync(join(ws.configHome, 'polyship', 'cosign.key'))).toBe(false)
  })

  it('--snapshot plans a pre-release of every project (Rust included) and publishes nothing', async () => {
    const commit = (await tool('git', ['rev-parse', 'HEAD'], ws.root)).trim().slice(0, 12)
    const result = await polyship(['release', '--snapshot'], ws)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`time-server-go_0.1.0-snapshot.${commit}_linux_amd64.tar.gz`)
    expect(result.stdout).toContain(`echo-server-rust:0.1.0-snapshot.${commit}`)
    expect(result.stdout).toContain(`mcp-stack:0.1.0-snapshot.${commit}`)
    expect(result.stdout).toMatch(/snapshot: 11 new; nothing was published/)
    expect(published()).toEqual({ oci: false, assets: false, pypi: false, record: false })
  })

  it('releases every project signed, with SBOMs and provenance; output to a pipe is plain lines', async () => {
    const result = await polyship(['release'], ws)
    expect(result.code, result.stderr).toBe(0)
    expect(table(result.stdout)).toMatchInlineSnapshot(`
      "project           kind       artifact                                                                 outcome
      ----------------  ---------  -----------------------------------------------------------------------  ---------
      echo-server-rust  checksums  echo-server-rust_0.1.0_checksums.txt                                     published
      echo-server-rust  archive    echo-server-rust_0.1.0_linux_amd64.tar.gz                                published
      echo-server-rust  image      echo-server-rust:0.1.0                                                   published
      fastjson          wheel      fastjson-0.1.0-cp39-abi3-<platform>.whl  published
      fastjson          sdist      fastjson-0.1.0.tar.gz                                                    published
      fastjson          image      fastjson:0.1.0                                                           published
      time-server-go    checksums  time-server-go_0.1.0_checksums.txt                                       published
      time-server-go    archive    time-server-go_0.1.0_linux_amd64.tar.gz                                  published
      time-server-go    archive    time-server-go_0.1.0_linux_arm64.tar.gz                                  published
      time-server-go    image      time-server-go:0.1.0                                                     published
      mcp-stack         chart      mcp-stack:0.1.0                                                          published

      "
    `)
    expect(result.stdout).toContain(
      `signed with the key whose public half is ${join(ws.configHome, 'polyship', 'cosign.pub')}`,
    )
    // no terminal: one line per step, no cursor movement or colours
    expect(result.stderr).not.toContain('\u001b[')
    expect(result.stderr).toContain('✔ publish time-server-go 0.1.0\n')
    expect(result.stderr.split('\n').filter((line) => /^[❯✔]/.test(line))).toEqual([
      '❯ build echo-server-rust 0.1.0',
      '✔ build echo-server-rust 0.1.0',
      '❯ build fastjson 0.1.0',
      '✔ build fastjson 0.1.0',
      '❯ build mcp-stack 0.1.0',
      '✔ build mcp-stack 0.1.0',
      '❯ build time-server-go 0.1.0',
      '✔ build time-server-go 0.1.0',
      '❯ assemble images and charts',
      '✔ assemble images and charts',
      '❯ ask every destination what it holds',
      '✔ ask every destination what it holds',
      '❯ publish echo-server-rust 0.1.0',
      '✔ publish echo-server-rust 0.1.0',
      '❯ publish fastjson 0.1.0',
      '✔ publish fastjson 0.1.0',
      '❯ publish time-server-go 0.1.0',
      '✔ publish time-server-go 0.1.0',
      '❯ publish mcp-stack 0.1.0',
      '✔ publish mcp-stack 0.1.0',
      '❯ write dist/release.json',
      '✔ write dist/release.json',
    ])
    const record = await readRecord(dist('release.json'))
    expect(record.artifacts).toHaveLength(11)
    for (const artifact of record.artifacts) {
      expect(artifact.signature, artifact.name).toBeDefined()
      expect(artifact.provenance, artifact.name).toBeDefined()
      if (artifact.kind !== 'checksums') expect(artifact.sbom, artifact.name).toBeDefined()
    }
  })

  it('passes polyship verify, and skopeo, cosign, pip and sha256sum agree', async () => {
    const verify = await polyship(['verify', 'dist/release.json'], ws)
    expect(verify.code, verify.stderr).toBe(0)
    expect(verify.stdout).toMatch(/11 artifacts, \d+ checks: all passed/)

    const record = await readRecord(dist('release.json'))
    const image = record.artifacts.find((a) => a.kind === 'image-index' && a.name === 'time-server-go')!
    const raw = await tool('skopeo', ['inspect', '--raw', `oci:${dist('oci', 'time-server-go')}:0.1.0`])
    expect(sha256(new TextEncoder().encode(raw))).toBe(image.digest)
    const arm64 = JSON.parse(
      await tool('skopeo', [
        'inspect',
        '--override-arch',
        'arm64',
        `oci:${dist('oci', 'time-server-go')}:0.1.0`,
      ]),
    ) as { Architecture: string }
    expect(arm64.Architecture).toBe('arm64')

    const publicKey = join(ws.configHome, 'polyship', 'cosign.pub')
    const archive = dist('assets', 'time-server-go_0.1.0_linux_amd64.tar.gz')
    await tool('cosign', [
      'verify-blob',
      '--key',
      publicKey,
      '--insecure-ignore-tlog',
      '--bundle',
      `${archive}.sigstore.json`,
      archive,
    ])
    for (const [type, suffix] of [
      ['slsaprovenance1', 'provenance'],
      ['cyclonedx', 'sbom'],
      ['spdxjson', 'spdx'],
    ]) {
      await tool('cosign', [
        'verify-blob-attestation',
        '--key',
        publicKey,
        '--insecure-ignore-tlog',
        '--type',
        type!,
        '--bundle',
        `${archive}.${suffix}.sigstore.json`,
        archive,
      ])
    }
    // the SPDX SBOM beside the archive passes the SPDX project's validator (exit 1 otherwise)
    await tool('pyspdxtools', ['-i', `${archive}.spdx.json`])
    expect(await tool('sha256sum', ['-c', 'time-server-go_0.1.0_checksums.txt'], dist('assets'))).toBe(
      'time-server-go_0.1.0_linux_amd64.tar.gz: OK\ntime-server-go_0.1.0_linux_arm64.tar.gz: OK\n',
    )

    const venv = await mkdtemp(join(tmpdir(), 'polyship-release-venv-'))
    try {
      await tool('python3', ['-m', 'venv', venv])
      await tool(join(venv, 'bin', 'pip'), [
        'install',
        '--quiet',
        '--no-cache-dir',
        '--index-url',
        `file://${dist('pypi', 'simple')}`,
        'fastjson==0.1.0',
      ])
      const minified = await tool(join(venv, 'bin', 'python'), [
        '-c',
        'import fastjson; print(fastjson.minify(\'{ "a" : [1, 2] }\'))',
      ])
      expect(minified.trim()).toBe('{"a":[1,2]}')
    } finally {
      await rm(venv, { recursive: true, force: true })
    }
  })

  it('a re-run reports every artifact unchanged and changes nothing in the destinations', async () => {
    const before = {
      oci: await treeState(dist('oci')),
      assets: await treeState(dist('assets')),
      pypi: await treeState(dist('pypi')),
    }
    const result = await polyship(['release', '--debug'], ws)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/\n11 unchanged; record: /)
    // Released from this commit with clean project directories: answered from the signed
    // record, nothing is built, assembled or signed again.
    for (const project of ['time-server-go', 'echo-server-rust', 'fastjson']) {
      expect(result.stderr).toContain(`${project}: answered from the release record`)
    }
    expect({
      oci: await treeState(dist('oci')),
      assets: await treeState(dist('assets')),
      pypi: await treeState(dist('pypi')),
    }).toEqual(before)
    const verify = await polyship(['verify'], ws)
    expect(verify.code, verify.stderr).toBe(0)
  })

  it('polyship package writes archives, images and charts to dist/package without signing or publishing', async () => {
    const result = await polyship(['package', '--only', 'time-server-go,mcp-stack'], ws)
    expect(result.code, result.stderr).toBe(0)
    const pkg = (...path: string[]) => dist('package', ...path)
    expect(existsSync(pkg('time-server-go', 'time-server-go_0.1.0_checksums.txt'))).toBe(true)
    expect(existsSync(pkg('mcp-stack', 'mcp-stack-0.1.0.tgz'))).toBe(true)
    expect(existsSync(pkg('time-server-go', 'time-server-go_0.1.0_linux_amd64.tar.gz.sigstore.json'))).toBe(
      false,
    )
    const index = JSON.parse(
      await tool('skopeo', [
        'inspect',
        '--raw',
        `oci:${pkg('time-server-go', 'oci', 'time-server-go')}:0.1.0`,
      ]),
    )
    expect(
      index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture).sort(),
    ).toEqual(['amd64', 'arm64'])
    // the packaged chart carries the digest of the image packaged beside it
    const values = await tool('tar', [
      '-xzOf',
      pkg('mcp-stack', 'mcp-stack-0.1.0.tgz'),
      'mcp-stack/values.yaml',
    ])
    const layout = JSON.parse(
      await readFile(join(pkg('time-server-go', 'oci', 'time-server-go'), 'index.json'), 'utf8'),
    )
    const tagged = layout.manifests.find(
      (m: { annotations?: Record<string, string> }) =>
        m.annotations?.['org.opencontainers.image.ref.name'] === '0.1.0',
    )
    expect(values).toContain(tagged.digest)
  })

  it('two --split jobs (one per platform) and a --merge release the same digests as one run', async () => {
    const single = await readRecord(dist('release.json'))
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const split = await polyship(['release', '--split', '--platform', platform], ws)
      expect(split.code, split.stderr).toBe(0)
      expect(split.stdout).toMatch(/^built 4 units into .*dist\/shards\/linux-(amd|arm)64\n$/)
    }
    // a missing split job stops the merge instead of releasing less
    const partial = await polyship(['release', '--merge', 'dist/shards/linux-amd64'], ws)
    expect(partial.code).toBe(1)
    expect(partial.stderr).toContain(
      'error RELEASE_MERGE_INVALID: echo-server-rust: no shard built linux/arm64',
    )

    // the destinations hold the single run's release: every merged artifact must match it
    const merge = await polyship(['release', '--merge', 'dist/shards'], ws)
    expect(merge.code, merge.stderr).toBe(0)
    expect(merge.stdout).toMatch(/\n11 unchanged; record: /)
    expect(digests(await readRecord(dist('release.json')))).toEqual(digests(single))

    // --only and --skip narrow a merge too; --skip binary leaves out archives, not the image's binaries
    const narrowed = await polyship(
      ['release', '--merge', 'dist/shards', '--only', 'time-server-go', '--skip', 'binary', '--dry-run'],
      ws,
    )
    expect(narrowed.code, narrowed.stderr).toBe(0)
    expect(narrowed.stdout.split('\n').slice(2)).toEqual([
      'time-server-go  image  time-server-go:0.1.0  unchanged',
      '',
      'dry run: 1 unchanged; nothing was published',
      '',
    ])
  })
  it('at a later commit releases only bumped versions; the local record keeps every project', async () => {
    const commit = (message: string) =>
      tool('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qam', message], ws.root)
    const before = await readRecord(dist('release.json'))
    await writeFile(
      join(ws.root, 'examples', 'time-server-go', 'README.md'),
      '# time-server-go, docs changed\n',
    )
    await commit('docs')
    const idle = await polyship(['release'], ws)
    expect(idle.code, idle.stderr).toBe(0)
    expect(idle.stdout).toContain('nothing to release')
    expect(idle.stderr).toContain('(release record time-server-go@0.1.0)')
    expect(await readRecord(dist('release.json'))).toEqual(before)

    const manifest = join(ws.root, 'examples', 'time-server-go', 'package.json')
    await writeFile(
      manifest,
      (await readFile(manifest, 'utf8')).replace('"version": "0.1.0"', '"version": "0.2.0"'),
    )
    await commit('time-server-go 0.2.0')
    const bumped = await polyship(['release'], ws)
    expect(bumped.code, bumped.stderr).toBe(0)
    expect(bumped.stdout).toContain('time-server-go:0.2.0')
    expect(bumped.stdout).not.toContain('echo-server-rust:0.1.0')
    const record = await readRecord(dist('release.json'))
    expect(record.projects.map((p) => `${p.name}@${p.version}`).sort()).toEqual([
      'echo-server-rust@0.1.0',
      'fastjson@0.1.0',
      'mcp-stack@0.1.0',
      'time-server-go@0.2.0',
    ])
    expect(record.artifacts.some((a) => a.name === 'time-server-go_0.1.0_linux_amd64.tar.gz')).toBe(false)
    expect(record.artifacts.some((a) => a.name === 'echo-server-rust_0.1.0_linux_amd64.tar.gz')).toBe(true)
    const verify = await polyship(['verify', dist('release.json')], ws)
    expect(verify.code, verify.stderr).toBe(0)
  })

  it('says a truncated release.json is truncated, not that a signature is missing', async () => {
    const text = await readFile(dist('release.json'), 'utf8')
    const torn = join(await mkdtemp(join(tmpdir(), 'polyship-torn-')), 'release.json')
    await writeFile(torn, text.slice(0, Math.floor(text.length / 2)))
    const verify = await polyship(['verify', torn], ws)
    expect(verify.code).not.toBe(0)
    expect(verify.stderr).toContain('RECORD_INVALID')
    expect(verify.stderr).toContain('truncated')
    expect(verify.stderr).not.toContain('SIGNATURE_MISSING')
  })
})

describe('bad input is a coded error and publishes nothing', () => {
  it('names the known projects for an unknown --only project', async () => {
    const before = await treeState(dist())
    const result = await polyship(['release', '--only', 'time-server-go,nope'], ws)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatchInlineSnapshot(`
      "error RELEASE_UNKNOWN_PROJECT: --only nope: no releasable project has that name
        hint: known projects: echo-server-rust, fastjson, mcp-stack, time-server-go
      "
    `)
    expect(await treeState(dist())).toEqual(before)
  })

  it('refuses --shard without --split', async () => {
    const result = await polyship(['release', '--shard', '1/2'], ws)
    expect(result.code).toBe(2)
    expect(result.stderr).toMatchInlineSnapshot(`
      "error CLI_USAGE: --shard and --platform go with --split
        hint: e.g. polyship release --split --shard 1/3
      "
    `)
  })

  it('refuses a second release while one runs in the same workspace', async () => {
    const bin = join(import.meta.dirname, '..', 'src', 'bin.ts')
    // The first release is held inside its compile (under the lock) until the second one has
    // been refused: a `go` wrapper whose `go build` waits for a gate file. Without its build
    // unit the Go project compiles again (the same bytes), and --replace is never answered
    // from the record.
    const shims = await mkdtemp(join(tmpdir(), 'polyship-lock-shims-'))
    const gate = join(shims, 'gate')
    const realGo = (await tool('sh', ['-c', 'command -v go'], ws.root)).trim()
    await writeFile(
      join(shims, 'go'),
      `#!/bin/sh\nif [ "$1" = build ]; then while [ ! -f '${gate}' ]; do sleep 0.05; done; fi\nexec '${realGo}' "$@"\n`,
      { mode: 0o755 },
    )
    await rm(dist('build', 'time-server-go'), { recursive: true, force: true })
    const first = spawn(process.execPath, [bin, 'release', '--replace', '--only', 'time-server-go'], {
      cwd: ws.root,
      env: { ...ws.env, PATH: `${shims}:${ws.env.PATH ?? process.env.PATH}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let firstErr = ''
    first.stderr?.on('data', (chunk: Buffer) => {
      firstErr += chunk.toString()
    })
    const exited = new Promise<number | null>((resolve) => first.on('exit', resolve))
    const lock = dist('.polyship.lock')
    try {
      while (!existsSync(lock) && first.exitCode === null) await delay(20)
      const second = await polyship(['release'], ws)
      expect(second.code).toBe(1)
      expect(second.stderr).toContain(
        `error RELEASE_LOCKED: another polyship release (pid ${first.pid}) is running`,
      )
    } finally {
      await writeFile(gate, '')
    }
    expect(await exited, firstErr).toBe(0)
    await rm(shims, { recursive: true, force: true })
    expect(existsSync(lock)).toBe(false)
  })
})
