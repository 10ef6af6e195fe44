import { join } from 'node:path'
import { readPythonProject } from '@polyship/wheel'
import { describe, expect, it } from 'vitest'
import { caught } from './helpers.ts'
import { copyExample, editJson, projectIn } from './workspace.ts'

describe('the released version in Python terms (core pep440OfSemver)', () => {
  it('maps a SemVer pre-release spelled rc-N, as `polyship version` writes it', async () => {
    const dir = await copyExample('rc-dash')
    await editJson(join(dir, 'package.json'), (p) => {
      p.version = '0.1.0-c.1'
    })
    const error = await caught(readPythonProject(await projectIn(dir)))
    // pyproject.toml still says 0.1.0: the release is compared as 0.1.0rc1
    expect([error.code, error.message]).toEqual([
      'WHEEL_VERSION_MISMATCH',
      expect.stringContaining('releases 0.1.0-c.1 (0.1.0rc1 in Python terms)'),
    ])
  })

  it('refuses a release whose pre-release has no PEP 440 spelling, naming package.json', async () => {
    const dir = await copyExample('next')
    await editJson(join(dir, 'package.json'), (p) => {
      p.version = '0.1.0-next.1'
    })
    const error = await caught(readPythonProject(await projectIn(dir)))
    expect(error.code).toBe('WHEEL_VERSION_MISMATCH')
    expect(error.message).toBe(
      `${join(dir, 'package.json')} releases 0.1.0-next.1, which has no PEP 440 spelling for a Python distribution`,
    )
    expect(error.hint).toContain('alpha, beta, rc, dev or post')
  })
})
