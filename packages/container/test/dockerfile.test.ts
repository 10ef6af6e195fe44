import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildImage, detectBuilder, imageTags, publishImage } from '@polyship/container'
import type { ImageConfig } from '@polyship/core'
import { RegistryClient } from '@polyship/oci'
import type {} from '@polyship/oci/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { busyboxLayout, codeOf, EPOCH, makeProject, run, temps, unpack } from './helpers.ts'

const dirs = temps()
const client = new RegistryClient()
const env = { ...process.env, SOURCE_DATE_EPOCH: EPOCH }
let work: string
let base: string

beforeAll(async () => {
  work = await dirs.make('dockerfile')
  // No registry image is reachable offline: the FROM images are a busybox layout built here,
  // in a lowercase path (buildah names an oci: image after its path, and names are lowercase).
  const layout = join(work.toLowerCase() === work ? work : await lowercaseDir(), 'busybox')
  await busyboxLayout(layout, { tag: '1.35' })
  base = `oci:${layout}:1.35`
})

afterAll(async () => {
  client.close()
  await dirs.cleanup()
  if (lowercase !== undefined) await rm(lowercase, { recursive: true, force: true })
})

let lowercase: string | undefined
async function lowercaseDir(): Promise<string> {
  lowercase = join(tmpdir(), `polyship-container-bases-${randomBytes(6).toString('hex')}`)
  await mkdir(lowercase)
  return lowercase
}

async function dockerfileProject(name: string, dockerfile: string, image: Partial<ImageConfig> = {}) {
  const root = join(work, name)
  await mkdir(join(root, 'docker'), { recursive: true })
  await writeFile(join(root, 'docker', 'Dockerfile'), dockerfile)
  await writeFile(join(root, 'hello.txt'), 'hello from the build context\n')
  return makeProject(
    root,
    { base: 'scratch', platforms: ['linux/amd64'], dockerfile: 'docker/Dockerfile', ...image },
    { name, version: '2.0.0' },
  )
}

describe('a Dockerfile project', () => {
  it('builds a multi-stage Dockerfile with buildah (RUN steps included) and publishes it like an assembled image', async () => {
    expect(await detectBuilder(env)).toBe('buildah') // docker's CLI is here, its daemon is not
    const project = await dockerfileProject(
      'multi-stage',
      [
        `FROM ${base} AS build`,
        'RUN mkdir -p /out && echo "built in stage one" > /out/message.txt',
        `FROM ${base}`,
        'COPY --from=build /out/message.txt /message.txt',
        'COPY hello.txt /hello.txt',
        'RUN cat /message.txt /hello.txt > /both.txt',
        'USER 1000',
        'CMD ["/bin/cat", "/both.txt"]',
        '',
      ].join('\n'),
    )
    const image = await buildImage({ project, revision: 'feedface' }, { env, client, timeoutMs: 180_000 })
    const { host } = inject('ociRegistry')
    const ref = `${host}/container/dockerfile`
    try {
      expect(image.backend).toBe('buildah')
      const result = await publishImage(image, client.repository(ref), {
        tags: imageTags('2.0.0', ['latest']).tags,
      })
      expect(result.tags.map((t) => t.tag)).toEqual(['2.0.0', 'latest'])
    } finally {
      await image.dispose()
    }
    const index = JSON.parse(
      run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}:2.0.0`]),
    )
    expect(index.manifests.map((m: { platform: unknown }) => m.platform)).toEqual([
      { architecture: 'amd64', os: 'linux' },
    ])
    expect(index.annotations).toMatchObject({
      'org.opencontainers.image.version': '2.0.0',
      'org.opencontainers.image.revision': 'feedface',
    })
    const config = JSON.parse(
      run('skopeo', ['inspect', '--config', '--raw', '--tls-verify=false', `docker://${ref}:2.0.0`]),
    )
    expect(config.config.Cmd).toEqual(['/bin/cat', '/both.txt'])
    expect(config.created).toBe('2023-11-14T22:13:20Z') // buildah --timestamp = SOURCE_DATE_EPOCH

    const rootfs = unpack(`docker://${ref}:latest`, await dirs.make('unpack'))
    expect(await readFile(join(rootfs, 'both.txt'), 'utf8')).toBe(
      'built in stage one\nhello from the build context\n',
    )
    expect(run('chroot', ['--userspec=1000:1000', rootfs, '/bin/cat', '/both.txt'])).toContain('stage one')
  })

  it('reports a failing RUN step and a missing builder as coded errors, leaving no temp files', async () => {
    const tmp = await dirs.make('tmp')
    const failing = await dockerfileProject('failing', `FROM ${base}\nRUN echo about to fail && exit 3\n`)
    const error = buildImage({ project: failing }, { env, client, tmpDir: tmp })
    await expect(error).rejects.toThrow(/buildah could not build .*Dockerfile/)
    expect(await codeOf(error)).toBe('CONTAINER_BUILD_FAILED')
    expect(run('ls', ['-A', tmp])).toBe('')

    const empty = await dirs.make('empty-path')
    const noBuilder = await dockerfileProject('no-builder', `FROM ${base}\n`)
    const missing = buildImage(
      { project: noBuilder },
      { env: { PATH: empty, SOURCE_DATE_EPOCH: EPOCH }, client, tmpDir: tmp },
    )
    expect(await codeOf(missing)).toBe('CONTAINER_BUILDER_MISSING')
    expect(run('ls', ['-A', tmp])).toBe('')
    expect(
      await codeOf(
        buildImage({ project: await dockerfileProject('no-file', '', { dockerfile: 'nope/Dockerfile' }) }),
      ),
    ).toBe('CONTAINER_CONFIG_INVALID')
  })
})
