import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  type Distribution,
  directoryIndex,
  type HttpDeps,
  inspectDistribution,
  nodeHttpDeps,
  publishDistributions,
  publishWheels,
  remoteIndex,
  type WheelConflictError,
} from '@polyship/wheel'
import {
  freePort,
  type PypiServer,
  startFakeTrustedPypi,
  startPypiServer,
  writeSyntheticSdist,
  writeSyntheticWheel,
} from '@polyship/wheel/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { caught } from './helpers.ts'

let work: string
const servers: { stop(): Promise<void> }[] = []
const noSleep: HttpDeps = { ...nodeHttpDeps, sleep: async () => {} }
const fast = { retries: 2, baseDelayMs: 1 }

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-wheel-publish-'))
})
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()))
})

/** Two wheels and an sdist of `name`, read and checked. */
async function release(name: string, version: string, seed = 'a'): Promise<Distribution[]> {
  const dir = await mkdtemp(join(work, `${name}-`))
  const files = [
    await writeSyntheticWheel(dir, { name, version, seed, size: 2000 }),
    await writeSyntheticWheel(dir, { name, version, seed, size: 2000, tag: 'py2-none-any' }),
    await writeSyntheticSdist(dir, { name, version, seed }),
  ]
  return Promise.all(files.map(inspectDistribution))
}

async function started(server: PypiServer): Promise<PypiServer> {
  servers.push(server)
  return server
}

describe('pypiserver', () => {
  let server: PypiServer
  beforeAll(async () => {
    // fallback on: a missing project redirects to pypi.org, which must read as "not here"
    server = await started(await startPypiServer({ dir: join(work, 'pypiserver'), fallback: true }))
  })

  it('publishes, then reports unchanged, then refuses different bytes before uploading anything', async () => {
    const index = remoteIndex({
      uploadUrl: server.url,
      credentials: { type: 'none' },
      deps: noSleep,
      retry: fast,
    })
    const files = await release('demo-publish', '1.0.0')
    const first = await publishDistributions(files, index)
    expect(first.map((o) => o.status)).toEqual(['published', 'published', 'published'])
    expect((await readdir(server.dir)).sort()).toEqual(files.map((f) => f.filename).sort())

    const again = await publishDistributions(files, index)
    expect(again.map((o) => [o.status, o.location.replace(server.url, '')])).toEqual(
      files.map((f) => ['unchanged', `packages/${f.filename}`]),
    )

    // the same names with other bytes, plus a file the index does not have yet
    const rebuilt = await release('demo-publish', '1.0.0', 'b')
    const extraDir = await mkdtemp(join(work, 'extra-'))
    const extra = await inspectDistribution(
      await writeSyntheticWheel(extraDir, {
        name: 'demo-publish',
        version: '1.0.0',
        tag: 'py3-none-win_amd64',
      }),
    )
    const error = await caught(publishDistributions([rebuilt[0]!, extra], index))
    expect(error.code).toBe('WHEEL_CONFLICT')
    expect((error as WheelConflictError).conflicts).toMatchObject([
      {
        filename: files[0]!.filename,
        existing: files[0]!.digest,
        wanted: rebuilt[0]!.digest,
        copy: { kind: 'different' },
      },
    ])
    expect(error.message).toContain('nothing of this project was published')
    expect(await readdir(server.dir)).not.toContain(extra.filename)
  })

  it('settles a 409 on upload by asking the index for the hash', async () => {
    const files = await release('demo-race', '1.0.0')
    const index = remoteIndex({
      uploadUrl: server.url,
      credentials: { type: 'none' },
      deps: noSleep,
      retry: fast,
    })
    await publishDistributions([files[0]!], index)
    // a listing that lags behind (a CDN, a concurrent release): the upload meets pypiserver's 409
    const lagging = { url: index.url, add: index.add, held: firstEmpty(index.held) }
    expect((await publishDistributions([files[0]!], lagging))[0]?.status).toBe('unchanged')
    const rebuilt = await release('demo-race', '1.0.0', 'other')
    expect(
      (
        await caught(
          publishDistributions([rebuilt[0]!], {
            url: index.url,
            add: index.add,
            held: firstEmpty(index.held),
          }),
        )
      ).code,
    ).toBe('WHEEL_CONFLICT')
  })

  it('twine sees what polyship uploaded as a valid release', async () => {
    const files = await release('demo-twine', '2.0.0')
    await publishDistributions(files, remoteIndex({ uploadUrl: server.url, credentials: { type: 'none' } }))
    const out = execFileSync(
      'twine',
      ['check', '--strict', ...files.map((f) => join(server.dir, f.filename))],
      {
        encoding: 'utf8',
      },
    )
    expect(out.match(/PASSED/g)).toHaveLength(3)
  })
})

function firstEmpty<T extends (...args: never[]) => Promise<ReadonlyMap<string, unknown>>>(held: T): T {
  let calls = 0
  return (async (...args: Parameters<T>) => (calls++ === 0 ? new Map() : held(...args))) as T
}

describe('credentials', () => {
  let server: PypiServer
  const token = 'pypi-AgEIcHlwaS5vcmcCJGFiY2RlZi1zZWNyZXQtdG9rZW4'
  beforeAll(async () => {
    server = await started(
      await startPypiServer({
        dir: join(work, 'pypiserver-auth'),
        user: { username: '__token__', password: token },
      }),
    )
  })

  it('uploads with the token from the environment, and refuses a wrong one without printing it', async () => {
    const files = await release('demo-auth', '1.0.0')
    const wrong = 'pypi-wrong-token-that-must-never-be-printed'
    const error = await caught(
      publishWheels(
        files,
        { type: 'pypi', url: server.url, tokenEnv: 'DEMO_TOKEN' },
        { root: work, env: { DEMO_TOKEN: wrong } },
      ),
    )
    expect(error.code).toBe('WHEEL_UPLOAD_FORBIDDEN')
    const shown = `${error.message}\n${error.hint}\n${error.stack}\n${JSON.stringify(error)}`
    expect(shown).not.toContain(wrong)
    expect(shown).not.toContain(Buffer.from(`__token__:${wrong}`).toString('base64'))
    expect(error.message).toMatch(/refused the credentials \((401|403)/)
    expect(await readdir(server.dir)).toEqual([])

    const outcomes = await publishWheels(
      files,
      { type: 'pypi', url: server.url },
      { root: work, env: { PYPI_TOKEN: token } },
    )
    expect(outcomes.map((o) => o.status)).toEqual(['published', 'published', 'published'])
  })

  it('refuses to send credentials over plain http to a remote host', () => {
    expect(() =>
      remoteIndex({ uploadUrl: 'http://pypi.example.com/', credentials: { type: 'token', token } }),
    ).toThrow(/plain http; credentials would travel unencrypted/)
  })
})

describe('network failures (loopback fakes)', () => {
  it('reports a closed port as unreachable after retrying with backoff', async () => {
    const port = await freePort()
    const delays: number[] = []
    const deps: HttpDeps = { ...nodeHttpDeps, random: () => 1, sleep: async (ms) => void delays.push(ms) }
    const [file] = await release('demo-unreachable', '1.0.0')
    const error = await caught(
      publishDistributions(
        [file!],
        remoteIndex({ uploadUrl: `http://127.0.0.1:${port}/`, credentials: { type: 'none' }, deps }),
      ),
    )
    expect(error.code).toBe('WHEEL_INDEX_UNREACHABLE')
    expect(error.message).toMatch(
      /cannot reach http:\/\/127\.0\.0\.1:\d+\/simple\/demo-unreachable\/ \(ECONNREFUSED\) after 5 attempts/,
    )
    expect(delays).toEqual([500, 1000, 2000, 4000])
  })

  it('retries 5xx and connection resets on upload, never a 4xx (fake index)', async () => {
    const fake = await fakeIndex((req, res, n) => {
      if (req.method === 'GET') return res.writeHead(404).end()
      if (n === 1) return req.socket.destroy() // reset mid-request
      if (n === 2) return res.writeHead(503, 'Service Unavailable').end()
      return res.writeHead(200).end()
    })
    const [file] = await release('demo-flaky', '1.0.0')
    const index = remoteIndex({ uploadUrl: fake.url, credentials: { type: 'none' }, deps: noSleep })
    expect((await publishDistributions([file!], index))[0]?.status).toBe('published')
    expect(fake.posts()).toBe(3)

    const strict = await fakeIndex((req, res) =>
      req.method === 'GET'
        ? res.writeHead(404).end()
        : res.writeHead(400, 'Invalid value for classifiers').end(),
    )
    const error = await caught(
      publishDistributions(
        [file!],
        remoteIndex({ uploadUrl: strict.url, credentials: { type: 'none' }, deps: noSleep }),
      ),
    )
    expect([error.code, strict.posts()]).toEqual(['WHEEL_UPLOAD_REJECTED', 1])
    expect(error.message).toContain('400 Invalid value for classifiers')
  })

  it("reads PyPI's 400 File already exists, then confirms with the index's hash (fake index)", async () => {
    const [file] = await release('demo-exists', '1.0.0')
    let listed = false
    const fake = await fakeIndex((req, res) => {
      if (req.method === 'GET') {
        if (!listed) return res.writeHead(404).end()
        return res.writeHead(200, { 'content-type': 'application/vnd.pypi.simple.v1+json' }).end(
          JSON.stringify({
            meta: { 'api-version': '1.1' },
            name: 'demo-exists',
            files: [
              {
                filename: file!.filename,
                url: `/f/${file!.filename}`,
                hashes: { sha256: file!.digest.slice(7) },
              },
            ],
          }),
        )
      }
      listed = true
      return res.writeHead(400, "File already exists ('demo', with blake2_256 hash 'x').").end()
    })
    const outcome = await publishDistributions(
      [file!],
      remoteIndex({ uploadUrl: fake.url, credentials: { type: 'none' }, deps: noSleep }),
    )
    expect(outcome[0]).toMatchObject({ status: 'unchanged', location: `${fake.url}f/${file!.filename}` })
  })

  it('follows redirects within the index under core rules: a loop is NET_REDIRECT_LIMIT, nothing uploaded (fake index)', async () => {
    const [file] = await release('demo-moved', '1.0.0')
    const listing = JSON.stringify({
      meta: { 'api-version': '1.1' },
      name: 'demo-moved',
      files: [
        { filename: file!.filename, url: `/f/${file!.filename}`, hashes: { sha256: file!.digest.slice(7) } },
      ],
    })
    const moved = await fakeIndex((req, res) => {
      if (req.url === '/simple/demo-moved/')
        return res.writeHead(301, { location: '/pypi/demo-moved/' }).end()
      if (req.url === '/pypi/demo-moved/')
        return res.writeHead(200, { 'content-type': 'application/vnd.pypi.simple.v1+json' }).end(listing)
      return res.writeHead(404).end()
    })
    const outcome = await publishDistributions(
      [file!],
      remoteIndex({ uploadUrl: moved.url, credentials: { type: 'none' }, deps: noSleep }),
    )
    expect([outcome[0]?.status, moved.posts()]).toEqual(['unchanged', 0])

    const looping = await fakeIndex((req, res) =>
      req.method === 'GET' ? res.writeHead(302, { location: req.url }).end() : res.writeHead(200).end(),
    )
    await expect(
      publishDistributions(
        [file!],
        remoteIndex({ uploadUrl: looping.url, credentials: { type: 'none' }, deps: noSleep }),
      ),
    ).rejects.toMatchObject({
      code: 'NET_REDIRECT_LIMIT',
      message: expect.stringContaining('redirects in a loop'),
    })
    expect(looping.posts()).toBe(0)
  })
})

/** A loopback HTTP server answering with `handle`; `n` counts POSTs. */
async function fakeIndex(
  handle: (req: IncomingMessage, res: ServerResponse, n: number) => unknown,
): Promise<{ url: string; posts(): number }> {
  let posts = 0
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (req.method === 'POST') posts++
      handle(req, res, posts)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push({ stop: () => new Promise((resolve) => server.close(() => resolve())) })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, posts: () => posts }
}

describe('trusted publishing (fake PyPI and GitHub OIDC endpoints)', () => {
  it('mints a token from the GitHub identity only when something must be uploaded', async () => {
    const fake = await startFakeTrustedPypi()
    servers.push(fake)
    const files = await release('demo-trusted', '1.0.0')
    const env = { ...fake.actionsEnv }
    const first = await publishWheels(files, { type: 'pypi', url: fake.url }, { root: work, env })
    expect(first.map((o) => o.status)).toEqual(['published', 'published', 'published'])
    expect(fake.log.mintRequests).toBe(1)
    // the form carries the file's sha256 and no BLAKE2b (PyPI needs one digest)
    for (const upload of fake.log.uploads) {
      const file = files.find((f) => f.filename === upload.filename)!
      const fields = Object.fromEntries(upload.fields)
      expect([fields.sha256_digest, fields.blake2_256_digest, fields.filetype, fields.name]).toEqual([
        file.digest.slice(7),
        undefined,
        file.kind === 'wheel' ? 'bdist_wheel' : 'sdist',
        'demo-trusted',
      ])
    }
    expect(new Set(fake.log.uploads.map((u) => u.authorization))).toEqual(
      new Set([`Basic ${Buffer.from('__token__:pypi-fake-minted-token-0123456789').toString('base64')}`]),
    )
    const again = await publishWheels(files, { type: 'pypi', url: fake.url }, { root: work, env })
    expect(again.map((o) => o.status)).toEqual(['unchanged', 'unchanged', 'unchanged'])
    expect(fake.log.mintRequests).toBe(1)
  })

  it('says why the index refused to mint', async () => {
    const fake = await startFakeTrustedPypi({ publisherRegistered: false })
    servers.push(fake)
    const files = await release('demo-untrusted', '1.0.0')
    const error = await caught(
      publishWheels(files, { type: 'pypi', url: fake.url }, { root: work, env: fake.actionsEnv }),
    )
    expect(error.code).toBe('WHEEL_TRUSTED_PUBLISHING_FAILED')
    expect(error.message).toContain('invalid-publisher: valid token, but no corresponding publisher')
    expect(error.message).not.toContain(fake.actionsEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
  })
})

describe('embedded simple index directory', () => {
  it('pip installs from it, reruns are unchanged, different bytes conflict', async () => {
    const root = join(work, 'dist', 'pypi')
    const files = await release('Demo_Dir', '3.1.0')
    const outcomes = await publishWheels(files, { type: 'simple-index', path: 'dist/pypi' }, { root: work })
    expect(outcomes.map((o) => o.status)).toEqual(['published', 'published', 'published'])
    expect((await readdir(join(root, 'simple', 'demo-dir'))).sort()).toEqual(
      [...files.map((f) => f.filename), 'index.html'].sort(),
    )
    const page = await readFile(join(root, 'simple', 'demo-dir', 'index.html'), 'utf8')
    for (const f of files) expect(page).toContain(`href="${f.filename}#sha256=${f.digest.slice(7)}"`)
    expect(await readFile(join(root, 'simple', 'index.html'), 'utf8')).toContain(
      '<a href="demo-dir/">demo-dir</a>',
    )

    const target = join(work, 'site')
    execFileSync('pip', [
      'install',
      '-q',
      '--no-cache-dir',
      '--target',
      target,
      '--index-url',
      pathToFileURL(join(root, 'simple')).href,
      'demo-dir==3.1.0',
    ])
    const version = execFileSync('python3', ['-c', 'import demo_dir; print(demo_dir.__version__)'], {
      env: { ...process.env, PYTHONPATH: target },
      encoding: 'utf8',
    })
    expect(version.trim()).toBe('3.1.0')

    const index = directoryIndex(root)
    expect((await publishDistributions(files, index)).map((o) => o.status)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
    ])
    const rebuilt = await release('Demo_Dir', '3.1.0', 'changed')
    const error = await caught(publishDistributions(rebuilt, index))
    expect((error as WheelConflictError).conflicts.map((c) => c.filename)).toEqual(
      files.map((f) => f.filename),
    )
    expect(await readFile(join(root, 'simple', 'demo-dir', 'index.html'), 'utf8')).toBe(page)
  })

  it('repairs pages an interrupted run left behind', async () => {
    const root = join(work, 'interrupted')
    const [file] = await release('demo-repair', '1.0.0')
    await publishDistributions([file!], directoryIndex(root))
    const pagePath = join(root, 'simple', 'demo-repair', 'index.html')
    const page = await readFile(pagePath, 'utf8')
    await mkdir(join(root, 'simple', 'demo-repair'), { recursive: true })
    await writeFile(pagePath, 'torn')
    expect((await publishDistributions([file!], directoryIndex(root)))[0]?.status).toBe('unchanged')
    expect(await readFile(pagePath, 'utf8')).toBe(page)
  })
})
