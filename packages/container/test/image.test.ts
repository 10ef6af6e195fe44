import { cp, lstat, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type BuiltImage, buildImage, imageArtifacts, imageTags, publishImage } from '@polyship/container'
import type { Artifact, ImageConfig, Project } from '@polyship/core'
import { LayoutStore, RegistryClient } from '@polyship/oci'
import type {} from '@polyship/oci/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { AMD64, ARM64, codeOf, EPOCH, goBuild, makeProject, run, temps, unpack } from './helpers.ts'

const EXAMPLE = join(import.meta.dirname, '../../../examples/time-server-go')
const VERSION = '1.2.3'
const dirs = temps()
const client = new RegistryClient()
const env = { ...process.env, SOURCE_DATE_EPOCH: EPOCH }

/** The example's image config, plus a config file mapped in with an owner. */
const IMAGE: ImageConfig = {
  base: 'static',
  platforms: ['linux/amd64', 'linux/arm64'],
  entrypoint: ['/usr/local/bin/time-server-go'],
  ports: [8080],
  user: '65532',
  env: { TZ: 'UTC' },
  labels: { 'com.example.team': 'platform' },
  files: [
    { from: 'config/server.toml', to: '/etc/time-server/server.toml', owner: '65532:65532', mode: '0640' },
    { from: 'config/motd.txt', to: '/tmp/' },
  ],
  tags: ['latest', '{major}.{minor}'],
  healthcheck: {
    test: ['/usr/local/bin/time-server-go', '--version'],
    interval: '30s',
    timeout: '2s',
    retries: 3,
  },
}

/** Two copies of the example in different directories, each with its own binaries. */
let copies: { project: Project; artifacts: Artifact[] }[]

beforeAll(async () => {
  copies = []
  for (const name of ['first', 'second']) {
    const root = join(await dirs.make(name), 'nested', 'time-server-go')
    await cp(EXAMPLE, root, { recursive: true })
    await mkdir(join(root, 'config'), { recursive: true })
    await writeFile(join(root, 'config', 'server.toml'), 'listen = ":8080"\n')
    await writeFile(join(root, 'config', 'motd.txt'), 'hello\n')
    const artifacts = await goBuild(root, join(root, 'dist'), [AMD64, ARM64], VERSION)
    copies.push({
      project: await makeProject(root, IMAGE, { name: 'time-server-go', version: VERSION }),
      artifacts,
    })
  }
})

afterAll(async () => {
  client.close()
  await dirs.cleanup()
})

function build(copy: { project: Project; artifacts: Artifact[] }): Promise<BuiltImage> {
  return buildImage(
    {
      ...copy,
      source: 'https://github.com/acme/polyship-examples',
      revision: '0123456789abcdef0123456789abcdef01234567',
    },
    { env, client },
  )
}

describe('time-server-go on the built-in static base', () => {
  it('pushes a 2-platform index to the registry that skopeo and umoci read, and the binary runs', async () => {
    const { host } = inject('ociRegistry')
    const repository = `${host}/container/time-server-go`
    const image = await build(copies[0]!)
    try {
      const result = await publishImage(image, client.repository(repository), {
        tags: imageTags(VERSION, IMAGE.tags).tags,
      })
      expect(result.digest).toBe(image.index.descriptor.digest)
      expect(result.tags.map((t) => t.tag)).toEqual(['1.2.3', 'latest', '1.2'])

      const raw = JSON.parse(
        run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${repository}:1.2.3`]),
      )
      expect(raw.mediaType).toBe('application/vnd.oci.image.index.v1+json')
      expect(raw.manifests.map((m: { platform: unknown }) => m.platform)).toEqual([
        { architecture: 'amd64', os: 'linux' },
        { architecture: 'arm64', os: 'linux' },
      ])
      expect(raw.annotations).toMatchObject({
        'org.opencontainers.image.created': '2023-11-14T22:13:20Z',
        'org.opencontainers.image.version': '1.2.3',
        'org.opencontainers.image.revision': '0123456789abcdef0123456789abcdef01234567',
        'org.opencontainers.image.source': 'https://github.com/acme/polyship-examples',
      })
      expect(run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${repository}:latest`])).toBe(
        run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${repository}:1.2`]),
      )

      const config = JSON.parse(
        run('skopeo', ['inspect', '--config', '--raw', '--tls-verify=false', `docker://${repository}:1.2.3`]),
      )
      expect(config.config).toMatchObject({
        User: '65532',
        Entrypoint: ['/usr/local/bin/time-server-go'],
        ExposedPorts: { '8080/tcp': {} },
        Env: [
          'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt',
          'TZ=UTC',
        ],
        Healthcheck: {
          Test: ['CMD', '/usr/local/bin/time-server-go', '--version'],
          Interval: 30e9,
          Timeout: 2e9,
          Retries: 3,
        },
      })
      expect(config.config.Labels['com.example.team']).toBe('platform')
      expect(config.history.map((h: { created_by: string }) => h.created_by)).toEqual([
        'polyship: static base (passwd, group, nsswitch.conf, CA certificates, /tmp)',
        'polyship: files from polyship.image.files',
        'polyship: /usr/local/bin/time-server-go (linux/amd64)',
      ])

      const rootfs = unpack(`docker://${repository}:1.2.3`, await dirs.make('unpack'))
      expect(run('chroot', [rootfs, '/usr/local/bin/time-server-go', '--version'])).toMatch(
        /^time-server-go 1\.2\.3 /,
      )
      // as the configured user, the way a runtime would start it
      expect(
        run('chroot', ['--userspec=65532:65532', rootfs, '/usr/local/bin/time-server-go', '--version']),
      ).toMatch(/1\.2\.3/)

      const owner = async (path: string) => {
        const s = await lstat(join(rootfs, path))
        return `${s.uid}:${s.gid} ${(s.mode & 0o7777).toString(8)}`
      }
      expect(await owner('usr/local/bin/time-server-go')).toBe('0:0 755')
      expect(await owner('etc/time-server/server.toml')).toBe('65532:65532 640')
      expect(await owner('home/nonroot')).toBe('65532:65532 700')
      // mapping a file into /tmp keeps the base's sticky 1777 /tmp
      expect(await owner('tmp')).toBe('0:0 1777')
      expect(await readFile(join(rootfs, 'tmp', 'motd.txt'), 'utf8')).toBe('hello\n')
      expect(await readFile(join(rootfs, 'etc', 'passwd'), 'utf8')).toContain('nonroot:x:65532:65532:')
      expect(await readFile(join(rootfs, 'etc', 'group'), 'utf8')).toContain('nonroot:x:65532:')
      expect(await readFile(join(rootfs, 'etc', 'nsswitch.conf'), 'utf8')).toContain('hosts: files dns')
      const bundle = await readFile(join(rootfs, 'etc', 'ssl', 'certs', 'ca-certificates.crt'), 'utf8')
      expect(bundle.match(/BEGIN CERTIFICATE/g)?.length).toBeGreaterThan(100)
      expect(
        run('openssl', [
          'verify',
          '-CAfile',
          join(rootfs, 'etc/ssl/certs/ca-certificates.crt'),
          join(rootfs, 'etc/ssl/certs/ca-certificates.crt'),
        ]),
      ).toContain('OK')

      // the arm64 image holds the arm64 binary
      const arm = unpack(`docker://${repository}:1.2.3`, await dirs.make('unpack-arm'), ARM64)
      expect(run('file', [join(arm, 'usr/local/bin/time-server-go')])).toMatch(/ARM aarch64/)
    } finally {
      await image.dispose()
    }
  })

  it('gives the same index digest when built from two copies of the workspace in different directories', async () => {
    const [a, b] = await Promise.all([build(copies[0]!), build(copies[1]!)])
    try {
      expect(copies[0]!.project.root).not.toBe(copies[1]!.project.root)
      expect(b.index.descriptor.digest).toBe(a.index.descriptor.digest)
      expect(b.manifests.map((m) => m.descriptor.digest)).toEqual(a.manifests.map((m) => m.descriptor.digest))
      // and the release record artifacts point at it
      const artifacts = imageArtifacts(a, {
        project: 'time-server-go',
        version: VERSION,
        repository: 'time-server-go',
      })
      expect(artifacts.map((x) => [x.kind, x.platform])).toEqual([
        ['image-index', undefined],
        ['image', AMD64],
        ['image', ARM64],
      ])
    } finally {
      await Promise.all([a.dispose(), b.dispose()])
    }
  })

  it('publishes to an OCI layout as reconciliation: again pushes nothing, a different build under the version is a conflict', async () => {
    const layout = join(await dirs.make('layout'), 'oci')
    const store = new LayoutStore(layout)
    const image = await build(copies[0]!)
    const { tags } = imageTags(VERSION, IMAGE.tags)
    try {
      const first = await publishImage(image, store, { tags })
      expect(first.blobs.uploaded).toBeGreaterThan(0)
      const again = await publishImage(image, store, { tags })
      expect(again.blobs).toEqual({ uploaded: 0, exists: first.blobs.uploaded, mounted: 0 })
      expect(again.tags.map((t) => t.status)).toEqual(['unchanged', 'unchanged', 'unchanged'])
      expect(run('skopeo', ['inspect', '--raw', `oci:${layout}:1.2.3`])).toContain('"architecture":"arm64"')
    } finally {
      await image.dispose()
    }

    const changed = await buildImage({ ...copies[0]!, revision: 'another-commit' }, { env, client })
    try {
      expect(await codeOf(publishImage(changed, store, { tags }))).toBe('CONTAINER_TAG_CONFLICT')
    } finally {
      await changed.dispose()
    }
  })

  it('removes its temp files after dispose and after a failed build', async () => {
    const tmp = await dirs.make('tmpdir')
    const image = await buildImage(copies[0]!, { env, client, tmpDir: tmp })
    expect(run('ls', [tmp]).trim()).not.toBe('')
    await image.dispose()
    expect(run('ls', [tmp]).trim()).toBe('')
    const bad = {
      ...copies[0]!,
      project: { ...copies[0]!.project, config: { image: { ...IMAGE, entrypoint: ['/nope'] } } },
    }
    expect(await codeOf(buildImage(bad, { env, client, tmpDir: tmp }))).toBe('CONTAINER_ENTRYPOINT_MISSING')
    expect(run('ls', [tmp]).trim()).toBe('')
    expect((await stat(tmp)).isDirectory()).toBe(true)
  })
})
