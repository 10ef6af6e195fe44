import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { indexFor, isPypi, publishWheels, WheelError } from '@polyship/wheel'
import { describe, expect, it } from 'vitest'

/**
 * Finding 13: an invalid `destinations.wheels.url` crashed with a TypeError (exit 70) where
 * the URL was first parsed. It is WHEEL_INDEX_URL_INVALID naming the field, credentials in
 * it redacted, wherever the URL is read first.
 */

const INVALID: readonly [label: string, url: string, problem: string][] = [
  ['not a URL', 'pypi.example.com/legacy/', 'is not a URL'],
  ['a space in the host', 'https://exa mple.com/', 'is not a URL'],
  ['empty', '', 'is not a URL'],
  ['a port out of range', 'https://example.com:99999/', 'is not a URL'],
  ['another scheme', 'ftp://example.com/legacy/', 'is a ftp: URL, not http(s)'],
  ['a file URL', 'file:///srv/pypi', 'is a file: URL, not http(s)'],
  ['credentials in a broken URL', 'https://__token__:pypi-SECRET@exa mple.com/', 'is not a URL'],
]

function caught(run: () => unknown): WheelError {
  try {
    run()
  } catch (error) {
    if (error instanceof WheelError) return error
    throw error
  }
  throw new Error('accepted')
}

describe('destinations.wheels.url', () => {
  for (const [label, url, problem] of INVALID) {
    it(`${label}: WHEEL_INDEX_URL_INVALID from indexFor and isPypi`, async () => {
      for (const error of [
        caught(() => indexFor({ type: 'pypi', url }, { root: '/ws', env: {} })),
        caught(() => isPypi(url)),
      ]) {
        expect(error.code).toBe('WHEEL_INDEX_URL_INVALID')
        expect(error.message).toContain('destinations.wheels.url')
        expect(error.message).toContain(problem)
        expect(error.message).not.toContain('pypi-SECRET')
        expect(error.hint).toContain('https://upload.pypi.org/legacy/')
      }
    })
  }

  it('publishWheels refuses before anything is read or sent', async () => {
    const root = await mkdtemp(join(tmpdir(), 'polyship-wheel-url-'))
    await expect(
      publishWheels([], { type: 'pypi', url: 'not a url' }, { root, env: {} }),
    ).rejects.toMatchObject({
      code: 'WHEEL_INDEX_URL_INVALID',
    })
  })

  it('accepts http(s) upload URLs', () => {
    expect(isPypi('https://upload.pypi.org/legacy/')).toBe(true)
    expect(isPypi('http://127.0.0.1:8080/')).toBe(false)
  })
})
