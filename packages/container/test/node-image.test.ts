import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { buildImage, nodeEntry, publishImage } from '@polyship/container'
import { debianBase } from '@polyship/container/testing'
import { collectingReporter, type ImageConfig, type Project, parseProjectManifest } from '@polyship/core'
import { LayoutStore, RegistryClient } from '@polyship/oci'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARM64, codeOf, EPOCH, run, temps, unpack } from './helpers.ts'

const QEMU_AARCH64 = '/usr/bin/qemu-aarch64-static'

const dirs = temps()
const client = new RegistryClient()
const env = { ...process.env, SOURCE_DATE_EPOCH: EPOCH }
const PLATFORMS = ['linux/amd64', 'linux/arm64']
let nodeBase: string
let port: number
let first: Workspace

beforeAll(async () => {
  nodeBase = (await debianBase({ packages: ['nodejs'], architectures: ['amd64', 'arm64'] })).reference
  port = await freePort()
  first = await workspace(await dirs.make('node-ws'))
}, 300_000)

afterAll(async () => {
  client.close()
  await dirs.cleanup()
})

/**
 * A pnpm workspace: `@demo/server` (bin src/main.js) depends on the sibling `@demo/greet`
 * and on `ms` from the npm registry, with `is-number` as a devDependency; beside it,
 * packages for the bad cases. `pnpm install` runs for real.
 */
interface Workspace {
  readonly root: string
  project(name: string, image?: Partial<ImageConfig>): Promise<Project>
}

const SERVER = `#!/usr/bin/env node
const ms = require('ms')
const greet = require('@demo/greet')
const port = process.env.PORT
if (port === undefined) {
  console.log(greet('world'), ms(90000), process.env.NODE_ENV, process.getuid())
} else {
  require('node:http')
    .createServer((req, res) => res.end('ok'))
    .listen(Number(port), '127.0.0.1', () => console.log('listening'))
}
`

async function workspace(root: string, options: { readonly banner?: string } = {}): Promise<Workspace> {
  const write = async (path: string, content: string | object) => {
    await mkdir(join(root, path, '..'), { recursive: true })
    await writeFile(
      join(root, path),
      typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`,
    )
  }
  const manifests = new Map<string, Record<string, unknown>>()
  const pkg = async (dir: string, manifest: Record<string, unknown>) => {
    manifests.set(manifest.name as string, manifest)
    await write(`packages/${dir}/package.json`, manifest)
  }
  await write('package.json', { name: 'demo-root', private: true })
  await write('pnpm-workspace.yaml', 'packages:\n  - packages/*\n')
  await pkg('greet', { name: '@demo/greet', version: '1.0.0', main: 'index.js' })
  await write('packages/greet/index.js', "module.exports = (name) => 'hello ' + name\n")
  await pkg('server', {
    name: '@demo/server',
    version: '1.2.3',
    description: 'a demo Node server',
    license: 'MIT',
    bin: { server: 'src/main.js' },
    files: ['src'],
    dependencies: { '@demo/greet': 'workspace:*', ms: '2.1.3' },
    devDependencies: { 'is-number': '7.0.0' },
  })
  await write('packages/server/src/main.js', `${options.banner ?? ''}${SERVER}`)
  await write('packages/server/test/main.test.js', '// not deployed: files lists src only\n')
  // bad input: no bin, no main
  await pkg('no-entry', { name: '@demo/no-entry', version: '0.1.0' })
  await write('packages/no-entry/index.js', "console.log('never run')\n")
  // bad input: main names a build output that was never built
  await pkg('unbuilt', {
    name: '@demo/unbuilt',
    version: '0.1.0',
    main: 'dist/main.js',
    files: ['dist', 'src'],
  })
  await write('packages/unbuilt/src/main.ts', "console.log('never built')\n")
  // bad input: a dependency with an x86-64 native addon only
  await pkg('addon', { name: '@demo/addon', version: '1.0.0', main: 'index.js' })
  await write('packages/addon/index.js', "module.exports = require('./build/Release/addon.node')\n")
  await write('packages/addon/build/Release/addon.node', elfHeader(62))
  await pkg('native', {
    name: '@demo/native',
    version: '1.0.0',
    main: 'main.js',
    dependencies: { '@demo/addon': 'workspace:*' },
  })
  await write('packages/native/main.js', "require('@demo/addon')\n")
  execFileSync('pnpm', ['install', '--no-frozen-lockfile', '--prefer-offline'], {
    cwd: root,
    env,
    stdio: 'pipe',
  })
  return {
    root,
    async project(name, image = {}) {
      const dir = join(root, 'packages', name)
      const manifestPath = join(dir, 'package.json')
      const manifest: Record<string, unknown> = {
        ...manifests.get(`@demo/${name}`),
        polyship: { image: { base: 'node', platforms: PLATFORMS, ports: [port], ...image } },
      }
      await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
      const parsed = parseProjectManifest(manifest, manifestPath)
      return {
        name: parsed.name,
        version: parsed.version,
        root: dir,
        dir: `packages/${name}`,
        manifestPath,
        config: parsed.config,
        ...(typeof manifest.description === 'string' ? { description: manifest.description } : {}),
        ...(typeof manifest.license === 'string' ? { license: manifest.license } : {}),
        dependsOn: [],
      }
    },
  }
}

/** 20 bytes of a little-endian 64-bit ELF header for `machine` (62 x86-64, 183 aarch64). */
function elfHeader(machine: number): string {
  const header = Buffer.alloc(64)
  header.write('\x7fELF', 0, 'latin1')
  header[4] = 2
  header[5] = 1
  header[6] = 1
  header.writeUInt16LE(3, 16)
  header.writeUInt16LE(machine, 18)
  return header.toString('latin1')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

async function build(ws: Workspace, name: string, image: Partial<ImageConfig> = {}) {
  const project = await ws.project(name, image)
  const reporter = collectingReporter()
  const built = await buildImage(
    { project, workspaceRoot: ws.root, bases: { node: nodeBase } },
    { env, client, reporter },
  )
  return { built, reporter }
}

async function publish(built: Awaited<ReturnType<typeof buildImage>>, layout: string): Promise<void> {
  try {
    await publishImage(built, new LayoutStore(layout), { tags: [{ tag: '1.2.3', moving: false }] })
  } finally {
    await built.dispose()
  }
}

/** An image's `KEY=value` environment as the environment of a process. */
function envOf(imageEnv: readonly string[]): Record<string, string> {
  return Object.fromEntries(imageEnv.map((line) => [line.split('=')[0]!, line.slice(line.indexOf('=') + 1)]))
}

/** chroot into the rootfs as nonroot, as a container runtime would start the image. */
function chroot(rootfs: string, argv: readonly string[], imageEnv: readonly string[]): string {
  return execFileSync('chroot', ['--userspec=65532:65532', rootfs, ...argv], {
    encoding: 'utf8',
    env: envOf(imageEnv),
    cwd: '/',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

describe('a Node server image (pnpm deploy --prod on a Node base)', () => {
  let layout: string
  let rootfs: string
  let config: {
    config: {
      Cmd: string[]
      Entrypoint?: string[]
      User: string
      Env: string[]
      WorkingDir: string
      Healthcheck: { Test: string[] }
    }
  }

  let packages: readonly { ecosystem: string; name: string; version: string }[] = []
  beforeAll(async () => {
    const { built } = await build(first, 'server')
    packages = built.packages ?? []
    const out = await dirs.make('node-out')
    layout = join(out, 'published')
    await publish(built, layout)
    rootfs = unpack(`oci:${layout}:1.2.3`, join(out, 'unpacked'))
    config = JSON.parse(run('skopeo', ['inspect', '--raw', '--config', `oci:${layout}:1.2.3`]))
  }, 300_000)

  it('lists the production npm packages it deployed (for the image SBOM), not the devDependencies', () => {
    expect(packages.map((p) => `${p.ecosystem}:${p.name}`)).toEqual(
      expect.arrayContaining(['npm:@demo/greet', 'npm:ms']),
    )
    expect(packages.every((p) => p.ecosystem === 'npm' && /^\d+\.\d+\.\d+/.test(p.version))).toBe(true)
    expect(packages.map((p) => p.name)).not.toContain('is-number')
  })

  it('runs the bin entry point with node under chroot as 65532, using the workspace sibling and ms', () => {
    expect(config.config.Cmd).toEqual(['/usr/bin/node', '/app/src/main.js'])
    expect(config.config.User).toBe('65532:65532')
    expect(config.config.WorkingDir).toBe('/app')
    expect(config.config.Env).toContain('NODE_ENV=production')
    const out = chroot(rootfs, config.config.Cmd, config.config.Env)
    expect(out.trim()).toBe('hello world 2m production 65532')
  })

  it('holds production dependencies only, root-owned and world-readable, without pnpm state', async () => {
    const app = join(rootfs, 'app')
    expect(existsSync(join(app, 'node_modules/ms/index.js'))).toBe(true)
    expect(existsSync(join(app, 'node_modules/@demo/greet/index.js'))).toBe(true)
    expect(existsSync(join(app, 'node_modules/is-number'))).toBe(false)
    expect(existsSync(join(app, 'test'))).toBe(false)
    for (const gone of [
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      'node_modules/.modules.yaml',
      'node_modules/.pnpm',
    ])
      expect(existsSync(join(app, gone)), gone).toBe(false)
    const manifest = JSON.parse(await readFile(join(app, 'package.json'), 'utf8'))
    expect(manifest.dependencies).toEqual({ '@demo/greet': '1.0.0', ms: '2.1.3' })
    const info = await stat(join(app, 'node_modules/ms/index.js'))
    expect([info.uid, info.gid, (info.mode & 0o777).toString(8)]).toEqual([0, 0, '644'])
    // nothing in the image names the machine's workspace path
    expect(run('sh', ['-c', 'grep -rl "$1" "$2" || true', 'sh', first.root, app]).trim()).toBe('')
  })

  it('has a health check that node in the image passes while the server listens and fails when it does not', async () => {
    const test = config.config.Healthcheck.Test
    expect(test.slice(0, 2)).toEqual(['CMD', '/usr/bin/node'])
    let server: ChildProcess | undefined
    try {
      server = spawn('chroot', ['--userspec=65532:65532', rootfs, ...config.config.Cmd], {
        env: { ...envOf(config.config.Env), PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      await new Promise<void>((resolve, reject) => {
        server!.stdout!.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('listening')) resolve()
        })
        server!.on('error', reject)
        server!.on('exit', (code) => reject(new Error(`server exited with ${code}`)))
      })
      chroot(rootfs, test.slice(1), config.config.Env)
    } finally {
      server?.kill()
    }
    await new Promise((resolve) => server?.once('exit', resolve))
    expect(() => chroot(rootfs, test.slice(1), config.config.Env)).toThrow()
  })

  // binfmt_misc is not registered here: the static qemu is put into the rootfs and run by hand.
  it.runIf(existsSync(QEMU_AARCH64))(
    'the arm64 image runs the same tree with its own arm64 node (qemu)',
    async () => {
      const out = await dirs.make('node-arm64')
      const arm = unpack(`oci:${layout}:1.2.3`, out, ARM64)
      expect(run('file', ['-L', join(arm, 'usr/bin/node')])).toMatch(/ARM aarch64/)
      await copyFile(QEMU_AARCH64, join(arm, 'qemu-aarch64'))
      const printed = chroot(arm, ['/qemu-aarch64', ...config.config.Cmd], config.config.Env)
      expect(printed.trim()).toBe('hello world 2m production 65532')
    },
  )

  it('is a two-platform index with OCI annotations; dependencies lie in their own layer below the app', () => {
    const index = JSON.parse(run('skopeo', ['inspect', '--raw', `oci:${layout}:1.2.3`]))
    expect(
      index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture),
    ).toEqual(['amd64', 'arm64'])
    expect(index.annotations).toMatchObject({
      'org.opencontainers.image.title': '@demo/server',
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.licenses': 'MIT',
      'org.opencontainers.image.base.name': nodeBase,
    })
    const arm = JSON.parse(
      run('skopeo', ['--override-arch', 'arm64', 'inspect', '--config', `oci:${layout}:1.2.3`]),
    )
    expect(arm.architecture).toBe('arm64')
    expect(arm.history.slice(-2).map((h: { created_by: string }) => h.created_by)).toEqual([
      'polyship: production dependencies of @demo/server',
      'polyship: @demo/server deployed into /app',
    ])
  })

  it('gives the same digest from another checkout; a code change keeps the dependency layer', async () => {
    const again = await workspace(await dirs.make('node-ws-again'))
    const changed = await workspace(await dirs.make('node-ws-changed'), { banner: '// v2\n' })
    const a = await build(first, 'server')
    const b = await build(again, 'server')
    const c = await build(changed, 'server')
    try {
      expect(b.built.index.descriptor.digest).toBe(a.built.index.descriptor.digest)
      expect(c.built.index.descriptor.digest).not.toBe(a.built.index.descriptor.digest)
      const layers = (image: typeof a) =>
        JSON.parse(new TextDecoder().decode(image.built.manifests[0]!.content.bytes)).layers.map(
          (l: { digest: string }) => l.digest,
        ) as string[]
      expect(layers(c).slice(0, -1)).toEqual(layers(a).slice(0, -1))
      expect(layers(c).at(-1)).not.toBe(layers(a).at(-1))
    } finally {
      await Promise.all([a, b, c].map((x) => x.built.dispose()))
    }
  }, 300_000)

  it('warns when there is neither a port nor a configured health check', async () => {
    const { built, reporter } = await build(first, 'server', { ports: [] })
    await built.dispose()
    expect(reporter.events).toContainEqual(
      expect.objectContaining({
        type: 'log',
        level: 'warn',
        message: expect.stringMatching(/no health check/),
      }),
    )
  })
})

describe('Node images refuse bad input with a coded error, publishing nothing', () => {
  it('a package with neither bin nor main', async () => {
    const error = await build(first, 'no-entry').catch((e: unknown) => e as Error & { code: string })
    expect(error).toMatchObject({ code: 'CONTAINER_NODE_ENTRY_MISSING' })
    expect((error as Error).message).toMatch(/@demo\/no-entry has no entry point.*neither "bin" nor "main"/)
    expect((error as Error).message).toContain(join(first.root, 'packages/no-entry/package.json'))
  })

  it('an entry point missing from the deployed tree (not built)', async () => {
    const error = await build(first, 'unbuilt').catch((e: unknown) => e as Error & { code: string })
    expect(error).toMatchObject({ code: 'CONTAINER_NODE_ENTRY_MISSING' })
    expect((error as Error).message).toMatch(
      /main of @demo\/unbuilt names dist\/main\.js, which is not a file/,
    )
  })

  it('a dependency with a native addon for another platform only', async () => {
    const error = await build(first, 'native').catch((e: unknown) => e as Error & { code: string })
    expect(error).toMatchObject({ code: 'CONTAINER_NODE_NATIVE_ADDON' })
    expect((error as Error).message).toMatch(
      /@demo\/addon holds a native addon built for linux\/amd64, which cannot load in the linux\/arm64 image/,
    )
    // the amd64 image alone is fine
    const amd64 = await build(first, 'native', { platforms: ['linux/amd64'] })
    await amd64.built.dispose()
  })

  it('a package outside any pnpm workspace: the deploy fails', async () => {
    const root = await dirs.make('node-lonely')
    const manifestPath = join(root, 'package.json')
    const manifest = {
      name: 'lonely',
      version: '0.1.0',
      main: 'index.js',
      polyship: { image: { base: 'node' } },
    }
    await writeFile(manifestPath, JSON.stringify(manifest))
    await writeFile(join(root, 'index.js'), "console.log('alone')\n")
    const parsed = parseProjectManifest(manifest, manifestPath)
    const project: Project = { ...parsed, root, dir: '.', manifestPath, dependsOn: [] }
    const error = await buildImage({ project, bases: { node: nodeBase } }, { env, client }).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'CONTAINER_NODE_DEPLOY_FAILED' })
    expect((error as Error).message).toMatch(/pnpm deploy of lonely for its Node image failed/)
  })

  it('a base without node', async () => {
    const error = await build(first, 'server', { base: 'static', node: {} }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CONTAINER_ENTRYPOINT_MISSING' })
    expect((error as Error).message).toMatch(/the linux\/amd64 base has no node on PATH/)
  })
})

describe('nodeEntry (package.json bin and main)', () => {
  const at = (manifest: Record<string, unknown>, configured?: string) =>
    nodeEntry(manifest, { project: '@acme/api', file: 'api/package.json', configured })
  it('takes configured entry, then bin (string, sole, or named like the package), then main', () => {
    expect(at({ bin: './cli.js', main: 'x.js' }, 'dist/server.js')).toEqual({
      path: 'dist/server.js',
      field: 'polyship.image.node.entry',
    })
    expect(at({ bin: './cli.js', main: 'x.js' })).toEqual({ path: 'cli.js', field: 'bin' })
    expect(at({ bin: { api: 'bin/api.js', migrate: 'bin/m.js' } })).toEqual({
      path: 'bin/api.js',
      field: 'bin.api',
    })
    expect(at({ main: 'lib/index.js' })).toEqual({ path: 'lib/index.js', field: 'main' })
  })
  it('refuses ambiguous bins, no entry at all, and paths leaving the package', async () => {
    expect(await codeOf(Promise.resolve().then(() => at({ bin: { a: 'a.js', b: 'b.js' } })))).toBe(
      'CONTAINER_NODE_ENTRY_MISSING',
    )
    expect(await codeOf(Promise.resolve().then(() => at({})))).toBe('CONTAINER_NODE_ENTRY_MISSING')
    expect(await codeOf(Promise.resolve().then(() => at({ main: '../secret.js' })))).toBe(
      'CONTAINER_PATH_ESCAPES',
    )
  })
})
