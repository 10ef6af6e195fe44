import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redact } from '@polyship/core'
import { readNpmConfig } from '@polyship/npm'
import { afterAll, describe, expect, it } from 'vitest'

const dir = await mkdtemp(join(tmpdir(), 'polyship-npmrc-redaction-'))
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('.npmrc credentials are registered with the redactor when read', () => {
  it('an _authToken and the password inside an _auth are hidden from every later line', async () => {
    const password = 'npmBasicPw-5t6y7u'
    const auth = Buffer.from(`deploy:${password}`).toString('base64')
    await writeFile(
      join(dir, '.npmrc'),
      `//registry.example/:_authToken=npm_tokenFromNpmrc0123\n//basic.example/:_auth=${auth}\n`,
    )
    await readNpmConfig({ projectDir: dir, home: dir, env: {} })
    expect(redact(`401 for npm_tokenFromNpmrc0123 / ${auth} / deploy:${password} / ${password}`)).toBe(
      '401 for [redacted] / [redacted] / [redacted] / [redacted]',
    )
  })
})
