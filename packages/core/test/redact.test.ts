import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  assertNoSecrets,
  hasUrlCredentials,
  loadWorkspace,
  maskUrlCredentials,
  redact,
  registerCredential,
  registerSecret,
  registerSecrets,
  secretValues,
  withoutUserinfo,
  writeJsonAtomic,
} from '@polyship/core'
import { describe, expect, it } from 'vitest'

/** Values unique to this file: the registry is process-wide. */
const PASSWORD = 'hunter2-docker-pass-9f3'
const TOKEN = 'tok_Ab+/c=d&e f"g\\h'

describe('the secret registry', () => {
  registerCredential('ci-bot', PASSWORD)
  registerSecret(TOKEN)
  const basic = Buffer.from(`ci-bot:${PASSWORD}`).toString('base64')

  it.each([
    ['as is', `login failed for ${PASSWORD}`],
    ['as a Basic header', `authorization: Basic ${basic}`],
    ['as a docker config auth', `{"auths":{"r.example":{"auth":"${basic}"}}}`],
    ['base64 after another user', `Basic ${Buffer.from(`someone-else:${PASSWORD}`).toString('base64')}`],
    ['URL-encoded', `refresh_token=${encodeURIComponent(TOKEN)}&client_id=polyship`],
    ['form-encoded', `refresh_token=${new URLSearchParams({ t: TOKEN }).toString().slice(2)}`],
    ['JSON-escaped', JSON.stringify({ token: TOKEN })],
    ['as a bearer token', `Bearer ${TOKEN}`],
    ['base64url', Buffer.from(`x${PASSWORD}`).toString('base64url')],
  ])('hides a registered credential %s', (_, text) => {
    const out = redact(text)
    expect(out).toContain('[redacted]')
    expect(out).not.toContain(PASSWORD)
    expect(out).not.toContain(TOKEN)
    expect(out).not.toContain(basic)
    expect(out).not.toContain(encodeURIComponent(TOKEN))
    expect(out).not.toContain(Buffer.from(PASSWORD).toString('base64').slice(0, 12))
  })

  it('keeps the username and ordinary text', () => {
    expect(redact('user ci-bot pushed 3 blobs')).toBe('user ci-bot pushed 3 blobs')
  })

  it('hides Authorization header values echoed in any shape, known or not', () => {
    expect(redact('{"headers":{"Authorization":"token ghp_unknown0123456789"}}')).toBe(
      '{"headers":{"Authorization":"token [redacted]"}}',
    )
    expect(redact('> authorization: opaque-value-42\n')).toBe('> authorization: [redacted]\n')
    expect(redact('Proxy-Authorization=Basic dXNlcjpwYXNzd29yZA==')).toBe(
      'Proxy-Authorization=Basic [redacted]',
    )
  })

  it('refuses a document holding a registered credential or URL userinfo, naming neither', () => {
    const leak = (text: string) => {
      try {
        assertNoSecrets(text, 'dist/release.json')
        return undefined
      } catch (error) {
        return error as Error & { code: string }
      }
    }
    expect(leak('{"location":"https://ghcr.io/acme/app@sha256:abc"}')).toBeUndefined()
    expect(leak('{"uri":"git+ssh://git@github.com/acme/app"}')).toBeUndefined()
    for (const text of [
      `{"note":"${PASSWORD}"}`,
      `{"a":"${basic}"}`,
      '{"source":"https://x:y@github.com/o/r"}',
    ]) {
      const error = leak(text)
      expect(error?.code).toBe('SECRET_IN_OUTPUT')
      expect(error?.message).toMatch(
        /^dist\/release\.json would contain a (registered credential|URL with credentials); nothing was written$/,
      )
      expect(error?.message).not.toContain(PASSWORD)
    }
  })

  it('values only guessed secret by their variable name are hidden but do not make records refused', () => {
    const guessed = secretValues({
      MY_SERVICE_API_KEY: 'guessed-secret-value-1',
      GIT_AUTHOR_NAME: 'Release Bot',
    })
    expect(guessed).toEqual(['guessed-secret-value-1'])
    registerSecrets(guessed, { refuse: false })
    expect(redact('key guessed-secret-value-1 by Release Bot')).toBe('key [redacted] by Release Bot')
    expect(() => assertNoSecrets('{"note":"guessed-secret-value-1"}', 'dist/release.json')).not.toThrow()
  })

  it('writeJsonAtomic writes nothing that holds a credential', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'polyship-redact-'))
    const file = join(dir, 'release.json')
    await expect(writeJsonAtomic(file, { password: PASSWORD })).rejects.toMatchObject({
      code: 'SECRET_IN_OUTPUT',
    })
    expect(await readdir(dir)).toEqual([])
    await writeJsonAtomic(file, { fine: true })
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ fine: true })
  })
})

describe('URL userinfo', () => {
  it.each([
    ['https://user:tok@github.com/o/r', 'https://***@github.com/o/r', 'https://github.com/o/r'],
    ['http://TOKEN@host:5000/v2/', 'http://***@host:5000/v2/', 'http://host:5000/v2/'],
    ['u:p@registry.example/acme', '***@registry.example/acme', 'registry.example/acme'],
  ])('%s is refused, shown as %s, recorded as %s', (url, masked, stripped) => {
    expect(hasUrlCredentials(url)).toBe(true)
    expect(maskUrlCredentials(url)).toBe(masked)
    expect(withoutUserinfo(url)).toBe(stripped)
  })

  it.each([
    'https://github.com/o/r',
    'git@github.com:o/r.git',
    'ssh://git@github.com/o/r',
    'ghcr.io/acme/app@sha256:0123',
    'app@sha256:0123',
  ])('%s carries none', (url) => {
    expect(hasUrlCredentials(url)).toBe(false)
    expect(withoutUserinfo(url)).toBe(url)
  })
})

describe('config with credentials in URLs', () => {
  async function workspace(root: object, manifest: object = {}): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'polyship-config-url-'))
    await writeFile(join(dir, 'pnpm-workspace.yaml'), 'packages:\n  - projects/*\n')
    await writeFile(join(dir, 'polyship.json'), JSON.stringify(root, null, 2))
    await mkdir(join(dir, 'projects', 'srv'), { recursive: true })
    await writeFile(
      join(dir, 'projects', 'srv', 'package.json'),
      JSON.stringify({
        name: 'srv',
        version: '1.0.0',
        private: true,
        polyship: { binary: { toolchain: 'go', platforms: ['linux/amd64'] } },
        ...manifest,
      }),
    )
    return dir
  }

  it.each([
    [
      'repository',
      { repository: 'https://bot:ghp_cfgSecret1@github.com/acme/app' },
      'https://***@github.com/acme/app',
    ],
    [
      'destinations.wheels.url',
      {
        destinations: {
          wheels: { type: 'pypi', url: 'https://__token__:pypi-cfgSecret2@upload.example/legacy/' },
        },
      },
      'https://***@upload.example/legacy/',
    ],
    [
      'destinations.images.repository',
      {
        destinations: { images: { type: 'registry', repository: 'bot:cfgSecret3xx@registry.example/acme' } },
      },
      '***@registry.example/acme',
    ],
    [
      'destinations.npm.url',
      { destinations: { npm: { type: 'registry', url: 'https://npmTokenOnly4x@npm.example/' } } },
      'https://***@npm.example/',
    ],
  ])(
    'polyship.json %s: CONFIG_URL_CREDENTIALS naming file, field and line, secret masked',
    async (field, root, shown) => {
      const dir = await workspace(root)
      const error = (await loadWorkspace(dir).catch((e: unknown) => e)) as Error & {
        code: string
        hint: string
        source: { file: string; line?: number }
      }
      expect(error.code).toBe('CONFIG_URL_CREDENTIALS')
      expect(error.message).toBe(
        `${join(dir, 'polyship.json')}: ${field} "${shown}" carries credentials in the URL; polyship does not record or send a URL with credentials`,
      )
      expect(error.hint).toMatch(/docker login .* PYPI_TOKEN/)
      expect(error.source.file).toBe(join(dir, 'polyship.json'))
      expect(error.source.line).toBeGreaterThan(1)
      // the userinfo is registered: no later line shows it either
      expect(redact(JSON.stringify(root))).not.toMatch(/cfgSecret|npmTokenOnly/)
    },
  )

  it("a project's package.json repository with a token is refused too", async () => {
    const dir = await workspace(
      {},
      {
        repository: { type: 'git', url: 'git+https://x-access-token:ghs_pkgSecret5@github.com/acme/srv.git' },
      },
    )
    const error = (await loadWorkspace(dir).catch((e: unknown) => e)) as Error & { code: string }
    expect(error.code).toBe('CONFIG_URL_CREDENTIALS')
    expect(error.message).toContain('package.json: repository.url "git+https://***@github.com/acme/srv.git"')
    expect(error.message).not.toContain('ghs_pkgSecret5')
  })

  it('an image base reference with userinfo (image.base, python.base, node.base) is refused', async () => {
    for (const image of [
      { base: 'robot:nodeBaseSecret7@registry.example/node:24' },
      { base: 'node', node: { base: 'robot:nodeBaseSecret7@registry.example/node:24' } },
      { base: 'python', python: { base: 'robot:nodeBaseSecret7@registry.example/python:3.12' } },
    ]) {
      const dir = await workspace({}, { polyship: { image } })
      const error = (await loadWorkspace(dir).catch((e: unknown) => e)) as Error & { code: string }
      expect(error.code, JSON.stringify(image)).toBe('CONFIG_URL_CREDENTIALS')
      expect(error.message).not.toContain('nodeBaseSecret7')
    }
  })

  it('accepts ssh git@ remotes and scoped names', async () => {
    const dir = await workspace(
      { repository: 'ssh://git@github.com/acme/app' },
      { repository: 'git@github.com:acme/srv.git' },
    )
    expect((await loadWorkspace(dir)).config.repository).toBe('ssh://git@github.com/acme/app')
  })
})
