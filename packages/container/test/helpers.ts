import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeLayer } from '@polyship/container'
import { pushBaseManifest } from '@polyship/container/testing'
import {
  type ArchiveEntry,
  type Artifact,
  type Digest,
  digestFile,
  formatPlatform,
  type ImageConfig,
  type Platform,
  type Project,
  parsePlatform,
  parseProjectManifest,
} from '@polyship/core'
import { encodeManifest, LayoutStore, MEDIA_TYPES } from '@polyship/oci'

export const EPOCH = '1700000000'
export const AMD64: Platform = { os: 'linux', architecture: 'amd64' }
export const ARM64: Platform = { os: 'linux', architecture: 'arm64' }

/** Temp directories removed by `cleanup()` (call it in afterAll). */
export function temps(): { make(prefix: string): Promise<string>; cleanup(): Promise<void> } {
  const made: string[] = []
  return {
    async make(prefix) {
      const dir = await mkdtemp(join(tmpdir(), `polyship-container-${prefix}-`))
      made.push(dir)
      return dir
    },
    async cleanup() {
      await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })))
    },
  }
}

/**
 * A project directory with a package.json carrying `image`, parsed by core's schema
 * validation (so config the schema refuses fails here too).
 */
export async function makeProject(
  root: string,
  image: ImageConfig,
  options: { name?: string; version?: string } = {},
): Promise<Project> {
  const manifest = {
    name: options.name ?? 'demo',
    version: options.version ?? '1.2.3',
    description: 'polyship container test project',
    license: 'Apache-2.0',
    polyship: { image },
  }
  await mkdir(root, { recursive: true })
  const manifestPath = join(root, 'package.json')
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
  const parsed = parseProjectManifest(manifest, manifestPath)
  return {
    name: parsed.name,
    version: parsed.version,
    root,
    dir: '.',
    manifestPath,
    config: parsed.config,
    description: manifest.description,
    license: manifest.license,
    dependsOn: [],
  }
}

/** A binary artifact of a file on disk. */
export async function binaryArtifact(path: string, platform: Platform, name = 'demo'): Promise<Artifact> {
  const { digest, size } = await digestFile(path)
  return { kind: 'binary', name, project: name, version: '1.2.3', platform, path, digest, size }
}

export async function wheelArtifact(path: string): Promise<Artifact> {
  const { digest, size } = await digestFile(path)
  return {
    kind: 'wheel',
    name: path.split('/').pop()!,
    project: 'fastjson',
    version: '0.1.0',
    path,
    digest,
    size,
  }
}

/** A shell script standing in for a binary (for tests that never run it). */
export async function fakeBinary(dir: string, platform: Platform, name = 'demo'): Promise<Artifact> {
  const path = join(dir, formatPlatform(platform).replaceAll('/', '-'), name)
  await mkdir(join(path, '..'), { recursive: true })
  await writeFile(path, `#!/bin/sh\necho ${name} ${formatPlatform(platform)}\n`)
  await chmod(path, 0o755)
  return binaryArtifact(path, platform, name)
}

/** `CGO_ENABLED=0 go build -trimpath` of a Go project for each platform, into `out/<os>-<arch>/`. */
export function goBuild(
  projectDir: string,
  out: string,
  platforms: readonly Platform[],
  version: string,
): Promise<Artifact[]> {
  return Promise.all(
    platforms.map(async (platform) => {
      const path = join(out, `${platform.os}-${platform.architecture}`, 'time-server-go')
      execFileSync(
        'go',
        ['build', '-trimpath', '-buildvcs=false', '-ldflags', `-X main.version=${version}`, '-o', path, '.'],
        {
          cwd: projectDir,
          env: {
            ...process.env,
            CGO_ENABLED: '0',
            GOOS: platform.os,
            GOARCH: platform.architecture,
            GOFLAGS: '-mod=mod',
          },
          stdio: 'pipe',
        },
      )
      return binaryArtifact(path, platform, 'time-server-go')
    }),
  )
}

/**
 * An OCI layout holding a small base image built from Debian's busybox-static: /bin/sh and
 * friends, /etc/passwd with root and `app` (1000), PATH=/bin. One manifest per platform in
 * an index tagged `tag` (each platform holds the same amd64 busybox: only amd64 runs).
 */
export async function busyboxLayout(
  dir: string,
  options: { tag?: string; platforms?: readonly Platform[]; upper?: readonly ArchiveEntry[] } = {},
): Promise<LayoutStore> {
  const store = new LayoutStore(dir)
  const work = await mkdtemp(join(tmpdir(), 'polyship-busybox-'))
  try {
    const applets = ['sh', 'cat', 'ls', 'echo', 'mkdir', 'cp', 'id', 'test']
    const layer = await writeLayer(
      [
        { type: 'file', path: 'bin/busybox', source: '/usr/bin/busybox', mode: 0o755 },
        ...applets.map((name) => ({ type: 'symlink' as const, path: `bin/${name}`, target: 'busybox' })),
        {
          type: 'file',
          path: 'etc/passwd',
          content: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n',
        },
        { type: 'file', path: 'etc/group', content: 'root:x:0:\napp:x:1000:\n' },
        { type: 'directory', path: 'tmp', mode: 0o1777 },
      ],
      { dir: work, mtime: 0, gzipLevel: 6, createdBy: 'busybox-static' },
    )
    const layers = [layer]
    if (options.upper !== undefined)
      layers.push(await writeLayer(options.upper, { dir: work, mtime: 0, gzipLevel: 6, createdBy: 'upper' }))
    const manifests = []
    for (const platform of options.platforms ?? [AMD64]) {
      manifests.push(
        await pushBaseManifest(store, {
          platform,
          layers,
          config: { Env: ['PATH=/bin'], Cmd: ['/bin/sh'], WorkingDir: '/' },
          created: '1970-01-01T00:00:00Z',
        }),
      )
    }
    await store.putManifest(
      encodeManifest({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }),
      { tag: options.tag ?? 'latest' },
    )
    return store
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/**
 * What a user does to look inside: `skopeo copy` of the host platform's image into a fresh
 * OCI dir, then `umoci unpack` (as root: owners are kept). Returns the rootfs path.
 */
export function unpack(source: string, work: string, platform: Platform = AMD64): string {
  const layout = join(work, 'copied')
  mkdirSync(work, { recursive: true })
  execFileSync(
    'skopeo',
    [
      '--override-arch',
      platform.architecture,
      '--override-os',
      platform.os,
      'copy',
      '-q',
      '--src-tls-verify=false',
      source,
      `oci:${layout}:img`,
    ],
    { stdio: 'pipe' },
  )
  execFileSync('umoci', ['unpack', '--image', `${layout}:img`, join(work, 'bundle')], { stdio: 'pipe' })
  return join(work, 'bundle', 'rootfs')
}

export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(command, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] })
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T
}

/** The error code a promise rejects with (undefined when it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string') return code
    throw error
  }
  return undefined
}

export function platformOf(text: string): Platform {
  return parsePlatform(text)
}

export type { Digest }
