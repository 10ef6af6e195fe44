import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseReleaseRecord, run } from '@polyship/core'
import type {} from '@polyship/npm/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { commitAll, npmWorkspace, polyship, polyshipProcess, type TestWorkspace, tool } from './workspace.ts'

/**
 * A workspace with two non-private npm packages (one depending on the other with
 * `workspace:^`), released to the shared Verdaccio with the token in .npmrc as
 * `${NPM_TOKEN?}`, read back with npm, verified, and released again unchanged; and the same
 * workspace released to the embedded tarball directory.
 */

const verdaccio = inject('npmRegistry')
const SCOPE = `@release${process.pid}`
let ws: TestWorkspace
let home: string

const manifest = (name: string, extra: object = {}) =>
  `${JSON.stringify({ name, version: '1.2.0', license: 'MIT', polyship: { npm: {} }, ...extra }, null, 2)}\n`

beforeAll(async () => {
  ws = await npmWorkspace(verdaccio.url, {
    'packages/lib/package.json': manifest(`${SCOPE}/lib`),
    'packages/lib/index.js': 'module.exports = "lib"\n',
    'packages/app/package.json': manifest(`${SCOPE}/app`, {
      dependencies: { [`${SCOPE}/lib`]: 'workspace:^' },
    }),
    'packages/app/index.js': `module.exports = require('${SCOPE}/lib')\n`,
  })
  home = await mkdtemp(join(tmpdir(), 'polyship-release-npm-home-'))
  // a committed lockfile, as users keep one: the SBOM resolves dependencies through it
  await run('pnpm', ['install', '--lockfile-only', '--ignore-scripts'], { cwd: ws.root, timeoutMs: 300_000 })
  await tool('git', ['add', 'pnpm-lock.yaml'], ws.root)
  await tool(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'lockfile'],
    ws.root,
  )
})
afterAll(async () => {
  await ws?.remove()
  await rm(home, { recursive: true, force: true })
})

const npmEnv = () => ({
  ...process.env,
  HOME: home,
  npm_config_cache: join(home, '.npm'),
  npm_config_userconfig: join(home, '.npmrc'),
  npm_config_update_notifier: 'false',
})
const npm = async (args: readonly string[], cwd = home) =>
  (await run('npm', args, { cwd, env: npmEnv(), timeoutMs: 120_000 })).stdout

describe('release of npm packages', () => {
  it('polyship plan lists each package with its tarball and destination', async () => {
    await ws.configure({ destinations: { npm: { type: 'registry', url: 'https://registry.npmjs.org/' } } })
    const result = await polyship(['plan'], ws)
    expect(result.code, result.stderr).toBe(0)
    const rows = result.stdout
      .replaceAll(SCOPE.slice(1), 'scope')
      .split('\n')
      .filter((line) => line.includes('npm'))
      .map((line) => line.split(/\s+/).join(' '))
    expect(rows).toEqual([
      '@scope/app 1.2.0 npm scope-app-1.2.0.tgz https://registry.npmjs.org/',
      '@scope/lib 1.2.0 npm scope-lib-1.2.0.tgz https://registry.npmjs.org/',
    ])
  })

  it('publishes to a registry with signatures, SBOM and provenance; a re-run is unchanged', async () => {
    await ws.configure({ destinations: { npm: { type: 'registry', url: verdaccio.url } } })
    const env = { root: ws.root, env: { ...ws.env, NPM_TOKEN: verdaccio.token } }
    const first = await polyship(['release'], env)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/\n2 published; record: /)
    expect(first.stdout).not.toContain(verdaccio.token)

    const view = JSON.parse(await npm(['view', `${SCOPE}/app`, '--json', '--registry', verdaccio.url]))
    expect(view['dist-tags']).toEqual({ latest: '1.2.0' })
    expect(view.dependencies).toEqual({ [`${SCOPE}/lib`]: '^1.2.0' })
    const consumer = await mkdtemp(join(tmpdir(), 'polyship-release-npm-consumer-'))
    try {
      await writeFile(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n')
      await npm(['install', `${SCOPE}/app`, '--registry', verdaccio.url], consumer)
      expect(existsSync(join(consumer, 'node_modules', SCOPE, 'lib', 'index.js'))).toBe(true)
    } finally {
      await rm(consumer, { recursive: true, force: true })
    }

    const recordPath = join(ws.root, 'dist', 'release.json')
    const record = parseReleaseRecord(JSON.parse(await readFile(recordPath, 'utf8')), recordPath)
    const app = record.artifacts.find((a) => a.kind === 'npm' && a.project === `${SCOPE}/app`)!
    expect(app.locations).toEqual([`${verdaccio.url}${SCOPE}/app/-/app-1.2.0.tgz`])
    expect(app.signature).toBeDefined()
    expect(app.provenance).toBeDefined()
    const sbomFile = join(
      ws.root,
      'dist',
      app.sbom!.location.replace(/\.sbom\.sigstore\.json$/, '.sbom.cdx.json'),
    )
    const sbom = JSON.parse(await readFile(sbomFile, 'utf8')) as {
      metadata: { component: { purl: string } }
      components: { purl: string; properties?: { name: string; value: string }[] }[]
    }
    expect(sbom.metadata.component.purl).toBe(`pkg:npm/${encodeURIComponent(SCOPE)}/app@1.2.0`)
    expect(sbom.components.map((c) => c.purl)).toEqual([`pkg:npm/${encodeURIComponent(SCOPE)}/lib@1.2.0`])

    const stored = join(verdaccio.storageDir, SCOPE, 'app', 'package.json')
    const before = { text: await readFile(stored, 'utf8'), mtime: (await stat(stored)).mtimeMs }
    const again = await polyship(['release', '--no-cache'], env)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/\n2 unchanged; record: /)
    expect({ text: await readFile(stored, 'utf8'), mtime: (await stat(stored)).mtimeMs }).toEqual(before)

    const verify = await polyship(['verify'], env)
    expect(verify.code, verify.stderr + verify.stdout).toBe(0)
    expect(verify.stdout).toMatch(/2 artifacts, \d+ checks: all passed/)
  })

  it('with no npm destination, the tarballs go to dist/npm, and npm install takes them', async () => {
    await ws.configure({ outDir: 'dist-embedded' })
    const result = await polyship(['release'], ws)
    expect(result.code, result.stderr).toBe(0)
    const dir = join(ws.root, 'dist-embedded', 'npm')
    const lib = join(dir, `${SCOPE.slice(1)}-lib-1.2.0.tgz`)
    expect(existsSync(lib)).toBe(true)
    const again = await polyship(['release'], ws)
    expect(again.stdout).toMatch(/\n2 unchanged; record: /)
    const verify = await polyship(['verify', 'dist-embedded/release.json'], ws)
    expect(verify.code, verify.stderr + verify.stdout).toBe(0)

    const consumer = await mkdtemp(join(tmpdir(), 'polyship-release-npm-consumer-'))
    try {
      await writeFile(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n')
      await npm(['install', lib, '--offline'], consumer)
      expect(await readFile(join(consumer, 'node_modules', SCOPE, 'lib', 'index.js'), 'utf8')).toBe(
        'module.exports = "lib"\n',
      )
    } finally {
      await rm(consumer, { recursive: true, force: true })
    }
  })

  it('a refused token stops the release with NPM_UNAUTHORIZED before anything is published', async () => {
    await ws.configure({
      outDir: 'dist-badtoken',
      destinations: { npm: { type: 'registry', url: verdaccio.url } },
    })
    const token = 'not-a-valid-token-1234567890'
    await writeFile(
      join(ws.root, 'packages/lib/package.json'),
      manifest(`${SCOPE}/lib`, { version: '1.3.0' }),
    )
    await commitAll(ws.root, 'lib 1.3.0')
    try {
      const result = await polyship(['release', '--only', `${SCOPE}/lib`], {
        root: ws.root,
        env: { ...ws.env, NPM_TOKEN: token },
      })
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('NPM_UNAUTHORIZED')
      expect(result.stderr).toContain(verdaccio.url)
      expect(result.stderr + result.stdout).not.toContain(token)
      const versions = await npm(['view', `${SCOPE}/lib`, 'versions', '--json', '--registry', verdaccio.url])
      expect(JSON.parse(versions)).toEqual(['1.2.0'])
      expect(existsSync(join(ws.root, 'dist-badtoken', 'assets'))).toBe(false)
    } finally {
      await writeFile(join(ws.root, 'packages/lib/package.json'), manifest(`${SCOPE}/lib`))
      await commitAll(ws.root, 'lib back to 1.2.0')
    }
  })

  it('a registry with no token for a new version is NPM_UNAUTHORIZED before anything is written', async () => {
    await ws.configure({
      outDir: 'dist-notoken',
      destinations: { npm: { type: 'registry', url: verdaccio.url } },
    })
    await writeFile(
      join(ws.root, 'packages/lib/package.json'),
      manifest(`${SCOPE}/lib`, { version: '1.4.0' }),
    )
    await commitAll(ws.root, 'lib 1.4.0')
    try {
      const result = await polyship(['release', '--only', `${SCOPE}/lib`], ws) // ws.env has no *TOKEN*
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(
        `error NPM_UNAUTHORIZED: ${SCOPE}/lib@1.4.0 would be published to ${verdaccio.url}`,
      )
      expect(existsSync(join(ws.root, 'dist-notoken', 'assets'))).toBe(false)
    } finally {
      await writeFile(join(ws.root, 'packages/lib/package.json'), manifest(`${SCOPE}/lib`))
      await commitAll(ws.root, 'lib back to 1.2.0')
    }
  })

  it('killed right before or after an npm write, a re-run completes it: every version, tag and bundle', async () => {
    await ws.configure({
      outDir: 'dist-crash',
      destinations: { npm: { type: 'registry', url: verdaccio.url } },
    })
    const env = { ...ws.env, NPM_TOKEN: verdaccio.token }
    const setVersion = async (version: string) => {
      await writeFile(join(ws.root, 'packages/lib/package.json'), manifest(`${SCOPE}/lib`, { version }))
      await writeFile(
        join(ws.root, 'packages/app/package.json'),
        manifest(`${SCOPE}/app`, { version, dependencies: { [`${SCOPE}/lib`]: 'workspace:^' } }),
      )
      await commitAll(ws.root, `version ${version}`)
    }
    try {
      // a clean run numbers the writes; every version has the same sequence
      await setVersion('3.0.0')
      const clean = await polyship(['release', '--debug'], { root: ws.root, env })
      expect(clean.code, clean.stderr).toBe(0)
      const writes = [...clean.stderr.matchAll(/debug: write (\d+): (.*)/g)].map(
        (m) => [Number(m[1]), m[2]!] as const,
      )
      const npmWrites = writes.filter(([, what]) => /^(npm|dist-tag) /.test(what)).map(([n]) => n)
      expect(npmWrites).toHaveLength(4) // two publishes, two dist-tags
      for (const [round, crashAfter] of [npmWrites[0]! - 1, npmWrites[0]!, npmWrites[2]!].entries()) {
        const version = `3.${round + 1}.0`
        await setVersion(version)
        const killed = await polyshipProcess(['release'], {
          root: ws.root,
          env: { ...env, POLYSHIP_CRASH_AFTER: String(crashAfter) },
        })
        expect(killed.signal, `${version}: ${killed.stderr}`).toBe('SIGKILL')
        const resumed = await polyship(['release'], { root: ws.root, env })
        expect(resumed.code, `${version}: ${resumed.stderr}`).toBe(0)
        for (const name of [`${SCOPE}/lib`, `${SCOPE}/app`]) {
          const view = JSON.parse(await npm(['view', name, '--json', '--registry', verdaccio.url]))
          expect(view['dist-tags'].latest, `${version} ${name}`).toBe(version)
        }
        const verify = await polyship(['verify', 'dist-crash/release.json'], { root: ws.root, env })
        expect(verify.code, `${version}: ${verify.stdout}${verify.stderr}`).toBe(0)
      }
    } finally {
      await setVersion('1.2.0')
    }
  }, 300_000)
})
