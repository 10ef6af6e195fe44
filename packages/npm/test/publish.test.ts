import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  credentialFor,
  NpmError,
  type NpmTarball,
  npmConfigOf,
  npmRegistry,
  packPackage,
  publishTarballs,
  type RegistryCredential,
  readNpmConfig,
  scopeRegistryFor,
  tarballDirectory,
} from '@polyship/npm'
import type {} from '@polyship/npm/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type NpmWorkspace, npm, npmWorkspace, SCOPE } from './workspace.ts'

/**
 * Publishing to the shared Verdaccio, read back with the npm CLI. Every package name is
 * under a scope unique to this process.
 */

const verdaccio = inject('npmRegistry')
const credential: RegistryCredential = { type: 'token', token: verdaccio.token, source: 'test' }
let ws: NpmWorkspace
let home: string

beforeAll(async () => {
  ws = await npmWorkspace()
  home = await mkdtemp(join(tmpdir(), 'polyship-npm-home-'))
})
afterAll(async () => {
  await ws.remove()
  await rm(home, { recursive: true, force: true })
})

async function pack(folder: string, name: string, version: string, body?: string): Promise<NpmTarball> {
  const manifest = JSON.parse(await readFile(join(ws.dir(folder), 'package.json'), 'utf8').catch(() => '{}'))
  await ws.write(folder, { ...manifest, name, version }, body)
  return packPackage(ws.dir(folder), { outDir: join(ws.root, 'out', folder, version), name, version })
}

const registry = () => npmRegistry({ url: verdaccio.url, credential })
const view = async (spec: string, field: string) =>
  JSON.parse(await npm(['view', spec, field, '--json', '--registry', verdaccio.url], home, home))

describe('publishing to an npm registry (Verdaccio on loopback)', () => {
  it('publishes; npm view and npm install read it back; a re-run writes nothing', async () => {
    const lib = await pack('lib', `${SCOPE}/lib`, '1.0.0', 'module.exports = "lib"\n')
    await ws.write(
      'app',
      { name: `${SCOPE}/app`, version: '1.0.0', dependencies: { [`${SCOPE}/lib`]: 'workspace:^' } },
      `module.exports = require("${SCOPE}/lib")\n`,
    )
    const app = await pack('app', `${SCOPE}/app`, '1.0.0')
    const target = registry()
    const first = await publishTarballs([lib, app], () => target)
    expect(first.map((o) => [o.name, o.status, o.tag, o.moved?.tag])).toEqual([
      [`${SCOPE}/lib`, 'published', 'latest', 'latest'],
      [`${SCOPE}/app`, 'published', 'latest', 'latest'],
    ])
    expect(await view(`${SCOPE}/app@1.0.0`, 'dist')).toMatchObject({
      integrity: app.integrity,
      shasum: app.shasum,
    })
    expect(await view(`${SCOPE}/app`, 'dist-tags')).toEqual({ latest: '1.0.0' })

    const consumer = await mkdtemp(join(tmpdir(), 'polyship-npm-consumer-'))
    try {
      await writeFile(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n')
      await npm(['install', `${SCOPE}/app@1.0.0`, '--registry', verdaccio.url], consumer, home)
      const installed = JSON.parse(
        await readFile(join(consumer, 'node_modules', SCOPE, 'lib', 'package.json'), 'utf8'),
      )
      expect(installed.version).toBe('1.0.0')
    } finally {
      await rm(consumer, { recursive: true, force: true })
    }

    const stored = join(verdaccio.storageDir, SCOPE, 'app', 'package.json')
    const before = { text: await readFile(stored, 'utf8'), mtime: (await stat(stored)).mtimeMs }
    const again = await publishTarballs([lib, app], () => registry())
    expect(again.map((o) => [o.status, o.moved])).toEqual([
      ['unchanged', undefined],
      ['unchanged', undefined],
    ])
    expect({ text: await readFile(stored, 'utf8'), mtime: (await stat(stored)).mtimeMs }).toEqual(before)
  })

  it('other bytes under a published version are a conflict, and nothing of the batch is published', async () => {
    const first = await pack('conflict', `${SCOPE}/conflict`, '1.0.0', 'module.exports = 1\n')
    await publishTarballs([first], () => registry())
    const changed = await pack('conflict', `${SCOPE}/conflict`, '1.0.0', 'module.exports = 2\n')
    const innocent = await pack('innocent', `${SCOPE}/innocent`, '1.0.0')
    const error = await publishTarballs([innocent, changed], () => registry()).catch((e: unknown) => e)
    expect((error as NpmError).code).toBe('NPM_CONFLICT')
    expect((error as NpmError).message).toContain(`${SCOPE}/conflict@1.0.0`)
    await expect(
      npm(['view', `${SCOPE}/innocent`, '--json', '--registry', verdaccio.url], home, home),
    ).rejects.toThrow(/E404|404/)
    expect(await view(`${SCOPE}/conflict@1.0.0`, 'dist.integrity')).toBe(first.integrity)
  })

  it('latest never moves backwards; a backport gets latest-<major>', async () => {
    const name = `${SCOPE}/tags`
    await publishTarballs([await pack('tags', name, '2.0.0')], () => registry())
    const backport = await publishTarballs([await pack('tags', name, '1.5.0')], () => registry())
    expect(backport[0]).toMatchObject({ status: 'published', tag: 'latest-1' })
    expect(await view(name, 'dist-tags')).toEqual({ latest: '2.0.0', 'latest-1': '1.5.0' })
    await publishTarballs([await pack('tags', name, '2.0.1')], () => registry())
    expect(await view(name, 'dist-tags')).toEqual({ latest: '2.0.1', 'latest-1': '1.5.0' })
  })

  it('a prerelease goes under its identifier (or next), never latest', async () => {
    const name = `${SCOPE}/pre`
    await publishTarballs([await pack('pre', name, '1.0.0')], () => registry())
    await publishTarballs([await pack('pre', name, '2.0.0-beta.1')], () => registry())
    await publishTarballs([await pack('pre', name, '2.0.0-0')], () => registry())
    expect(await view(name, 'dist-tags')).toEqual({ latest: '1.0.0', beta: '2.0.0-beta.1', next: '2.0.0-0' })
  })

  it('a refused token is NPM_UNAUTHORIZED naming the registry, never the token', async () => {
    const token = 'bad-token-0123456789abcdef'
    const tarball = await pack('auth', `${SCOPE}/auth`, '1.0.0')
    const target = npmRegistry({
      url: verdaccio.url,
      credential: { type: 'token', token, source: '$NPM_TOKEN' },
    })
    const error = (await publishTarballs([tarball], () => target).catch((e: unknown) => e)) as NpmError
    expect(error).toBeInstanceOf(NpmError)
    expect(error.code).toBe('NPM_UNAUTHORIZED')
    expect(error.message).toContain(verdaccio.url)
    expect(`${error.message} ${error.hint} ${String(error.cause ?? '')}`).not.toContain(token)
    expect(error.hint).toContain('$NPM_TOKEN')
  })

  it('plain http to a host that is not loopback is refused before any request', () => {
    expect(() => npmRegistry({ url: 'http://registry.example.com/', credential })).toThrow(
      expect.objectContaining({ code: 'NPM_INSECURE_REFUSED' }),
    )
  })
})

describe('credentials and registries as npm users keep them', () => {
  it('.npmrc: the scope registry, its //host/:_authToken with an env variable, project before user', async () => {
    const host = new URL(verdaccio.url).host
    const project = await mkdtemp(join(tmpdir(), 'polyship-npmrc-'))
    try {
      await writeFile(
        join(project, '.npmrc'),
        `${SCOPE}:registry=${verdaccio.url}\n//${host}/:_authToken=\${TEST_VERDACCIO_TOKEN}\n`,
      )
      await writeFile(join(home, '.npmrc'), `//${host}/:_authToken=user-level-token-is-shadowed\n`)
      const env = { TEST_VERDACCIO_TOKEN: verdaccio.token }
      const config = await readNpmConfig({ projectDir: project, home, env })
      const tarball = await pack('scoped', `${SCOPE}/scoped`, '1.0.0')
      const url = scopeRegistryFor(tarball.name, config)!
      expect(url).toBe(verdaccio.url)
      expect(scopeRegistryFor('unscoped' as NpmTarball['name'], config)).toBeUndefined()
      const found = credentialFor(url, config)!
      expect(found).toMatchObject({ type: 'token', source: `${join(project, '.npmrc')}:2` })
      expect(config.secrets).toContain(verdaccio.token)
      const outcome = await publishTarballs([tarball], () => npmRegistry({ url, credential: found }))
      expect(outcome[0]!.status).toBe('published')
    } finally {
      await rm(project, { recursive: true, force: true })
      await rm(join(home, '.npmrc'), { force: true })
    }
  })

  it('NPM_TOKEN, then NODE_AUTH_TOKEN, when no .npmrc line matches; an unset variable is a coded error', () => {
    const files = [{ file: '.npmrc', text: '//other.example/:_authToken=x1234\n' }]
    const npmjs = 'https://registry.npmjs.org/'
    const nodeAuth = npmConfigOf(files, { NODE_AUTH_TOKEN: 'node-auth' })
    expect(credentialFor(npmjs, nodeAuth)).toMatchObject({ token: 'node-auth', source: '$NODE_AUTH_TOKEN' })
    expect(nodeAuth.secrets).toEqual(['x1234', 'node-auth'])
    const both = npmConfigOf(files, { NPM_TOKEN: 'npm-token', NODE_AUTH_TOKEN: 'n' })
    expect(credentialFor(npmjs, both)).toMatchObject({ token: 'npm-token' })
    expect(credentialFor('https://other.example/', both)).toMatchObject({ token: 'x1234' })
    expect(credentialFor(npmjs, npmConfigOf(files, {}))).toBeUndefined()
    expect(() => npmConfigOf([{ file: '.npmrc', text: `//h/:_authToken=\${MISSING}\n` }], {})).toThrow(
      expect.objectContaining({ code: 'NPM_CONFIG_INVALID' }),
    )
  })
})

describe('the embedded destination: a tarball directory', () => {
  it('npm install consumes its files; same bytes are unchanged, other bytes a conflict', async () => {
    const dir = join(ws.root, 'dist', 'npm')
    const tarball = await pack('embedded', `${SCOPE}/embedded`, '1.0.0', 'module.exports = "embedded"\n')
    const first = await publishTarballs([tarball], () => tarballDirectory(dir))
    expect(first[0]).toMatchObject({ status: 'published', location: join(dir, tarball.filename) })
    expect((await publishTarballs([tarball], () => tarballDirectory(dir)))[0]!.status).toBe('unchanged')
    const other = await pack('embedded', `${SCOPE}/embedded`, '1.0.0', 'module.exports = "other"\n')
    const error = await publishTarballs([other], () => tarballDirectory(dir)).catch((e: unknown) => e)
    expect((error as NpmError).code).toBe('NPM_CONFLICT')

    const consumer = await mkdtemp(join(tmpdir(), 'polyship-npm-consumer-'))
    try {
      await writeFile(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n')
      await npm(['install', join(dir, tarball.filename), '--offline'], consumer, home)
      const installed = await readFile(join(consumer, 'node_modules', SCOPE, 'embedded', 'index.js'), 'utf8')
      expect(installed).toBe('module.exports = "embedded"\n')
    } finally {
      await rm(consumer, { recursive: true, force: true })
    }
  })
})
