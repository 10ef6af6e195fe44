import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Distribution,
  directoryIndex,
  inspectDistribution,
  normalizeName,
  publishDistributions,
  remoteIndex,
  WheelConflictError,
} from '@polyship/wheel'
import {
  type PypiServer,
  startPypiServer,
  writeSyntheticSdist,
  writeSyntheticWheel,
} from '@polyship/wheel/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * Finding 12: a kill -9 during an sdist upload left pypiserver holding an empty (or
 * truncated) file under the sdist's name; every re-run then stopped with a bare conflict.
 * The conflict must say exactly what the index holds ("an empty file (0 bytes)", "the first
 * N of M bytes") and the way out, and following that way out must let the release complete.
 */

let work: string
let server: PypiServer

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-wheel-interrupted-'))
  server = await startPypiServer({ dir: join(work, 'pypiserver') })
})
afterAll(async () => {
  await server?.stop()
  await rm(work, { recursive: true, force: true })
})

async function files(name: string): Promise<Distribution[]> {
  const dir = await mkdtemp(join(work, `${name}-`))
  return Promise.all(
    [
      await writeSyntheticWheel(dir, { name, version: '1.0.0', size: 3000 }),
      await writeSyntheticSdist(dir, { name, version: '1.0.0' }),
    ].map(inspectDistribution),
  )
}

async function conflict(promise: Promise<unknown>): Promise<WheelConflictError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof WheelConflictError) return error
    throw error
  }
  throw new Error('published')
}

describe('pypiserver holding a cut-off upload of the sdist', () => {
  const CASES: readonly [label: string, cut: (size: number) => number][] = [
    ['empty', () => 0],
    ['one byte', () => 1],
    ['half', (size) => Math.floor(size / 2)],
    ['all but the last byte', (size) => size - 1],
  ]
  for (const [label, cut] of CASES) {
    it(`${label}: says what the index holds, and the way out works`, async () => {
      const name = `cut-${label.replaceAll(' ', '-')}`
      const [wheel, sdist] = await files(name)
      const bytes = await readFile(sdist!.path)
      const held = cut(bytes.length)
      await writeFile(join(server.dir, sdist!.filename), bytes.subarray(0, held))
      const index = remoteIndex({ uploadUrl: server.url, credentials: { type: 'none' } })

      const error = await conflict(publishDistributions([wheel!, sdist!], index))
      expect(error.code).toBe('WHEEL_CONFLICT')
      expect(error.message).toContain('left by an upload that was cut off')
      expect(error.message).toContain(
        held === 0
          ? `${sdist!.filename}: the index holds an empty file (0 bytes) under this name; this build's file is ${bytes.length} bytes`
          : `${sdist!.filename}: the index holds a truncated copy of this build's file: the first ${held} of ${bytes.length} bytes`,
      )
      expect(error.hint).toContain(`delete ${sdist!.filename} from the index`)
      expect(error.hint).not.toMatch(/new version/)
      // nothing of the project was uploaded
      expect(await readdir(server.dir)).not.toContain(wheel!.filename)

      // the way out the hint gives (this server allows removal without credentials)
      const command = /curl -u <user> (.*?), which/.exec(error.hint ?? '')![1]!
      expect(command).toBe(
        `-F :action=remove_pkg -F name=${sdist!.filename.split('-')[0]} -F version=1.0.0 ${server.url}`,
      )
      execFileSync('curl', ['-sf', ...command.split(' ')])
      expect(await readdir(server.dir)).not.toContain(sdist!.filename)
      const outcomes = await publishDistributions([wheel!, sdist!], index)
      expect(outcomes.map((o) => o.status)).toEqual(['published', 'published'])
      expect((await readFile(join(server.dir, sdist!.filename))).equals(bytes)).toBe(true)
    })
  }

  it('another file of the same name is still a plain conflict: release a new version', async () => {
    const [, sdist] = await files('other-bytes')
    const bytes = await readFile(sdist!.path)
    await writeFile(join(server.dir, sdist!.filename), Buffer.alloc(bytes.length, 1))
    const error = await conflict(
      publishDistributions([sdist!], remoteIndex({ uploadUrl: server.url, credentials: { type: 'none' } })),
    )
    expect(error.message).toContain('already has different files under these names')
    expect(error.message).toContain(`(${bytes.length} bytes), we have ${sdist!.digest}`)
    expect(error.hint).toMatch(/release a new version/)
  })
})

describe('the embedded index holding an empty file', () => {
  it('says so, names the file to delete, and completes once it is deleted', async () => {
    const [wheel, sdist] = await files('embedded-cut')
    const root = join(work, 'embedded')
    const path = join(root, 'simple', normalizeName(sdist!.name), sdist!.filename)
    await mkdir(join(path, '..'), { recursive: true })
    await writeFile(path, '')
    const error = await conflict(publishDistributions([wheel!, sdist!], directoryIndex(root)))
    expect(error.message).toContain(`${sdist!.filename}: the index holds an empty file (0 bytes)`)
    expect(error.hint).toBe(
      `delete the broken file (rm ${path}) and run again: the file is published again whole`,
    )
    await rm(path)
    const outcomes = await publishDistributions([wheel!, sdist!], directoryIndex(root))
    expect(outcomes.map((o) => o.status)).toEqual(['published', 'published'])
  })
})
