import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '@polyship/core'

/** A token request the issuer received: who asked (undefined = anonymous) for which scopes. */
export interface TokenRequest {
  readonly user: string | undefined
  readonly scopes: readonly string[]
  readonly grant: 'basic' | 'refresh_token' | 'anonymous'
}

/**
 * A loopback bearer-token issuer for distribution's `auth.token`: the registry is real,
 * the issuer is the boundary we fake. Tokens are ES256 JWTs carrying the certificate in
 * `x5c`; the registry trusts `certFile`.
 */
export interface TokenIssuer {
  readonly realm: string
  readonly service: string
  readonly issuer: string
  readonly certFile: string
  readonly requests: readonly TokenRequest[]
  stop(): Promise<void>
}

export interface TokenIssuerOptions {
  /** Users and passwords accepted with Basic auth at the realm. */
  readonly users: Readonly<Record<string, string>>
  /** OAuth2 refresh tokens (docker `identitytoken`) and the user each stands for. */
  readonly refreshTokens?: Readonly<Record<string, string>>
  /** Actions granted to `user` (undefined = anonymous) on `repository`; default: all asked to users, pull to nobody. */
  readonly grant?: (
    user: string | undefined,
    repository: string,
    asked: readonly string[],
  ) => readonly string[]
  /** Token lifetime in seconds (default 300). */
  readonly expiresIn?: number
}

export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const dir = await mkdtemp(join(tmpdir(), 'polyship-issuer-'))
  const keyFile = join(dir, 'key.pem')
  const certFile = join(dir, 'cert.pem')
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    '/CN=polyship-test-issuer',
  ])
  const key = createPrivateKey(await readFile(keyFile))
  const x5c = new X509Certificate(await readFile(certFile)).raw.toString('base64')
  const service = 'polyship-test-registry'
  const issuer = 'polyship-test-issuer'
  const requests: TokenRequest[] = []
  const grant = options.grant ?? ((user, _repository, asked) => (user === undefined ? [] : asked))

  const mint = (user: string | undefined, scopes: readonly string[]): string => {
    const access = scopes.flatMap((scope) => {
      const match = /^repository:([^:]+):(.+)$/.exec(scope)
      if (match === null) return []
      return [
        { type: 'repository', name: match[1]!, actions: [...grant(user, match[1]!, match[2]!.split(','))] },
      ]
    })
    const now = Math.floor(Date.now() / 1000)
    const header = { typ: 'JWT', alg: 'ES256', x5c: [x5c] }
    const claims = {
      iss: issuer,
      sub: user ?? '',
      aud: service,
      exp: now + (options.expiresIn ?? 300),
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    }
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`
    const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' })
    return `${signingInput}.${b64url(signature)}`
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://issuer')
    let user: string | undefined
    let scopes: string[]
    let grantType: TokenRequest['grant'] = 'anonymous'
    if (req.method === 'POST') {
      const form = new URLSearchParams(await bodyText(req))
      scopes = (form.get('scope') ?? '').split(' ').filter(Boolean)
      user = options.refreshTokens?.[form.get('refresh_token') ?? '']
      grantType = 'refresh_token'
      if (user === undefined) return deny(res)
    } else {
      scopes = url.searchParams.getAll('scope')
      const authorization = req.headers.authorization
      if (authorization?.startsWith('Basic ')) {
        const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8')
        const colon = decoded.indexOf(':')
        const name = decoded.slice(0, colon)
        if (colon === -1 || options.users[name] !== decoded.slice(colon + 1)) return deny(res)
        user = name
        grantType = 'basic'
      }
    }
    requests.push({ user, scopes, grant: grantType })
    const token = mint(user, scopes)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ token, access_token: token, expires_in: options.expiresIn ?? 300 }))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500)
      res.end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  return {
    realm: `http://127.0.0.1:${address.port}/token`,
    service,
    issuer,
    certFile,
    requests,
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(dir, { recursive: true, force: true })
    },
  }
}

function deny(res: ServerResponse): void {
  res.writeHead(401, {
    'content-type': 'application/json',
    'www-authenticate': 'Basic realm="polyship-test-issuer"',
  })
  res.end('{"details":"invalid username or password"}')
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url')
}

async function bodyText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
