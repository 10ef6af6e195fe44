import { mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { redact } from '@polyship/core'
import {
  type Distribution,
  indexFor,
  inspectDistribution,
  parseIni,
  publishWheels,
  pypircRepository,
  resolvePypiDestination,
  type WheelError,
} from '@polyship/wheel'
import {
  freePort,
  type PypiServer,
  startPypiServer,
  writeSyntheticSdist,
  writeSyntheticWheel,
} from '@polyship/wheel/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { caught } from './helpers.ts'

let work: string
const stops: (() => Promise<void>)[] = []

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-pypirc-'))
})
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()))
})

/** Everything an error shows a user or a log: message, hint, stack, JSON. */
function shown(error: WheelError): string {
  return `${error.message}\n${error.hint}\n${error.stack}\n${JSON.stringify(error)}\n${JSON.stringify(error.source)}`
}

async function release(name: string, version = '1.0.0'): Promise<Distribution[]> {
  const dir = await mkdtemp(join(work, `${name}-`))
  const files = [
    await writeSyntheticWheel(dir, { name, version, size: 1500 }),
    await writeSyntheticSdist(dir, { name, version }),
  ]
  return Promise.all(files.map(inspectDistribution))
}

/** A home directory holding `.pypirc` with `text`. */
async function home(text: string): Promise<string> {
  const dir = await mkdtemp(join(work, 'home-'))
  await writeFile(join(dir, '.pypirc'), text)
  return dir
}

describe('parseIni reads .pypirc as configparser does', () => {
  it('sections, = and : delimiters, continuation lines, whole-line comments, no inline comments, DEFAULT', () => {
    const ini = parseIni(
      [
        '# a comment',
        '[DEFAULT]',
        'username = everyone',
        '',
        '[distutils]',
        'index-servers =',
        '    pypi',
        '    private',
        '; another comment',
        '',
        '[private]',
        'Repository: https://pypi.example/upload/',
        'password = p#ss;word # not a comment',
        '  continued',
        '',
      ].join('\n'),
      '/home/u/.pypirc',
    )
    expect(Object.fromEntries(ini.sections.get('private')!)).toEqual({
      username: 'everyone',
      repository: 'https://pypi.example/upload/',
      password: 'p#ss;word # not a comment\ncontinued',
    })
    expect(ini.sections.get('distutils')!.get('index-servers')).toBe('\npypi\nprivate')
    expect(pypircRepository(ini, 'private')).toEqual({
      name: 'private',
      repository: 'https://pypi.example/upload/',
      username: 'everyone',
      password: 'p#ss;word # not a comment\ncontinued',
    })
    // twine: only index-servers are repositories; pypi always is; testpypi only when listed
    expect(pypircRepository(ini, 'pypi')?.repository).toBe('https://upload.pypi.org/legacy/')
    expect(pypircRepository(ini, 'testpypi')).toBeUndefined()
    expect(pypircRepository(undefined, 'testpypi')?.repository).toBe('https://test.pypi.org/legacy/')
  })

  it.each([
    ['a key before any section', 'password = hunter2-secret\n[pypi]\n', 1],
    ['a line without a delimiter', '[pypi]\nusername = u\nhunter2-secret\n', 3],
    ['a duplicate key', '[pypi]\npassword = hunter2-secret\npassword = hunter2-secret\n', 3],
    ['a duplicate section', '[pypi]\n[pypi]\n', 2],
  ])('%s is WHEEL_PYPIRC_INVALID naming file and line, never the value', (_, text, line) => {
    let error: WheelError | undefined
    try {
      parseIni(text, '/home/u/.pypirc')
    } catch (e) {
      error = e as WheelError
    }
    expect(error?.code).toBe('WHEEL_PYPIRC_INVALID')
    expect(error!.message).toContain(`/home/u/.pypirc:${line}:`)
    expect(error!.source).toEqual({ file: '/home/u/.pypirc', line })
    expect(shown(error!)).not.toContain('hunter2')
  })
})

describe('resolvePypiDestination: polyship.json, then TWINE_*, then .pypirc', () => {
  it('{ type: pypi } alone is PyPI, as twine without a .pypirc', () => {
    const resolved = resolvePypiDestination({ type: 'pypi' }, { env: { HOME: join(work, 'nowhere') } })
    expect(resolved).toMatchObject({
      uploadUrl: 'https://upload.pypi.org/legacy/',
      credentials: { type: 'none' },
      urlSource: `twine's default for pypi (no ${join(work, 'nowhere', '.pypirc')})`,
    })
  })

  it('the URL: url over TWINE_REPOSITORY_URL over the section; TWINE_REPOSITORY picks the section', async () => {
    const HOME = await home(
      '[distutils]\nindex-servers = pypi\n  corp\n[corp]\nrepository = https://corp.example/upload/\n',
    )
    const env = { HOME, TWINE_REPOSITORY_URL: 'https://env.example/legacy/', TWINE_REPOSITORY: 'corp' }
    const url = (d: Parameters<typeof resolvePypiDestination>[0], e: Record<string, string>) =>
      resolvePypiDestination(d, { env: e }).uploadUrl
    expect(url({ type: 'pypi', url: 'https://config.example/' }, env)).toBe('https://config.example/')
    expect(url({ type: 'pypi' }, env)).toBe('https://env.example/legacy/')
    expect(url({ type: 'pypi' }, { HOME, TWINE_REPOSITORY: 'corp' })).toBe('https://corp.example/upload/')
    // an explicit repository in polyship.json beats the environment's URL
    expect(url({ type: 'pypi', repository: 'corp' }, env)).toBe('https://corp.example/upload/')
  })

  it('credentials from a URL in TWINE_REPOSITORY_URL are taken out and hidden', () => {
    const resolved = resolvePypiDestination(
      { type: 'pypi' },
      { env: { TWINE_REPOSITORY_URL: 'https://bob:url-held-secret-9@env.example/legacy/' } },
    )
    expect(resolved.uploadUrl).toBe('https://env.example/legacy/')
    expect(resolved.credentials).toEqual({ type: 'basic', username: 'bob', password: 'url-held-secret-9' })
    expect(redact('sent url-held-secret-9')).toBe('sent [redacted]')
  })

  it('a repository the .pypirc lacks, or a configFile that does not exist, is a coded error naming the file', async () => {
    const HOME = await home('[distutils]\nindex-servers = pypi\n[corp]\npassword = corp-password-xyz\n')
    const missing = caught(
      Promise.resolve().then(() =>
        resolvePypiDestination({ type: 'pypi', repository: 'corp' }, { env: { HOME } }),
      ),
    )
    const error = await missing
    expect(error.code).toBe('WHEEL_PYPIRC_REPOSITORY_MISSING')
    expect(error.message).toContain(`${HOME}/.pypirc`)
    expect(error.message).toContain('"corp"')
    expect(shown(error)).not.toContain('corp-password-xyz')

    const noFile = await caught(
      Promise.resolve().then(() =>
        resolvePypiDestination({ type: 'pypi', configFile: 'ci/pypirc' }, { env: { HOME }, root: work }),
      ),
    )
    expect(noFile.code).toBe('WHEEL_PYPIRC_INVALID')
    expect(noFile.message).toContain(join(work, 'ci/pypirc'))
  })
})

/**
 * A devpi-like layout in front of a real pypiserver: uploads at `/upload/`, the simple API
 * at `/root/+simple/` (not `simple/` under the upload URL), files at `/packages/`.
 */
async function devpiLayout(upstream: PypiServer, host = '127.0.0.1'): Promise<string> {
  const target = new URL(upstream.url)
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/')
      .replace(/^\/upload\/?(\?.*)?$/, '/$1')
      .replace(/^\/root\/\+simple\//, '/simple/')
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        path,
        method: req.method,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    forward.on('error', () => res.writeHead(502).end())
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  stops.push(() => new Promise((resolve) => server.close(() => resolve())))
  return `http://${host}:${(server.address() as AddressInfo).port}`
}

describe('publishing to pypiserver with auth', () => {
  const username = 'alice'
  // '#' and ';' would be cut by an INI reader with inline comments
  const password = 'pypiserver-pa#ss;word-7Qx'
  let server: PypiServer
  beforeAll(async () => {
    server = await startPypiServer({ dir: join(work, 'auth', 'packages'), user: { username, password } })
    stops.push(() => server.stop())
  })
  const held = async (name: string) => (await readdir(server.dir)).filter((f) => f.startsWith(name)).sort()

  it('via TWINE_REPOSITORY_URL, TWINE_USERNAME and TWINE_PASSWORD', async () => {
    const files = await release('via_twine_env')
    const outcomes = await publishWheels(
      files,
      { type: 'pypi' },
      {
        root: work,
        env: {
          HOME: join(work, 'nowhere'),
          TWINE_REPOSITORY_URL: server.url,
          TWINE_USERNAME: username,
          TWINE_PASSWORD: password,
        },
      },
    )
    expect(outcomes.map((o) => o.status)).toEqual(['published', 'published'])
    expect(await held('via_twine_env')).toEqual(files.map((f) => f.filename).sort())
    expect(JSON.stringify(outcomes)).not.toContain(password)
  })

  it('via a .pypirc repository named in polyship.json (HOME pointed at a temp dir)', async () => {
    const HOME = await home(
      [
        '[distutils]',
        'index-servers =',
        '    pypi',
        '    private',
        '',
        '[private]',
        `repository: ${server.url}`,
        `username: ${username}`,
        `password: ${password}`,
        '',
      ].join('\n'),
    )
    const files = await release('via_pypirc')
    const outcomes = await publishWheels(
      files,
      { type: 'pypi', repository: 'private' },
      { root: work, env: { HOME } },
    )
    expect(outcomes.map((o) => o.status)).toEqual(['published', 'published'])
    expect(await held('via_pypirc')).toHaveLength(2)

    // TWINE_REPOSITORY names the section too, and a wrong TWINE_PASSWORD beats the file's
    const again = await publishWheels(
      files,
      { type: 'pypi' },
      {
        root: work,
        env: { HOME, TWINE_REPOSITORY: 'private' },
      },
    )
    expect(again.map((o) => o.status)).toEqual(['unchanged', 'unchanged'])
    const wrong = 'wrong-twine-password-never-shown'
    const other = await release('via_pypirc_wrong')
    const refused = await caught(
      publishWheels(
        other,
        { type: 'pypi', repository: 'private' },
        {
          root: work,
          env: { HOME, TWINE_PASSWORD: wrong },
        },
      ),
    )
    expect(refused.code).toBe('WHEEL_UPLOAD_FORBIDDEN')
    expect(shown(refused)).not.toContain(wrong)
    expect(shown(refused)).not.toContain(password)
    expect(await held('via_pypirc_wrong')).toEqual([])
  })

  it('precedence: polyship.json variables over TWINE_*, polyship.json url over TWINE_REPOSITORY_URL', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/`
    const files = await release('via_precedence')
    const outcomes = await publishWheels(
      files,
      { type: 'pypi', url: server.url, usernameEnv: 'INDEX_USER', passwordEnv: 'INDEX_PASSWORD' },
      {
        root: work,
        env: {
          HOME: join(work, 'nowhere'),
          INDEX_USER: username,
          INDEX_PASSWORD: password,
          TWINE_REPOSITORY_URL: closed,
          TWINE_USERNAME: 'mallory',
          TWINE_PASSWORD: 'not-the-password-at-all',
        },
      },
    )
    expect(outcomes.map((o) => o.status)).toEqual(['published', 'published'])
    // a configured variable is the only source: unset, the environment's TWINE_PASSWORD is not used
    const more = await release('via_precedence_unset')
    const error = await caught(
      publishWheels(
        more,
        { type: 'pypi', url: server.url, passwordEnv: 'INDEX_PASSWORD' },
        {
          root: work,
          env: { TWINE_USERNAME: username, TWINE_PASSWORD: password },
        },
      ),
    )
    expect(error.code).toBe('WHEEL_UPLOAD_FORBIDDEN')
    expect(shown(error)).not.toContain(password)
  })

  it('via a separate simpleUrl for an index whose read URL is not under its upload URL', async () => {
    const base = await devpiLayout(server)
    const env = { TWINE_USERNAME: username, TWINE_PASSWORD: password }
    const files = await release('via_simple_url')
    const destination = { type: 'pypi' as const, url: `${base}/upload/`, simpleUrl: `${base}/root/+simple/` }
    const first = await publishWheels(files, destination, { root: work, env })
    expect(first.map((o) => o.status)).toEqual(['published', 'published'])
    expect(first[0]!.location.startsWith(`${base}/root/+simple/via-simple-url/`)).toBe(true)
    const again = await publishWheels(files, destination, { root: work, env })
    expect(again.map((o) => o.status)).toEqual(['unchanged', 'unchanged'])
    // without it the index's files are not found where polyship looks, and the re-run cannot settle
    const blind = await caught(
      publishWheels(files, { type: 'pypi', url: `${base}/upload/` }, { root: work, env }),
    )
    expect(blind.code).toBe('WHEEL_CONFLICT')
  })

  it('insecure: credentials go over plain http to a host that is not loopback only when allowed', async () => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((i) => i?.family === 'IPv4' && !i.internal)?.address
    expect(address, 'this test needs a non-loopback IPv4 address').toBeDefined()
    const base = await devpiLayout(server, address)
    const env = { TWINE_USERNAME: username, TWINE_PASSWORD: password }
    const destination = { type: 'pypi' as const, url: `${base}/upload/`, simpleUrl: `${base}/root/+simple/` }
    const files = await release('via_insecure')
    const refused = await caught(publishWheels(files, destination, { root: work, env }))
    expect(refused.code).toBe('WHEEL_INDEX_INSECURE')
    expect(await held('via_insecure')).toEqual([])
    const outcomes = await publishWheels(files, { ...destination, insecure: true }, { root: work, env })
    expect(outcomes.map((o) => o.status)).toEqual(['published', 'published'])
    // trusted publishing never sends a GitHub identity in the clear, insecure or not
    const oidc = await caught(
      publishWheels(
        await release('via_insecure_oidc'),
        { ...destination, insecure: true },
        {
          root: work,
          env: {
            ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:1/',
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'gh-request-token',
          },
        },
      ),
    )
    expect(oidc.code).toBe('WHEEL_TRUSTED_PUBLISHING_FAILED')
  })

  it('a malformed .pypirc or a missing repository publishes nothing and never shows the password', async () => {
    const HOME = await home(`[private]\nrepository = ${server.url}\nusername = ${username}\n${password}\n`)
    const files = await release('via_bad_pypirc')
    const bad = await caught(
      publishWheels(files, { type: 'pypi', repository: 'private' }, { root: work, env: { HOME } }),
    )
    expect(bad.code).toBe('WHEEL_PYPIRC_INVALID')
    expect(bad.message).toContain(`${HOME}/.pypirc:4:`)
    expect(bad.message).toContain('[private]')
    expect(shown(bad)).not.toContain(password)

    const unlisted = await home(`[private]\nrepository = ${server.url}\npassword = ${password}\n`)
    const missing = await caught(
      publishWheels(files, { type: 'pypi', repository: 'private' }, { root: work, env: { HOME: unlisted } }),
    )
    // twine reads only the sections [distutils] index-servers lists (default pypi testpypi)
    expect(missing.code).toBe('WHEEL_PYPIRC_REPOSITORY_MISSING')
    expect(missing.message).toContain('its repositories: pypi, testpypi')
    expect(shown(missing)).not.toContain(password)
    expect(await held('via_bad_pypirc')).toEqual([])
  })

  it('every password read is hidden from later output', () => {
    resolvePypiDestination(
      { type: 'pypi', url: server.url },
      { env: { TWINE_USERNAME: username, TWINE_PASSWORD: password } },
    )
    const basic = Buffer.from(`${username}:${password}`).toString('base64')
    expect(redact(`password ${password}, header Basic ${basic}`)).toBe(
      'password [redacted], header Basic [redacted]',
    )
    expect(() =>
      indexFor(
        { type: 'pypi', url: 'http://pypi.example/' },
        { root: work, env: { TWINE_PASSWORD: password } },
      ),
    ).toThrow(/plain http/)
  })
})
