import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { freePort, stopProcess, waitUntilAnswering } from '@polyship/oci/testing'

/** A running Verdaccio on a loopback port, with one htpasswd user logged in. */
export interface TestVerdaccio {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string
  /** The user's token, obtained as `npm login` does. */
  readonly token: string
  readonly user: string
  /** Verdaccio's storage (`<name>/package.json` and tarballs). */
  readonly storageDir: string
  stop(): Promise<void>
}

/** What the root vitest globalSetup provides under the key `npmRegistry`. */
export interface SharedVerdaccio {
  readonly url: string
  readonly token: string
  readonly user: string
  readonly storageDir: string
}

const verdaccioBin = () =>
  join(dirname(createRequire(import.meta.url).resolve('verdaccio/package.json')), 'bin', 'verdaccio')

/**
 * Starts Verdaccio (the devDependency, run by this Node) on 127.0.0.1 with a temp storage,
 * no uplinks unless `uplink` is given (by default nothing is proxied to npmjs), reads open to all, publishing for
 * authenticated users only, registration closed, and one htpasswd user; logs that user in
 * with `PUT /-/user/org.couchdb.user:<name>` and returns its token. `stop()` ends it and
 * removes its directory.
 */
export async function startVerdaccio(
  options: {
    readonly user?: string
    readonly password?: string
    /**
     * Proxy every package except `local` ones to this registry (what a company registry in
     * front of npmjs does), so `pnpm add` of a package published here resolves its
     * dependencies too.
     */
    readonly uplink?: { readonly url: string; readonly local: readonly string[] }
  } = {},
): Promise<TestVerdaccio> {
  const user = options.user ?? 'polyship'
  const password = options.password ?? 'polyship-test-password'
  const dir = await mkdtemp(join(tmpdir(), 'polyship-verdaccio-'))
  const sha = createHash('sha1').update(password).digest('base64')
  await writeFile(join(dir, 'htpasswd'), `${user}:{SHA}${sha}:autocreated 2026-01-01T00:00:00.000Z\n`)
  const storageDir = join(dir, 'storage')
  const packageRule = '    access: $all\n    publish: $authenticated\n    unpublish: $authenticated\n'
  const proxied = options.uplink === undefined ? packageRule : `${packageRule}    proxy: upstream\n`
  const local = (options.uplink?.local ?? []).map((name) => `  '${name}':\n${packageRule}`).join('')
  await writeFile(
    join(dir, 'config.yaml'),
    [
      `storage: ${storageDir}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: -1',
      options.uplink === undefined
        ? 'uplinks: {}'
        : `uplinks:\n  upstream:\n    url: ${options.uplink.url}\n    timeout: 60s`,
      'packages:',
      `${local}  '@*/*':\n${proxied}  '**':\n${proxied}`,
      'web:',
      '  enable: false',
      'log: { type: stdout, format: json, level: warn }',
      'server:',
      '  keepAliveTimeout: 5',
      '',
    ].join('\n'),
  )
  for (let attempt = 0; ; attempt++) {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}/`
    const child = spawn(
      process.execPath,
      [verdaccioBin(), '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } },
    )
    let output = ''
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    if (await waitUntilAnswering(new URL('-/ping', url).href, child, 60_000)) {
      const token = await login(url, user, password)
      return {
        url,
        token,
        user,
        storageDir,
        stop: async () => {
          await stopProcess(child)
          await rm(dir, { recursive: true, force: true })
        },
      }
    }
    await stopProcess(child)
    if (attempt >= 2) {
      await rm(dir, { recursive: true, force: true })
      throw new Error(`verdaccio did not start:\n${output}`)
    }
  }
}

/**
 * `npm login` (legacy web flow) against Verdaccio: registration is closed, so the PUT carries
 * the user's Basic credentials and Verdaccio answers with a token for the existing user.
 */
async function login(url: string, user: string, password: string): Promise<string> {
  const response = await fetch(new URL(`-/user/org.couchdb.user:${encodeURIComponent(user)}`, url), {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    },
    body: JSON.stringify({ _id: `org.couchdb.user:${user}`, name: user, password, type: 'user', roles: [] }),
    signal: AbortSignal.timeout(30_000),
  })
  const body = (await response.json()) as { token?: string; error?: string }
  if (!response.ok || typeof body.token !== 'string')
    throw new Error(`verdaccio login of ${user} failed: ${response.status} ${body.error ?? ''}`)
  return body.token
}
