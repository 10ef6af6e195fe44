import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { get } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { run } from '@polyship/core'
import { stopProcess } from './server-process.ts'
import type { TokenIssuer } from './token-issuer.ts'

/** How a test registry authenticates clients. */
export type TestRegistryAuth =
  | { readonly type: 'none' }
  | { readonly type: 'htpasswd'; readonly users: Readonly<Record<string, string>> }
  | { readonly type: 'token'; readonly issuer: TokenIssuer }

/** A running Debian `docker-registry` (distribution 2.8) on a loopback port. */
export interface TestRegistry {
  /** `127.0.0.1:<port>`, the registry part of references. */
  readonly host: string
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** The filesystem storage root (`docker/registry/v2/...` below it). */
  readonly storageDir: string
  stop(): Promise<void>
}

/** The value the root vitest globalSetup provides under the key `ociRegistry`. */
export interface SharedRegistry {
  readonly host: string
  readonly url: string
}

/** A free loopback TCP port (the kernel's pick; a race with other processes is retried by callers). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no TCP port')
  return address.port
}

/**
 * Starts `docker-registry serve` on 127.0.0.1 with a temp storage directory (deletes
 * enabled) and waits until `/v2/` answers. Variants: no auth, htpasswd Basic, or bearer
 * tokens from a loopback `TokenIssuer`. `stop()` ends it and removes its directory.
 */
export async function startRegistry(
  options: { readonly auth?: TestRegistryAuth } = {},
): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'polyship-registry-'))
  const auth = options.auth ?? { type: 'none' }
  let authConfig = ''
  if (auth.type === 'htpasswd') {
    const lines: string[] = []
    for (const [user, password] of Object.entries(auth.users)) {
      lines.push((await run('htpasswd', ['-Bbn', user, password])).stdout.trim())
    }
    await writeFile(join(dir, 'htpasswd'), `${lines.join('\n')}\n`)
    authConfig = `auth:\n  htpasswd:\n    realm: polyship-test\n    path: ${join(dir, 'htpasswd')}\n`
  } else if (auth.type === 'token') {
    const { issuer } = auth
    authConfig = `auth:\n  token:\n    realm: ${issuer.realm}\n    service: ${issuer.service}\n    issuer: ${issuer.issuer}\n    rootcertbundle: ${issuer.certFile}\n`
  }
  for (let attempt = 0; ; attempt++) {
    const port = await freePort()
    const host = `127.0.0.1:${port}`
    const config = [
      'version: 0.1',
      'log:\n  level: error\n  accesslog:\n    disabled: true',
      `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true`,
      `http:\n  addr: ${host}\n  secret: polyship-test-secret`,
      authConfig,
    ].join('\n')
    await writeFile(join(dir, 'config.yml'), config)
    const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const missing = new Promise<Error>((resolve) => child.once('error', resolve))
    const log = createWriteStream(join(dir, 'registry.log'))
    child.stdout.pipe(log)
    child.stderr.pipe(log)
    const ready = await Promise.race([waitReady(`http://${host}/v2/`, child), missing])
    if (ready instanceof Error) {
      await rm(dir, { recursive: true, force: true })
      throw new Error(
        `cannot run docker-registry (${ready.message}); install it with tools/test-env.sh (Debian package docker-registry)`,
      )
    }
    if (ready) {
      return {
        host,
        url: `http://${host}`,
        storageDir: join(dir, 'data'),
        stop: async () => {
          await stopProcess(child)
          await rm(dir, { recursive: true, force: true })
        },
      }
    }
    await stopProcess(child)
    if (attempt >= 2) {
      const tail = (await readFile(join(dir, 'registry.log'), 'utf8').catch(() => '')).slice(-2000)
      await rm(dir, { recursive: true, force: true })
      throw new Error(`docker-registry did not start on ${host}:\n${tail}`)
    }
  }
}

async function waitReady(url: string, child: ChildProcess): Promise<boolean> {
  let exited = false
  child.once('exit', () => {
    exited = true
  })
  child.once('error', () => {
    exited = true
  })
  for (let i = 0; i < 200 && !exited; i++) {
    const status = await new Promise<number>((resolve) => {
      get(url, { agent: false }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      }).on('error', () => resolve(0))
    })
    if (status === 200 || status === 401) return true
    await delay(50)
  }
  return false
}
