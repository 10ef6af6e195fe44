import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { directoryIndex, inspectDistribution, publishDistributions, readPythonProject } from '@polyship/wheel'
import { writeSyntheticWheel } from '@polyship/wheel/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { caught } from './helpers.ts'
import { hatchProject, pythonWorkspace } from './python-workspace.ts'
import { projectIn } from './workspace.ts'

/**
 * Finding 14: a Python project name that is not a PEP 508 name (`..`, a leading dash,
 * spaces, non-ASCII) was built and published to the embedded index. It is refused where it
 * is read (pyproject.toml at build, METADATA when a built file is inspected), naming the
 * file and field, so nothing reaches a destination.
 */

const HOSTILE = ['..', '.', '-acme', 'acme-', '_acme', 'ac me', 'ācme', 'a/b', 'a\u0000b']

let work: string
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-wheel-hostile-names-'))
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('a pyproject.toml project.name that is not a Python project name', () => {
  for (const name of HOSTILE) {
    it(`refuses ${JSON.stringify(name)} naming the file and the field`, async () => {
      const files = hatchProject('acme-p', '1.2.0')
      const root = await pythonWorkspace('hostile-name', {
        p: {
          ...files,
          'pyproject.toml': files['pyproject.toml']!.replace(
            'name = "acme-p"',
            `name = ${JSON.stringify(name)}`,
          ),
        },
      })
      const error = await caught(readPythonProject(await projectIn(join(root, 'packages', 'p'))))
      expect(error.code).toBe('WHEEL_PYPROJECT_INVALID')
      expect(error.message).toContain(join(root, 'packages', 'p', 'pyproject.toml'))
      expect(error.message).toContain(`project.name ${JSON.stringify(name)}`)
      expect(error.message).toContain('acme-p')
      await rm(root, { recursive: true, force: true })
    })
  }
})

describe('a built file whose METADATA names no valid project', () => {
  for (const name of ['..', '.', '-acme', 'ac me', 'ācme']) {
    it(`refuses ${JSON.stringify(name)} and publishes nothing to the embedded index`, async () => {
      const dir = join(work, `dist-${Buffer.from(name).toString('hex')}`)
      await mkdir(dir, { recursive: true })
      const wheel = await writeSyntheticWheel(dir, { name, version: '1.0' })
      const error = await caught(
        (async () => {
          const distribution = await inspectDistribution(wheel)
          await publishDistributions([distribution], directoryIndex(join(dir, 'index')))
        })(),
      )
      expect(error.code).toBe('WHEEL_ARCHIVE_INVALID')
      expect(error.message).toContain(`the metadata names the project ${JSON.stringify(name)}`)
      expect(await readdir(dir)).not.toContain('index')
    })
  }

  it('accepts the names PEP 508 allows (dots, dashes, underscores inside)', async () => {
    const dir = join(work, 'valid')
    await mkdir(dir, { recursive: true })
    for (const name of ['a', 'A.b-c_d', 'fast..json', 'x9']) {
      const wheel = await writeSyntheticWheel(dir, { name, version: '1.0' })
      await expect(inspectDistribution(wheel)).resolves.toMatchObject({ name })
    }
  })
})
