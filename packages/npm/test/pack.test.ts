import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipStream, run, tarStream } from '@polyship/core'
import { inspectTarball, NpmError, packPackage, resolvedDependencies } from '@polyship/npm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type NpmWorkspace, npmWorkspace, SCOPE } from './workspace.ts'

let ws: NpmWorkspace

beforeAll(async () => {
  ws = await npmWorkspace({ 'left-pad': '1.3.0' })
  await ws.write('lib', { name: `${SCOPE}/lib`, version: '2.1.0' })
  await ws.write('app', {
    name: `${SCOPE}/app`,
    version: '1.0.0',
    dependencies: { [`${SCOPE}/lib`]: 'workspace:^', 'left-pad': 'catalog:' },
  })
})
afterAll(() => ws.remove())

async function writeTarGz(path: string, files: Record<string, string>): Promise<void> {
  const entries = Object.entries(files).map(([name, content]) => ({
    path: name,
    type: 'file' as const,
    content,
  }))
  const chunks: Buffer[] = []
  for await (const chunk of gzipStream(tarStream(entries, { mtime: 0 }))) chunks.push(Buffer.from(chunk))
  await writeFile(path, Buffer.concat(chunks))
}

async function refusal(path: string, expected?: { name: string; version: string }): Promise<string> {
  const error = await inspectTarball(path, expected).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(NpmError)
  return (error as NpmError).code
}

describe('packPackage', () => {
  it('packs as pnpm does, workspace: and catalog: resolved, with integrity and shasum', async () => {
    const packed = await packPackage(ws.dir('app'), {
      outDir: join(ws.root, 'out'),
      name: `${SCOPE}/app`,
      version: '1.0.0',
    })
    expect(packed.filename).toBe(`${SCOPE.slice(1)}-app-1.0.0.tgz`)
    expect(packed.manifest.dependencies).toEqual({ [`${SCOPE}/lib`]: '^2.1.0', 'left-pad': '1.3.0' })
    expect(packed.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/)
    expect(packed.shasum).toMatch(/^[0-9a-f]{40}$/)
    expect(packed.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
  })

  it('gives the same bytes on every run, whatever the time and SOURCE_DATE_EPOCH', async () => {
    const pack = (outDir: string, epoch: string) =>
      packPackage(ws.dir('app'), {
        outDir: join(ws.root, outDir),
        name: `${SCOPE}/app`,
        version: '1.0.0',
        env: { ...process.env, SOURCE_DATE_EPOCH: epoch },
      })
    const first = await pack('a', '1700000000')
    await writeFile(join(ws.dir('app'), 'index.js'), 'module.exports = 1\n') // fresh mtime
    const second = await pack('b', '1800000000')
    expect(second.integrity).toBe(first.integrity)
    expect(await readFile(second.path)).toEqual(await readFile(first.path))
  })

  it('refuses a package.json whose version is not the release version', async () => {
    const error = await packPackage(ws.dir('lib'), {
      outDir: join(ws.root, 'out'),
      name: `${SCOPE}/lib`,
      version: '2.2.0',
    }).catch((e: unknown) => e)
    expect((error as NpmError).code).toBe('NPM_VERSION_MISMATCH')
    expect((error as NpmError).message).toContain(`${SCOPE}/lib@2.1.0`)
  })
})

describe('resolvedDependencies', () => {
  it('walks pnpm-lock.yaml: registry packages with integrity, workspace packages at their version', async () => {
    await ws.write('lib', { name: `${SCOPE}/lib`, version: '2.1.0', dependencies: { 'is-odd': '3.0.1' } })
    await run('pnpm', ['install', '--lockfile-only', '--ignore-scripts'], {
      cwd: ws.root,
      timeoutMs: 300_000,
    })
    const packed = await packPackage(ws.dir('app'), {
      outDir: join(ws.root, 'deps'),
      name: `${SCOPE}/app`,
      version: '1.0.0',
    })
    const deps = await resolvedDependencies({
      workspaceRoot: ws.root,
      projectDir: ws.dir('app'),
      manifest: packed.manifest,
    })
    expect(deps.map((d) => [d.name, d.version, d.range, d.direct, d.integrity?.slice(0, 7)])).toEqual([
      [`${SCOPE}/lib`, '2.1.0', '^2.1.0', true, undefined],
      ['is-number', '6.0.0', undefined, false, 'sha512-'],
      ['is-odd', '3.0.1', undefined, false, 'sha512-'],
      ['left-pad', '1.3.0', '1.3.0', true, 'sha512-'],
    ])
  })
})

describe('inspectTarball refuses what npm would refuse', () => {
  it('no package/package.json', async () => {
    const path = join(ws.root, 'no-manifest.tgz')
    await writeTarGz(path, { 'package/index.js': '1' })
    expect(await refusal(path)).toBe('NPM_TARBALL_INVALID')
  })

  it('not a gzip at all', async () => {
    const path = join(ws.root, 'garbage.tgz')
    await writeFile(path, 'not a tarball')
    expect(await refusal(path)).toBe('NPM_TARBALL_INVALID')
  })

  it('an invalid name', async () => {
    const path = join(ws.root, 'bad-name.tgz')
    await writeTarGz(path, { 'package/package.json': '{"name":"Bad Name","version":"1.0.0"}' })
    expect(await refusal(path)).toBe('NPM_NAME_INVALID')
  })

  it('a name or version other than the release', async () => {
    const path = join(ws.root, 'other.tgz')
    await writeTarGz(path, { 'package/package.json': '{"name":"other","version":"1.0.0"}' })
    expect(await refusal(path, { name: 'mine', version: '1.0.0' })).toBe('NPM_VERSION_MISMATCH')
    expect(await refusal(path, { name: 'other', version: '1.0.1' })).toBe('NPM_VERSION_MISMATCH')
  })

  it('unresolved workspace: ranges and non-SemVer versions', async () => {
    const path = join(ws.root, 'workspace.tgz')
    await writeTarGz(path, {
      'package/package.json': '{"name":"x","version":"1.0.0","dependencies":{"y":"workspace:*"}}',
    })
    expect(await refusal(path)).toBe('NPM_TARBALL_INVALID')
    await writeTarGz(path, { 'package/package.json': '{"name":"x","version":"1.0"}' })
    expect(await refusal(path)).toBe('NPM_VERSION_MISMATCH')
  })
})
