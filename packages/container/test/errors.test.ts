import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  buildImage,
  ContainerError,
  exactPythonVersion,
  imageTags,
  parseWheelName,
  tagFits,
} from '@polyship/container'
import type { Artifact, ImageConfig } from '@polyship/core'
import { RegistryClient } from '@polyship/oci'
import { freePort } from '@polyship/oci/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AMD64, ARM64, busyboxLayout, codeOf, EPOCH, fakeBinary, makeProject, temps } from './helpers.ts'

const dirs = temps()
const client = new RegistryClient({ retry: { attempts: 1 } })
const env = { SOURCE_DATE_EPOCH: EPOCH }
let work: string
let binaries: Artifact[]

beforeAll(async () => {
  work = await dirs.make('errors')
  binaries = [await fakeBinary(join(work, 'bin'), AMD64), await fakeBinary(join(work, 'bin'), ARM64)]
  await busyboxLayout(join(work, 'bases', 'busybox'), { tag: '1.35' })
  await mkdir(join(work, 'outside'), { recursive: true })
  await writeFile(join(work, 'outside', 'secret.txt'), 'not for images\n')
})

afterAll(async () => {
  client.close()
  await dirs.cleanup()
})

const STATIC: ImageConfig = {
  base: 'static',
  platforms: ['linux/amd64', 'linux/arm64'],
  entrypoint: ['/usr/local/bin/demo'],
}

/** Builds `image` for a project in a fresh directory and returns the error it fails with. */
async function failure(
  image: ImageConfig,
  artifacts: readonly Artifact[] = binaries,
): Promise<ContainerError> {
  const root = join(work, 'projects', String(Math.random()).slice(2))
  await mkdir(join(root, 'config'), { recursive: true })
  await writeFile(join(root, 'config', 'app.toml'), 'x = 1\n')
  // A link from inside the project to a file outside it, as an attacker's PR could add.
  await symlink(join(work, 'outside', 'secret.txt'), join(root, 'config', 'linked.toml'))
  const project = await makeProject(root, image)
  try {
    const built = await buildImage({ project, artifacts }, { env, client })
    await built.dispose()
  } catch (error) {
    if (error instanceof ContainerError) return error
    throw error
  }
  throw new Error('the build succeeded')
}

describe('bad input is a coded error naming what is wrong', () => {
  it('CONTAINER_BASE_PLATFORM_MISSING lists the platforms the base has', async () => {
    const error = await failure({ ...STATIC, base: `oci:${join(work, 'bases', 'busybox')}:1.35` })
    expect(error.code).toBe('CONTAINER_BASE_PLATFORM_MISSING')
    expect(error.message).toMatch(/has no linux\/arm64 image; it has linux\/amd64/)
  })

  it('CONTAINER_BASE_INVALID for a layout that does not exist or a tag it lacks', async () => {
    expect((await failure({ ...STATIC, base: `oci:${join(work, 'nowhere')}:1` })).code).toBe(
      'CONTAINER_BASE_INVALID',
    )
    const missingTag = await failure({
      ...STATIC,
      platforms: ['linux/amd64'],
      base: `oci:${join(work, 'bases', 'busybox')}:9.9`,
    })
    expect(missingTag.code).toBe('CONTAINER_BASE_INVALID')
    expect(missingTag.message).toMatch(/not found/)
  })

  it('CONTAINER_BASE_INVALID naming the field and how to work offline when the registry is unreachable', async () => {
    const port = await freePort()
    const error = await failure({
      ...STATIC,
      base: 'python',
      python: { base: `127.0.0.1:${port}/library/python:3.11-slim` },
    })
    expect(error.code).toBe('CONTAINER_BASE_INVALID')
    expect(error.message).toMatch(
      /polyship\.image\.python\.base: cannot read base 127\.0\.0\.1:\d+\/library\/python:3\.11-slim/,
    )
    expect(error.hint).toMatch(/skopeo copy .* and point polyship\.image\.python\.base at oci:DIR:TAG/)
  })

  it('CONTAINER_ENTRYPOINT_MISSING when the entrypoint is not in the image, or there is none', async () => {
    const error = await failure({ ...STATIC, entrypoint: ['/usr/bin/demo'] })
    expect(error.code).toBe('CONTAINER_ENTRYPOINT_MISSING')
    expect(error.message).toMatch(/\/usr\/bin\/demo is not in the linux\/amd64 image/)
    expect((await failure({ ...STATIC, entrypoint: ['demo-server'] })).message).toMatch(/demo-server on PATH/)
    const none = await failure({ base: 'scratch', platforms: ['linux/amd64'] }, [])
    expect(none.code).toBe('CONTAINER_ENTRYPOINT_MISSING')
    expect(none.message).toMatch(/no entrypoint or cmd/)
    const notExecutable = await failure({
      ...STATIC,
      entrypoint: ['/etc/app.toml'],
      files: [{ from: 'config/app.toml', to: '/etc/app.toml' }],
    })
    expect(notExecutable.message).toMatch(/is not executable/)
  })

  it('CONTAINER_PATH_ESCAPES for a mapping that leaves the image root or the project', async () => {
    const up = await failure({ ...STATIC, files: [{ from: 'config/app.toml', to: '/etc/../../app.toml' }] })
    expect(up.code).toBe('CONTAINER_PATH_ESCAPES')
    expect(up.message).toMatch(/files\[0\]\.to: "\/etc\/\.\.\/\.\.\/app\.toml" leaves the image root/)
    expect(
      (await failure({ ...STATIC, workdir: '/app', files: [{ from: 'config/app.toml', to: '../../x' }] }))
        .code,
    ).toBe('CONTAINER_PATH_ESCAPES')
    const outside = await failure({
      ...STATIC,
      files: [{ from: '../../outside/secret.txt', to: '/secret.txt' }],
    })
    expect(outside.code).toBe('CONTAINER_PATH_ESCAPES')
    expect(outside.message).toMatch(/files\[0\]\.from/)
    const linked = await failure({ ...STATIC, files: [{ from: 'config/linked.toml', to: '/etc/app.toml' }] })
    expect(linked.code).toBe('CONTAINER_PATH_ESCAPES')
    expect(linked.message).toMatch(
      /files\[0\]\.from: config\/linked\.toml resolves outside .* \(a symlink\?\)/,
    )
  })

  it('CONTAINER_USER_UNKNOWN for a user or group name the image does not define', async () => {
    const error = await failure({ ...STATIC, user: 'app' })
    expect(error.code).toBe('CONTAINER_USER_UNKNOWN')
    expect(error.message).toMatch(/user "app" is not in the image's \/etc\/passwd \(it has: root, nonroot\)/)
    expect((await failure({ ...STATIC, user: 'nonroot:staff' })).message).toMatch(/group "staff"/)
    expect((await failure({ ...STATIC, base: 'scratch', user: 'nonroot' })).message).toMatch(
      /the image has none/,
    )
  })

  it('CONTAINER_DUPLICATE_PATH names both origins', async () => {
    const error = await failure({
      ...STATIC,
      files: [{ from: 'config/app.toml', to: '/usr/local/bin/demo' }],
    })
    expect(error.code).toBe('CONTAINER_DUPLICATE_PATH')
    expect(error.message).toMatch(
      /\/usr\/local\/bin\/demo in the linux\/amd64 image comes from both polyship\.image\.files\[0\].*binary artifact demo/,
    )
    const twice = await failure({
      ...STATIC,
      files: [
        { from: 'config/app.toml', to: '/etc/app.toml' },
        { from: 'config', to: '/etc/' },
      ],
    })
    expect(twice.code).toBe('CONTAINER_DUPLICATE_PATH')
    const fileAsDirectory = await failure({
      ...STATIC,
      files: [{ from: 'config/app.toml', to: '/usr/local/bin' }],
    })
    expect(fileAsDirectory.message).toMatch(/needs it to be a directory/)
  })

  it('CONTAINER_ARTIFACT_MISSING when a platform has no binary', async () => {
    const error = await failure(STATIC, [binaries[0]!])
    expect(error.code).toBe('CONTAINER_ARTIFACT_MISSING')
    expect(error.message).toMatch(/no linux\/arm64 binary of demo .*binaries: linux\/amd64/)
  })

  it('CONTAINER_CONFIG_INVALID for a duration, user syntax or tag it cannot use', async () => {
    expect(
      (await failure({ ...STATIC, healthcheck: { test: ['/usr/local/bin/demo'], interval: 'soon' } }))
        .message,
    ).toMatch(/healthcheck\.interval: "soon" is not a duration/)
    expect((await failure({ ...STATIC, user: 'a b' })).code).toBe('CONTAINER_CONFIG_INVALID')
    expect((await failure({ ...STATIC, tags: ['release/{version}'] })).code).toBe('CONTAINER_CONFIG_INVALID')
    expect(await codeOf(Promise.resolve().then(() => imageTags('1.0.0', ['-bad'])))).toBe(
      'CONTAINER_CONFIG_INVALID',
    )
  })
})

describe('tags', () => {
  it('expands templates, writes + as _ and skips moving tags for pre-releases', () => {
    expect(
      imageTags('1.2.3+build.7', ['latest', '{major}.{minor}', '{major}', 'stable', '{version}-debug']).tags,
    ).toEqual([
      { tag: '1.2.3_build.7', moving: false },
      { tag: 'latest', moving: true },
      { tag: '1.2', moving: true },
      { tag: '1', moving: true },
      { tag: 'stable', moving: true },
      { tag: '1.2.3_build.7-debug', moving: false },
    ])
    const pre = imageTags('2.0.0-rc.1', ['latest', '{major}.{minor}', 'edge'])
    expect(pre.tags.map((t) => t.tag)).toEqual(['2.0.0-rc.1', 'edge'])
    expect(pre.skipped.map((s) => s.template)).toEqual(['latest', '{major}.{minor}'])
  })
})

describe('wheel tags', () => {
  const fits = (file: string, platform = AMD64, python = '3.11') =>
    parseWheelName(file).tags.some((t) => tagFits(t, platform, python))
  it('follow the rules pip applies for CPython on Linux', () => {
    expect(fits('a-1-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl')).toBe(true)
    expect(fits('a-1-cp39-abi3-manylinux_2_17_x86_64.whl', ARM64)).toBe(false)
    expect(fits('a-1-cp312-abi3-manylinux_2_17_x86_64.whl')).toBe(false)
    expect(fits('a-1-cp311-cp311-musllinux_1_2_aarch64.whl', ARM64)).toBe(true)
    expect(fits('a-1-cp310-cp310-linux_x86_64.whl')).toBe(false)
    expect(fits('a-1-py3-none-any.whl', ARM64)).toBe(true)
    expect(fits('a-1-py2.py3-none-any.whl')).toBe(true)
    expect(fits('a-1-cp311-cp311-macosx_11_0_arm64.whl', ARM64)).toBe(false)
    expect(fits('a-1-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl')).toBe(false)
  })
  it('name the Python an image needs when wheels require one exactly', () => {
    expect(exactPythonVersion([parseWheelName('a-1-cp312-cp312-manylinux_2_17_x86_64.whl')])).toBe('3.12')
    expect(exactPythonVersion([parseWheelName('a-1-cp39-abi3-manylinux_2_17_x86_64.whl')])).toBeUndefined()
    expect(
      exactPythonVersion([
        parseWheelName('a-1-cp312-cp312-linux_x86_64.whl'),
        parseWheelName('b-1-cp311-cp311-linux_x86_64.whl'),
      ]),
    ).toBeUndefined()
  })
})
