import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type BuiltImage, buildImage } from '@polyship/container'
import type { Artifact, ImageConfig, Project } from '@polyship/core'
import { RegistryClient } from '@polyship/oci'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AMD64, ARM64, binaryArtifact, EPOCH, makeProject, temps } from './helpers.ts'

const dirs = temps()
const client = new RegistryClient()
const env = { ...process.env, SOURCE_DATE_EPOCH: EPOCH }
const IMAGE: ImageConfig = {
  base: 'static',
  platforms: ['linux/amd64', 'linux/arm64'],
  entrypoint: ['/usr/local/bin/time-server-go'],
  user: '65532',
}

let project: Project
let artifacts: Artifact[]
let cache: string

beforeAll(async () => {
  const root = join(await dirs.make('layer-cache'), 'time-server-go')
  // The static base never runs the entrypoint: any executable bytes stand in for the binaries.
  artifacts = await Promise.all(
    [AMD64, ARM64].map(async (platform) => {
      const path = join(root, 'dist', platform.architecture, 'time-server-go')
      await mkdir(join(path, '..'), { recursive: true })
      await writeFile(path, randomBytes(256 * 1024))
      await chmod(path, 0o755)
      return binaryArtifact(path, platform, 'time-server-go')
    }),
  )
  project = await makeProject(root, IMAGE, { name: 'time-server-go', version: '1.0.0' })
  cache = join(await dirs.make('cache'), '.layers')
})

afterAll(async () => {
  client.close()
  await dirs.cleanup()
})

async function built(options: { layerCache?: string; epoch?: string } = {}) {
  const image: BuiltImage = await buildImage(
    { project, artifacts },
    {
      env: { ...env, SOURCE_DATE_EPOCH: options.epoch ?? EPOCH },
      client,
      ...(options.layerCache === undefined ? {} : { layerCache: options.layerCache }),
    },
  )
  try {
    return {
      digest: image.index.descriptor.digest,
      files: image.blobs.flatMap((b) => ('path' in b.source ? [b.source.path as string] : [])),
    }
  } finally {
    await image.dispose()
  }
}

describe('layer cache (dist/build/.layers)', () => {
  it('gives the same image as no cache, and the second build takes its layers from the cache', async () => {
    const plain = await built()
    const first = await built({ layerCache: cache })
    const second = await built({ layerCache: cache })
    expect(first.digest).toBe(plain.digest)
    expect(second.digest).toBe(plain.digest)
    // static base + one binaries layer per platform
    expect(second.files).toHaveLength(3)
    for (const file of second.files) expect(file.startsWith(join(cache, 'blobs'))).toBe(true)
    for (const file of first.files) expect(file.startsWith(cache)).toBe(false)
  })

  it('a different input (SOURCE_DATE_EPOCH) misses, and a damaged cached blob is written again', async () => {
    const other = await built({ layerCache: cache, epoch: '1700000001' })
    expect(other.files.every((f) => !f.startsWith(cache))).toBe(true)
    const blobs = join(cache, 'blobs')
    for (const name of await readdir(blobs)) {
      const file = join(blobs, name)
      const bytes = await readFile(file)
      const last = bytes.length - 1
      bytes.writeUInt8(bytes.readUInt8(last) ^ 0xff, last)
      await writeFile(file, bytes)
    }
    const plain = await built()
    const again = await built({ layerCache: cache })
    expect(again.digest).toBe(plain.digest)
    expect(again.files.every((f) => !f.startsWith(cache))).toBe(true)
    const healed = await built({ layerCache: cache })
    expect(healed.digest).toBe(plain.digest)
    expect(healed.files.every((f) => f.startsWith(blobs))).toBe(true)
  })
})
