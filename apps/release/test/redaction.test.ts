import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { registerSecret, run } from '@polyship/core'
import { startRegistry, startTokenIssuer, type TestRegistry, type TokenIssuer } from '@polyship/oci/testing'
import { main } from 'polyship'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type CliResult, commitAll, exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * No credential polyship reads reaches any output: a release to a token-auth registry on
 * loopback whose password is only in docker config.json (never in the environment), through
 * a hostile proxy that can answer with error bodies quoting the password or echoing the
 * Authorization header; and a second, Basic-auth registry echoing its Authorization header.
 * Every line (step lines, error lines, --debug, --json), every file in dist/ and every byte
 * the registry stored is searched for each form of each secret.
 */

const USER = 'ci-bot'
const PASSWORD = 'dockerPa55-7Hq2/x+Zk'
const BASIC_PASSWORD = 'basicOnly-Pw-93kd'
const HELPER_SECRET = 'helperSecret-Q8w7-e6r5'
const IDENTITY_TOKEN = 'identityToken-Z1x2-c3v4'
const GITHUB_TOKEN = 'ghs_releaseBotKey0987654321'
const PYPI_TOKEN = 'pypi-uploadKeyForCi-1q2w3e'
const shared = inject('ociRegistry')

/** What a hostile registry may answer instead of forwarding. */
type Answer = { readonly status: number; readonly body: string } | undefined

interface HostileProxy {
  readonly host: string
  /** Every Authorization header value polyship sent through it. */
  readonly authorizations: Set<string>
  /** Decides per request; undefined forwards it. */
  answer: (method: string, path: string, authorization: string | undefined) => Answer
  stop(): Promise<void>
}

/**
 * A loopback proxy in front of a registry that records the Authorization headers it sees and
 * can answer in the registry's place. With `basic`, it is the registry's auth itself: a
 * request without those credentials gets a Basic challenge, and the header is not forwarded.
 */
async function startHostileProxy(
  target: string,
  basic?: { readonly user: string; readonly password: string },
): Promise<HostileProxy> {
  const expected =
    basic === undefined
      ? undefined
      : `Basic ${Buffer.from(`${basic.user}:${basic.password}`).toString('base64')}`
  const proxy: HostileProxy = {
    host: '',
    authorizations: new Set(),
    answer: () => undefined,
    stop: async () => {},
  }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname
    const authorization = req.headers.authorization
    if (authorization !== undefined) proxy.authorizations.add(authorization)
    if (expected !== undefined && authorization !== expected) {
      req.resume()
      res.writeHead(401, { 'www-authenticate': 'Basic realm="hostile"', 'content-type': 'application/json' })
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
      return
    }
    const answer = proxy.answer(req.method ?? 'GET', path, authorization)
    if (answer !== undefined) {
      req.resume()
      req.on('end', () => {
        res.writeHead(answer.status, { 'content-type': 'application/json' })
        res.end(answer.body)
      })
      return
    }
    const headers = { ...req.headers }
    if (expected !== undefined) delete headers.authorization
    const upstream = request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers, agent: false },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers)
        reply.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return Object.assign(proxy, {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  })
}

let issuer: TokenIssuer
let registry: TestRegistry
let tokenProxy: HostileProxy
let basicProxy: HostileProxy
let ws: TestWorkspace
let dockerConfig: string
/** A registry whose token realm is hostile: it answers non-JSON starting with the password it was sent. */
let echoRealmRegistry: TestRegistry
let echoRealm: { stop(): Promise<void> }

const manifestPut = (method: string, path: string) => method === 'PUT' && path.includes('/manifests/')

/** Every form each secret polyship read could be printed in. */
function secretForms(): string[] {
  const bearer = [...tokenProxy.authorizations, ...basicProxy.authorizations]
    .filter((a) => a.startsWith('Bearer '))
    .map((a) => a.slice('Bearer '.length))
  return [
    PASSWORD,
    BASIC_PASSWORD,
    HELPER_SECRET,
    IDENTITY_TOKEN,
    GITHUB_TOKEN,
    PYPI_TOKEN,
    encodeURIComponent(PASSWORD),
    Buffer.from(`${USER}:${PASSWORD}`).toString('base64'),
    Buffer.from(`${USER}:${BASIC_PASSWORD}`).toString('base64'),
    Buffer.from(PASSWORD).toString('base64').slice(0, 16),
    ...bearer,
    // the signature part of each JWT, which a truncated echo would still end with
    ...bearer.map((t) => t.split('.').at(-1)!),
  ]
}

function expectNoSecret(text: string, where: string): void {
  for (const secret of secretForms()) {
    expect(text.includes(secret), `${where} shows a credential (${secret.slice(0, 6)}...)`).toBe(false)
  }
}

function expectClean(result: CliResult): void {
  expectNoSecret(result.stdout, 'stdout')
  expectNoSecret(result.stderr, 'stderr')
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

/** Greps every file under `dir` (binary included) for every form of every secret. */
async function expectTreeClean(dir: string): Promise<number> {
  const files = await filesUnder(dir)
  const secrets = secretForms()
  for (const file of files) {
    const bytes = await readFile(file)
    for (const secret of secrets) {
      expect(
        bytes.includes(Buffer.from(secret)),
        `${file} holds a credential (${secret.slice(0, 6)}...)`,
      ).toBe(false)
    }
  }
  return files.length
}

const config = (images: string, others: object = {}) => ({
  repository: 'https://github.com/polyship/polyship',
  destinations: { images: { type: 'registry', repository: `${images}/redaction-${process.pid}` }, ...others },
})

const APP_MANIFEST = {
  name: 'app',
  version: '1.0.0',
  polyship: {
    image: {
      base: 'scratch',
      platforms: ['linux/amd64'],
      entrypoint: ['/hello.txt'],
      files: [{ from: 'hello.txt', to: '/hello.txt', mode: '0755' }],
    },
  },
}

beforeAll(async () => {
  issuer = await startTokenIssuer({
    users: { [USER]: PASSWORD, 'helper-bot': HELPER_SECRET },
    refreshTokens: { [IDENTITY_TOKEN]: USER },
  })
  registry = await startRegistry({ auth: { type: 'token', issuer } })
  tokenProxy = await startHostileProxy(registry.url)
  basicProxy = await startHostileProxy(shared.url, { user: USER, password: BASIC_PASSWORD })
  const realm = createServer((req, res) => {
    const sent = Buffer.from(req.headers.authorization?.slice('Basic '.length) ?? '', 'base64').toString()
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end(`${sent.slice(sent.indexOf(':') + 1)} was accepted`)
  })
  await new Promise<void>((resolve) => realm.listen(0, '127.0.0.1', resolve))
  echoRealm = {
    stop: async () => {
      realm.closeAllConnections()
      await new Promise<void>((resolve) => realm.close(() => resolve()))
    },
  }
  echoRealmRegistry = await startRegistry({
    auth: {
      type: 'token',
      issuer: { ...issuer, realm: `http://127.0.0.1:${(realm.address() as { port: number }).port}/token` },
    },
  })
  dockerConfig = await mkdtemp(join(tmpdir(), 'polyship-redaction-docker-'))
  // the token registry as `docker login` writes it (auth), the Basic one with separate fields
  await writeFile(
    join(dockerConfig, 'config.json'),
    JSON.stringify({
      auths: {
        [tokenProxy.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') },
        [basicProxy.host]: { username: USER, password: BASIC_PASSWORD },
        [echoRealmRegistry.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') },
      },
    }),
  )
  ws = await exampleWorkspace({
    projects: [],
    globs: ['app'],
    files: {
      'app/package.json': `${JSON.stringify(APP_MANIFEST)}\n`,
      'app/hello.txt': 'hello\n',
    },
    config: config(tokenProxy.host),
  })
}, 120_000)

afterAll(async () => {
  await tokenProxy?.stop()
  await basicProxy?.stop()
  await registry?.stop()
  await echoRealmRegistry?.stop()
  await echoRealm?.stop()
  await issuer?.stop()
  await ws?.remove()
  if (dockerConfig) await rm(dockerConfig, { recursive: true, force: true })
})

const env = () => ({ ...ws.env, DOCKER_CONFIG: dockerConfig })
const release = (...args: string[]) => polyship(['release', ...args], { root: ws.root, env: env() })

/** The listr2 line of the failed step and the `error` line. */
function failureLines(result: CliResult): { step: string; error: string } {
  const lines = result.stderr.split('\n')
  const step = lines.find((l) => l.includes('publish app 1.0.0') && /✖|FAIL/i.test(l))
  const error = lines.find((l) => l.startsWith('error '))
  expect(step, result.stderr).toBeDefined()
  expect(error, result.stderr).toBeDefined()
  return { step: step!, error: error! }
}

describe('a registry error that quotes credentials', () => {
  it('a failing step whose message holds the docker config password: step line and error line redacted', async () => {
    tokenProxy.answer = (method, path) =>
      manifestPut(method, path)
        ? {
            status: 400,
            body: JSON.stringify({
              errors: [{ code: 'MANIFEST_INVALID', message: `manifest refused for ${USER}:${PASSWORD}` }],
            }),
          }
        : undefined
    try {
      const result = await release()
      expect(result.code).toBe(1)
      const { step, error } = failureLines(result)
      expect(step).toMatch(/^✖ publish app 1\.0\.0 \[FAILED: .*manifest refused for \[redacted\]\]$/)
      expect(error).toMatch(/^error OCI_MANIFEST_INVALID: .*manifest refused for \[redacted\]$/)
      expectClean(result)
    } finally {
      tokenProxy.answer = () => undefined
    }
  }, 300_000)

  it('in GitHub Actions, the ::error annotation of that failure is redacted too', async () => {
    const secret = 'pct%Secret-in-helper:42'
    refuseQuoting(secret)
    try {
      // a secret with % is escaped (%25) in workflow commands: it must be hidden before escaping
      registerSecret(secret)
      const result = await polyship(['release'], {
        root: ws.root,
        env: { ...env(), GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: ws.root },
      })
      expect(result.code).toBe(1)
      const annotation = result.stderr.split('\n').find((l) => l.startsWith('::error '))
      expect(annotation, result.stderr).toMatch(
        /^::error title=polyship OCI_MANIFEST_INVALID::.*not for \[redacted\] today/,
      )
      expect(result.stderr).not.toContain('pct%25Secret')
      expect(result.stderr).not.toContain(secret)
      expectClean(result)
    } finally {
      tokenProxy.answer = () => undefined
    }
  }, 300_000)

  it.each([
    ['plain', []],
    ['--debug', ['--debug']],
    ['--json', ['--json']],
  ])(
    'an error body echoing the bearer token and the Authorization header (%s) is shown redacted',
    async (_, flags) => {
      tokenProxy.answer = (method, path, authorization) =>
        manifestPut(method, path)
          ? {
              status: 400,
              body: JSON.stringify({
                errors: [
                  {
                    code: 'DENIED',
                    message: `token ${authorization?.slice('Bearer '.length)} may not push here`,
                    detail: { request: { headers: { Authorization: authorization } } },
                  },
                ],
              }),
            }
          : undefined
      try {
        const result = await release(...flags)
        expect(result.code).toBe(1)
        const error = result.stderr.split('\n').find((l) => l.startsWith('error '))
        expect(error, result.stderr).toMatch(/^error OCI_DENIED: .*token \[redacted\] may not push here/)
        expect(error).toContain('"Authorization":"Bearer [redacted]')
        if (flags.length === 0)
          expect(failureLines(result).step).toContain('token [redacted] may not push here')
        expectClean(result)
      } finally {
        tokenProxy.answer = () => undefined
      }
    },
    300_000,
  )

  it('a Basic-auth registry echoing its Authorization header: the docker config password is not shown', async () => {
    await ws.configure(config(basicProxy.host))
    basicProxy.answer = (method, path, authorization) =>
      manifestPut(method, path)
        ? {
            status: 400,
            body: `bad request; you sent Authorization: ${authorization} (${USER} / ${BASIC_PASSWORD})`,
          }
        : undefined
    try {
      const result = await release('--debug')
      expect(result.code).toBe(1)
      expect(basicProxy.authorizations).toContain(
        `Basic ${Buffer.from(`${USER}:${BASIC_PASSWORD}`).toString('base64')}`,
      )
      const error = result.stderr.split('\n').find((l) => l.startsWith('error '))
      expect(error, result.stderr).toContain(
        `you sent Authorization: Basic [redacted] (${USER} / [redacted])`,
      )
      expectClean(result)
    } finally {
      basicProxy.answer = () => undefined
      await ws.configure(config(tokenProxy.host))
    }
  }, 300_000)
})

/** The proxy refuses the first manifest with a message quoting `secret`, as a hostile or buggy registry may. */
function refuseQuoting(secret: string): void {
  tokenProxy.answer = (method, path) =>
    manifestPut(method, path)
      ? {
          status: 400,
          body: JSON.stringify({
            errors: [{ code: 'MANIFEST_INVALID', message: `not for ${secret} today` }],
          }),
        }
      : undefined
}

describe('--debug', () => {
  it('a token realm answering non-JSON that starts with the password: no part of it is quoted', async () => {
    await ws.configure(config(echoRealmRegistry.host))
    try {
      const result = await release('--debug')
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(
        /^error OCI_REGISTRY_ERROR: .* token server http:\/\/127\.0\.0\.1:\d+ sent no JSON \(text\/plain, \d+ characters\)$/m,
      )
      expect(result.stderr).not.toContain(PASSWORD.slice(0, 10))
      expectClean(result)
    } finally {
      await ws.configure(config(tokenProxy.host))
    }
  }, 300_000)
})

describe('credentials from every docker config source are registered', () => {
  it.each([
    ['a credential helper (credHelpers)', HELPER_SECRET],
    ['an identity token (auths.identitytoken)', IDENTITY_TOKEN],
  ])(
    '%s: the secret it gave is redacted from the step and error lines',
    async (source, secret) => {
      const dir = await mkdtemp(join(tmpdir(), 'polyship-redaction-source-'))
      const bin = join(dir, 'bin')
      await mkdir(bin)
      // a real helper program on PATH, as docker-credential-pass or -ecr-login would be
      const helper = join(bin, 'docker-credential-polyship-test')
      await writeFile(
        helper,
        `#!/bin/sh\ncat >/dev/null\nprintf '{"Username":"helper-bot","Secret":"%s"}' '${HELPER_SECRET}'\n`,
      )
      await chmod(helper, 0o755)
      const auths = source.startsWith('a credential helper')
        ? { credHelpers: { [tokenProxy.host]: 'polyship-test' } }
        : {
            auths: {
              [tokenProxy.host]: {
                auth: Buffer.from(`${USER}:`).toString('base64'),
                identitytoken: IDENTITY_TOKEN,
              },
            },
          }
      await writeFile(join(dir, 'config.json'), JSON.stringify(auths))
      const requests = issuer.requests.length
      refuseQuoting(secret)
      try {
        const result = await polyship(['release'], {
          root: ws.root,
          env: { ...ws.env, DOCKER_CONFIG: dir, PATH: `${bin}:${process.env.PATH}` },
        })
        expect(result.code).toBe(1)
        // the registry really was reached with this source's credential
        expect(issuer.requests.slice(requests).map((r) => r.grant)).toContain(
          source.startsWith('a credential helper') ? 'basic' : 'refresh_token',
        )
        const { step, error } = failureLines(result)
        expect(step).toContain('not for [redacted] today')
        expect(error).toContain('not for [redacted] today')
        expectClean(result)
      } finally {
        tokenProxy.answer = () => undefined
        await rm(dir, { recursive: true, force: true })
      }
    },
    300_000,
  )

  // listr2 picks its live renderer only when process.stdout is a terminal (it reads the global),
  // else falls back: both must write through our stderr. The global is set for the one run.
  it.each([
    ['stdout piped (listr2 falls back to line output)', false],
    ['stdout a terminal too (the live renderer)', true],
  ])(
    'stderr a terminal, %s: the frames are redacted and the stream is left as it was',
    async (_, stdoutTty) => {
      const chunks: string[] = []
      const tty = Object.assign(
        new Writable({
          write(chunk, _encoding, done) {
            chunks.push(chunk.toString())
            done()
          },
        }),
        { isTTY: true, columns: 1000, rows: 50 },
      )
      refuseQuoting(PASSWORD)
      const stdoutWasTty = process.stdout.isTTY
      process.stdout.isTTY = stdoutTty
      try {
        const out: string[] = []
        const code = await main(['release'], {
          stdout: { write: (text: string) => out.push(text) },
          stderr: tty,
          env: { ...env(), CI: '' },
          cwd: ws.root,
        })
        expect(code).toBe(1)
        const text = chunks.join('')
        expect(text).toContain('publish app 1.0.0')
        expect(text).toContain('not for [redacted] today')
        if (stdoutTty) expect(text).toContain('\u001b[') // cursor movements of the live renderer
        expectNoSecret(text, 'the terminal')
        expect(out.join('')).toBe('')
        expect(Object.hasOwn(tty, 'write')).toBe(false)
      } finally {
        process.stdout.isTTY = stdoutWasTty
        tokenProxy.answer = () => undefined
      }
    },
    300_000,
  )
})

describe('tokens under variable names that do not look secret', () => {
  it.each([
    [
      'GitHub (destinations.files.tokenEnv)',
      GITHUB_TOKEN,
      { files: { type: 'github', repository: 'acme/app', tokenEnv: 'RELEASE_BOT_KEY' } },
      { RELEASE_BOT_KEY: GITHUB_TOKEN },
    ],
    [
      'PyPI (destinations.wheels.tokenEnv)',
      PYPI_TOKEN,
      { wheels: { type: 'pypi', url: 'https://upload.example/legacy/', tokenEnv: 'UPLOAD_KEY' } },
      { UPLOAD_KEY: PYPI_TOKEN },
    ],
  ])(
    '%s: registered when the release reads it',
    async (_, token, destinations, variables) => {
      await ws.configure(config(tokenProxy.host, destinations))
      refuseQuoting(token)
      try {
        const result = await polyship(['release'], { root: ws.root, env: { ...env(), ...variables } })
        expect(result.code).toBe(1)
        const { step, error } = failureLines(result)
        expect(step).toContain('not for [redacted] today')
        expect(error).toContain('not for [redacted] today')
        expectClean(result)
      } finally {
        tokenProxy.answer = () => undefined
        await ws.configure(config(tokenProxy.host))
      }
    },
    300_000,
  )
})

describe('what gets published refuses a registered credential', () => {
  it('a description quoting the docker config password: SECRET_IN_OUTPUT before the manifest is pushed', async () => {
    const manifest = join(ws.root, 'app', 'package.json')
    await writeFile(
      manifest,
      `${JSON.stringify({ ...APP_MANIFEST, description: `deploy as ${USER}/${PASSWORD}` })}\n`,
    )
    await commitAll(ws.root, 'a description holding the password')
    try {
      const result = await release()
      expect(result.code).toBe(1)
      const error = result.stderr.split('\n').find((l) => l.startsWith('error '))
      expect(error, result.stderr).toMatch(
        /^error SECRET_IN_OUTPUT: the application\/vnd\.oci\.image\.config\.v1\+json blob for 127\.0\.0\.1:\d+\/redaction-\d+\/app would contain a registered credential; nothing was written$/,
      )
      expectClean(result)
      await expectTreeClean(registry.storageDir)
    } finally {
      await writeFile(manifest, `${JSON.stringify(APP_MANIFEST)}\n`)
      await commitAll(ws.root, 'description without the password')
    }
  }, 300_000)
})

describe('a release that succeeds', () => {
  it('--debug shows every write and no credential', async () => {
    const result = await release('--debug')
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(/write \d+: manifest/)
    // the registry was reached with bearer tokens, so the checks below look for them too
    expect([...tokenProxy.authorizations].some((a) => a.startsWith('Bearer '))).toBe(true)
    expectClean(result)
  }, 300_000)

  it('--json output is valid JSON without credentials', async () => {
    const result = await release('--json')
    expect(result.code, result.stderr).toBe(0)
    expect(() => JSON.parse(result.stdout)).not.toThrow()
    expectClean(result)
  }, 300_000)

  it('no file in dist/ and no byte the registry stored holds a credential', async () => {
    const dist = join(ws.root, 'dist')
    expect((await filesUnder(dist)).map((f) => f.slice(dist.length + 1))).toEqual(
      expect.arrayContaining(['release.json', 'artifacts.json']),
    )
    expect(await expectTreeClean(dist)).toBeGreaterThan(2)
    // manifests, annotations, signatures, SBOM and provenance as the registry stored them
    expect(await expectTreeClean(registry.storageDir)).toBeGreaterThan(8)
  })
})

describe('credentials in URLs', () => {
  it('polyship plan refuses a destination URL with userinfo, names the field and never prints the token', async () => {
    const token = 'pypi-AgEIcHlwaS5vcmc-urlToken'
    await ws.configure({
      ...config(tokenProxy.host),
      destinations: {
        ...config(tokenProxy.host).destinations,
        wheels: { type: 'pypi', url: `https://__token__:${token}@upload.example/legacy/` },
      },
    })
    try {
      for (const flags of [[], ['--json'], ['--debug']]) {
        const result = await polyship(['plan', ...flags], { root: ws.root, env: env() })
        expect(result.code).toBe(1)
        expect(result.stderr).toContain(
          `polyship.json: destinations.wheels.url "https://***@upload.example/legacy/" carries credentials in the URL`,
        )
        expect(result.stderr).toMatch(/^error CONFIG_URL_CREDENTIALS: /)
        expect(`${result.stdout}${result.stderr}`).not.toContain(token)
        expect(`${result.stdout}${result.stderr}`).not.toContain('__token__:')
      }
    } finally {
      await ws.configure(config(tokenProxy.host))
    }
  })

  it('polyship init records the git remote without its token, and never prints it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'polyship-redaction-init-'))
    try {
      await mkdir(join(root, 'api'))
      await writeFile(join(root, 'api', 'go.mod'), 'module github.com/acme/api\n\ngo 1.22\n')
      await writeFile(join(root, 'api', 'main.go'), 'package main\n\nfunc main() {}\n')
      await run('git', ['init', '-q', '-b', 'main'], { cwd: root })
      const remote = 'https://x-access-token:ghs_initRemoteTok3n@github.com/acme/app.git'
      await run('git', ['remote', 'add', 'origin', remote], { cwd: root })
      const result = await polyship(['init'], {
        root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      })
      expect(result.code, result.stderr).toBe(0)
      expect(JSON.parse(await readFile(join(root, 'polyship.json'), 'utf8')).repository).toBe(
        'https://github.com/acme/app',
      )
      for (const file of await filesUnder(root)) {
        if (file.includes(`${join(root, '.git')}/`)) continue
        expect(await readFile(file, 'utf8'), file).not.toContain('ghs_initRemoteTok3n')
      }
      expect(`${result.stdout}${result.stderr}`).not.toContain('ghs_initRemoteTok3n')
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('--registry with userinfo is refused with the userinfo masked', async () => {
    const result = await release('--registry', 'bot:regTok3n-abc@registry.example/acme')
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /^error CONFIG_URL_CREDENTIALS: --registry "\*\*\*@registry\.example\/acme" carries credentials in the URL/,
    )
    expect(result.stderr).not.toContain('regTok3n-abc')
  })

  it('a repository with a token is refused before anything is built or recorded', async () => {
    await ws.configure({
      ...config(tokenProxy.host),
      repository: 'https://x-access-token:ghs_repoTok3n@github.com/o/r',
    })
    try {
      const result = await release()
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(
        /^error CONFIG_URL_CREDENTIALS: .*polyship\.json: repository "https:\/\/\*\*\*@github\.com\/o\/r"/,
      )
      expect(result.stderr).not.toContain('ghs_repoTok3n')
      const record = await readFile(join(ws.root, 'dist', 'release.json'), 'utf8')
      expect(record).not.toContain('ghs_repoTok3n')
    } finally {
      await ws.configure(config(tokenProxy.host))
    }
  })
})
