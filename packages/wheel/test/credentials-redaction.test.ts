import { redact } from '@polyship/core'
import { credentialsFor } from '@polyship/wheel'
import { describe, expect, it } from 'vitest'

describe('index credentials are registered with the redactor when read', () => {
  it('a token in a tokenEnv whose name does not look secret is hidden from every later line', () => {
    const token = 'pypi-AgENdGVzdC5weXBpLm9yZwIkN2Q'
    const credentials = credentialsFor(
      { type: 'pypi', url: 'https://upload.pypi.org/legacy/', tokenEnv: 'UPLOAD_KEY_FOR_CI' },
      { UPLOAD_KEY_FOR_CI: token },
    )
    expect(credentials).toEqual({ type: 'token', token })
    const basic = Buffer.from(`__token__:${token}`).toString('base64')
    expect(redact(`upload refused for ${token}; sent Basic ${basic}`)).toBe(
      'upload refused for [redacted]; sent Basic [redacted]',
    )
  })
})
