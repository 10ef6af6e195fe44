import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { canRequestGithubIdToken, redact, requestGithubIdToken } from '@polyship/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * GitHub Actions' OIDC token endpoint cannot be reached from tests: a loopback FAKE of it
 * answers as GitHub does (`{"count":1,"value":"<jwt>"}` for the right bearer token).
 */
describe('requestGithubIdToken (fake GitHub Actions OIDC endpoint on loopback)', () => {
  let server: Server
  let base = ''
  let answer: (res: import('node:http').ServerResponse) => void = () => {}
  const seen: { authorization: string | undefined; audience: string | null }[] = []
  const requestToken = `ghs_${randomBytes(16).toString('hex')}`

  beforeAll(async () => {
    server = createServer((req, res) => {
      const asked = new URL(req.url ?? '/', 'http://fake')
      seen.push({ authorization: req.headers.authorization, audience: asked.searchParams.get('audience') })
      if (req.headers.authorization !== `Bearer ${requestToken}`) return res.writeHead(401).end('{}')
      answer(res)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/token?api-version=2.0`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const env = () => ({ ACTIONS_ID_TOKEN_REQUEST_URL: base, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken })
  const noWait = { sleep: async () => {} }

  it('asks for the audience with the request token; both tokens are hidden from then on', async () => {
    const issued = `eyJhbGciOiJSUzI1NiJ9.${randomBytes(24).toString('base64url')}.sig`
    answer = (res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ count: 1, value: issued }))
    expect(canRequestGithubIdToken(env())).toBe(true)
    expect(redact(issued)).toBe(issued)
    const result = await requestGithubIdToken('pypi', { env: env(), retry: noWait })
    expect(result).toEqual({ status: 'issued', token: issued })
    expect(seen.at(-1)).toEqual({ authorization: `Bearer ${requestToken}`, audience: 'pypi' })
    expect(redact(`id ${issued} via ${requestToken}`)).toBe('id [redacted] via [redacted]')
  })

  it('a refusal, an answer without a token, a 503 retried: outcomes, not crashes', async () => {
    answer = (res) => res.writeHead(403).end('{"message":"no id-token permission"}')
    const host = new URL(base).host
    expect(await requestGithubIdToken('sigstore', { env: env(), retry: noWait })).toEqual({
      status: 'refused',
      httpStatus: 403,
      host,
    })
    answer = (res) => res.writeHead(200).end('<html>not json</html>')
    expect(await requestGithubIdToken('sigstore', { env: env(), retry: noWait })).toEqual({
      status: 'empty',
      host,
    })

    let calls = 0
    answer = (res) => {
      calls++
      if (calls === 1) res.writeHead(503).end()
      else res.writeHead(200).end(JSON.stringify({ value: 'eyJ-second-token-value' }))
    }
    const retried = await requestGithubIdToken('sigstore', { env: env(), retry: noWait })
    expect([retried.status, calls]).toEqual(['issued', 2])
  })

  it('an endpoint answering more than a token document is cut off by the size cap (NET_TOO_LARGE)', async () => {
    answer = (res) => res.writeHead(200).end(Buffer.alloc(1024 * 1024, 0x61))
    await expect(requestGithubIdToken('sigstore', { env: env(), retry: noWait })).rejects.toMatchObject({
      code: 'NET_TOO_LARGE',
    })
  })
})
