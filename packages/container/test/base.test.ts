import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildImage, publishImage } from '@polyship/container'
import type { ArchiveEntry, ImageConfig } from '@polyship/core'
import { copyImage, parseManifest, RegistryClient } from '@polyship/oci'
import type {} from '@polyship/oci/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { AMD64, ARM64, busyboxLayout, codeOf, EPOCH, makeProject, run, temps, unpack } from './helpers.ts'

const dirs = temps()
const client = new RegistryClient()
const env = { SOURCE_DATE_EPOCH: EPOCH }
let work: string
let baseRef: string
/** Digest of the base's manifest per platform. */
let baseManifests: Map<string, string>

beforeAll(async () => {
  const { host } = inject('ociRegistry')
  work = await dirs.make('base')
  const layout = await busyboxLayout(join(work, 'busybox'), { tag: '1.35', platforms: [AMD64, ARM64] })
  const registry = client.repository(`${host}/container/busybox-base`)
  await copyImage(layout, registry, '1.35')
  baseRef = `${host}/container/busybox-base:1.35`
  const index = await registry.getManifest('1.35')
  const parsed = parseManifest(index.bytes, index.mediaType, baseRef)
  if (parsed.kind !== 'index') throw new Error('expected an index')
  baseManifests = new Map(parsed.index.manifests.map((d) => [d.platform!.architecture, d.digest]))
})

afterAll(async () => {
  client.close()
  await dirs.cleanup()
})

async function project(name: string, image: Partial<ImageConfig>) {
  const root = join(work, name)
  await mkdir(join(root, 'scripts'), { recursive: true })
  await writeFile(join(root, 'scripts', 'hello.sh'), '#!/bin/sh\necho "hello from $(id -u)"\n')
  await chmod(join(root, 'scripts', 'hello.sh'), 0o755)
  return makeProject(root, {
    base: baseRef,
    platforms: ['linux/amd64', 'linux/arm64'],
    files: [{ from: 'scripts/hello.sh', to: '/usr/local/bin/hello.sh' }],
    entrypoint: ['/bin/sh', '/usr/local/bin/hello.sh'],
    user: 'app',
    ...image,
  })
}

describe('an image on a registry base', () => {
  it('picks each platform from the base index, mounts its blobs, records base.name/base.digest and keeps its config', async () => {
    const { host } = inject('ociRegistry')
    const image = await buildImage({ project: await project('on-busybox', {}) }, { env, client })
    let mounted: number
    try {
      const result = await publishImage(image, client.repository(`${host}/container/on-busybox`), {
        tags: [{ tag: '1.2.3', moving: false }],
      })
      mounted = result.blobs.mounted
    } finally {
      await image.dispose()
    }
    expect(mounted).toBe(1) // the busybox layer, shared by both platforms, mounted from the base repository

    const ref = `docker://${host}/container/on-busybox:1.2.3`
    const index = JSON.parse(run('skopeo', ['inspect', '--raw', '--tls-verify=false', ref]))
    expect(index.annotations['org.opencontainers.image.base.name']).toBe(baseRef)
    for (const { digest, platform } of index.manifests as {
      digest: string
      platform: { architecture: string }
    }[]) {
      const manifest = JSON.parse(
        run('skopeo', [
          'inspect',
          '--raw',
          '--tls-verify=false',
          `docker://${host}/container/on-busybox@${digest}`,
        ]),
      )
      expect(manifest.annotations['org.opencontainers.image.base.digest']).toBe(
        baseManifests.get(platform.architecture),
      )
    }
    const config = JSON.parse(run('skopeo', ['inspect', '--config', '--raw', '--tls-verify=false', ref]))
    expect(config.config.Env).toEqual(['PATH=/bin'])
    expect(config.config.Entrypoint).toEqual(['/bin/sh', '/usr/local/bin/hello.sh'])
    expect(config.config.Cmd).toBeUndefined() // a new entrypoint resets the base's cmd, as in a Dockerfile
    expect(config.config.WorkingDir).toBe('/')
    expect(config.history.map((h: { created_by: string }) => h.created_by)).toEqual([
      'busybox-static',
      'polyship: files from polyship.image.files',
    ])

    const rootfs = unpack(ref, await dirs.make('unpack'))
    expect(run('chroot', ['--userspec=1000:1000', rootfs, '/bin/sh', '/usr/local/bin/hello.sh'])).toBe(
      'hello from 1000\n',
    )
  })

  it('checks the user and the entrypoint against the base layers, and lists the platforms the base has', async () => {
    const ghost = buildImage({ project: await project('ghost', { user: 'ghost' }) }, { env, client })
    await expect(ghost).rejects.toThrow(
      /user "ghost" is not in the image's \/etc\/passwd \(it has: root, app\)/,
    )
    expect(
      await codeOf(
        buildImage({ project: await project('no-entry', { entrypoint: ['nc'] }) }, { env, client }),
      ),
    ).toBe('CONTAINER_ENTRYPOINT_MISSING')
    // cat is a symlink to busybox in the base: found through the link, on the base's PATH
    const cat = await buildImage({ project: await project('cat', { entrypoint: ['cat'] }) }, { env, client })
    await cat.dispose()
    const arm = buildImage(
      { project: await project('armv7', { platforms: ['linux/arm/v7'] }) },
      { env, client },
    )
    await expect(arm).rejects.toThrow(/has no linux\/arm\/v7 image; it has linux\/amd64, linux\/arm64/)
  })

  it('reads the base layers as a runtime stacks them: whiteouts, opaque directories, PAX long names', async () => {
    const deep = `opt/${'very-long-directory-name-'.repeat(5)}/${'tool-'.repeat(25)}`
    const upper: ArchiveEntry[] = [
      { type: 'file', path: 'bin/.wh.cat', content: '' },
      { type: 'file', path: 'etc/.wh..wh..opq', content: '' },
      { type: 'file', path: 'etc/passwd', content: 'svc:x:2000:2000::/:/bin/sh\n' },
      { type: 'file', path: deep, content: '#!/bin/sh\n', mode: 0o755 },
    ]
    const layout = join(work, 'layered')
    await busyboxLayout(layout, { tag: 'v1', upper })
    const onLayered = (name: string, image: Partial<ImageConfig>) =>
      project(name, { base: `oci:${layout}:v1`, platforms: ['linux/amd64'], ...image })
    expect(deep.length).toBeGreaterThan(100)
    const tool = await buildImage(
      { project: await onLayered('deep', { user: 'svc', entrypoint: [`/${deep}`] }) },
      { env, client },
    )
    await tool.dispose()
    await expect(
      buildImage(
        { project: await onLayered('cat-gone', { user: 'svc', entrypoint: ['cat'] }) },
        { env, client },
      ),
    ).rejects.toThrow(/cat on PATH \/bin is not in the linux\/amd64 image/)
    await expect(buildImage({ project: await onLayered('app-gone', {}) }, { env, client })).rejects.toThrow(
      /\(it has: svc\)/,
    )
  })
})
