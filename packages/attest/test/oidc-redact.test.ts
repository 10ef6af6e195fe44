import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { identityTokenSource, keylessSigner } from '@polyship/attest'
import { redact } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDeps } from './helpers.ts'

/**
 * The Sigstore keyless OIDC token is a credential: wherever polyship reads it (an
 * environment variable) or receives it (GitHub Actions' OIDC endpoint, here a loopback FAKE
 * of it: GitHub cannot be reached from tests), it is registered with core's redactor, so no
 * output, log, error line or record shows it. Each case uses a fresh token and checks that
 * `redact` shows it before polyship read it and hides it after: the registry is process-wide.
 */

/** A JWT-shaped token no other test registered. */
const freshToken = () =>
  ['eyJhbGciOiJSUzI1NiJ9', randomBytes(24).toString('base64url'), randomBytes(32).toString('base64url')].join(
    '.',
  )

describe('the OIDC token is registered with the redactor when it is read', () => {
  it('SIGSTORE_ID_TOKEN', async () => {
    const token = freshToken()
    expect(redact(`token=${token}`)).toContain(token)
    const source = identityTokenSource({}, testDeps('/h', { SIGSTORE_ID_TOKEN: token }).deps)
    expect(await source()).toBe(token)
    expect(redact(`token=${token}`)).toBe('token=[redacted]')
    expect(redact(JSON.stringify({ id_token: token }))).not.toContain(token)
  })

  it('a token in a variable named by signing.identityToken, whose name does not look secret', async () => {
    const token = freshToken()
    const source = identityTokenSource(
      { tokenEnv: 'CI_JOB_JWT_V2' },
      testDeps('/h', { CI_JOB_JWT_V2: token }).deps,
    )
    expect(await source()).toBe(token)
    expect(redact(`identity ${token} (from CI)`)).toBe('identity [redacted] (from CI)')
  })

  it('through keylessSigner: the token is hidden once the signer is set up, before it signs anything', () => {
    const token = freshToken()
    keylessSigner({}, testDeps('/h', { SIGSTORE_ID_TOKEN: token }).deps)
    expect(redact(`Fulcio said: bad token ${token}`)).toBe('Fulcio said: bad token [redacted]')
  })
})

describe('the token requested from a fake GitHub Actions OIDC endpoint (loopback FAKE)', () => {
  let server: Server
  let url = ''
  let issued = ''
  const requests: { authorization?: string; audience: string | null }[] = []
  const requestToken = `ghs_${randomBytes(16).toString('hex')}`

  beforeAll(async () => {
    server = createServer((req, res) => {
      const asked = new URL(req.url ?? '/', 'http://fake')
      requests.push({
        ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
        audience: asked.searchParams.get('audience'),
      })
      if (req.headers.authorization !== `Bearer ${requestToken}`) {
        res.writeHead(401, { 'content-type': 'application/json' })
        res.end('{"message":"bad request token"}')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ count: 1, value: issued }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/token?api-version=2.0`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('hides the received token and the request token', async () => {
    issued = freshToken()
    expect(redact(issued)).toBe(issued)
    const source = identityTokenSource(
      {},
      testDeps('/h', {
        GITHUB_ACTIONS: 'true',
        ACTIONS_ID_TOKEN_REQUEST_URL: url,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
      }).deps,
    )
    expect(redact(`request ${requestToken}`)).toBe('request [redacted]')
    // not yet requested: nothing polyship has not received can be registered
    expect(redact(issued)).toBe(issued)
    expect(await source()).toBe(issued)
    expect(requests.at(-1)).toEqual({ authorization: `Bearer ${requestToken}`, audience: 'sigstore' })
    expect(redact(`the certificate request carried ${issued}`)).toBe(
      'the certificate request carried [redacted]',
    )
    // its base64 form too (a token inside an encoded header or blob)
    const encoded = Buffer.from(issued).toString('base64')
    expect(redact(`blob ${encoded}`)).toBe('blob [redacted]')
  })

  it('an answer without a token is ATTEST_OIDC_TOKEN_MISSING naming the host, not a crash', async () => {
    issued = ''
    const source = identityTokenSource(
      {},
      testDeps('/h', { ACTIONS_ID_TOKEN_REQUEST_URL: url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken })
        .deps,
    )
    await expect(source()).rejects.toMatchObject({
      code: 'ATTEST_OIDC_TOKEN_MISSING',
      message: expect.stringContaining(new URL(url).host),
    })
  })
})
