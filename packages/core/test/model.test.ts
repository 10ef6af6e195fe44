import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CoreError,
  digestFile,
  formatPlatform,
  parseDigest,
  parsePlatform,
  redact,
  registerSecrets,
  sha256,
} from '@polyship/core'
import { describe, expect, it } from 'vitest'

describe('platform', () => {
  it('parses and formats os/arch[/variant]', () => {
    expect(parsePlatform('linux/arm/v7')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' })
    expect(formatPlatform(parsePlatform('darwin/arm64'))).toBe('darwin/arm64')
  })

  it.each(['linux', 'linux/amd65', 'plan9/amd64', 'linux/arm/v9', 'linux/amd64/v1/x'])(
    'rejects %s with a code and the known values',
    (text) => {
      expect(() => parsePlatform(text)).toThrow(CoreError)
      try {
        parsePlatform(text, 'package.json: polyship.binary.platforms[0]')
      } catch (error) {
        expect((error as CoreError).code).toBe('PLATFORM_INVALID')
        expect((error as CoreError).message).toContain('polyship.binary.platforms[0]')
      }
    },
  )
})

describe('digest', () => {
  it('hashes bytes and files alike', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'polyship-digest-'))
    await writeFile(join(dir, 'f'), 'abc')
    const digest = sha256('abc')
    expect(digest).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(await digestFile(join(dir, 'f'))).toEqual({ digest, size: 3 })
    expect(() => parseDigest('sha256:ABC')).toThrow(CoreError)
  })
})

describe('redact', () => {
  it('removes literal secrets, their base64 and auth headers', () => {
    const text = redact('token abcd1234 b64 YWJjZDEyMzQ= Authorization: Bearer eyJhbGciOi.xyz', ['abcd1234'])
    expect(text).toBe('token [redacted] b64 [redacted] Authorization: Bearer [redacted]')
  })

  it('removes URL userinfo, token-only included, and keeps ssh git@ and digests', () => {
    expect(redact('GET http://ghp_tokenOnly123@registry.example:5000/v2/ failed')).toBe(
      'GET http://[redacted]@registry.example:5000/v2/ failed',
    )
    expect(redact('https://user:pa55@host/x and ssh://git@github.com/o/r')).toBe(
      'https://[redacted]@host/x and ssh://git@github.com/o/r',
    )
    expect(redact('docker://ghcr.io/acme/app@sha256:abcd oci-layout:dist/oci@sha256:ef01')).toBe(
      'docker://ghcr.io/acme/app@sha256:abcd oci-layout:dist/oci@sha256:ef01',
    )
  })

  it('hides registered secrets in every later call', () => {
    registerSecrets(['npmrc-token-value-42'])
    expect(redact('refused npmrc-token-value-42 (bnBtcmMtdG9rZW4tdmFsdWUtNDI=)')).toBe(
      'refused [redacted] ([redacted])',
    )
  })
})
