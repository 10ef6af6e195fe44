import { spawn } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '@polyship/core'
import { freePort, stopProcess, waitUntilAnswering } from '@polyship/oci/testing'

export interface PypiServer {
  /** Upload URL (the server root), with a trailing slash. */
  readonly url: string
  readonly simpleUrl: string
  /** Where the server keeps the files. */
  readonly dir: string
  stop(): Promise<void>
}

export interface PypiServerOptions {
  readonly dir: string
  /** Require these credentials for uploads (an htpasswd file is written next to `dir`). */
  readonly user?: { readonly username: string; readonly password: string }
  /** Off by default: a missing project answers 404 instead of redirecting to pypi.org. */
  readonly fallback?: boolean
  /** The pypi-server command (default `pypi-server` on PATH). */
  readonly command?: string
}

/** A free loopback port (one implementation, in @polyship/oci/testing). */
export { freePort }

/** Starts pypiserver on loopback and waits until it answers. */
export async function startPypiServer(options: PypiServerOptions): Promise<PypiServer> {
  await mkdir(options.dir, { recursive: true })
  const auth: string[] = []
  if (options.user !== undefined) {
    const htpasswd = join(options.dir, '..', `htpasswd-${process.pid}-${Date.now()}`)
    await run('htpasswd', ['-bcm', htpasswd, options.user.username, options.user.password])
    auth.push('-P', htpasswd, '-a', 'update')
  } else auth.push('-P', '.', '-a', '.')
  for (let attempt = 0; ; attempt++) {
    const port = await freePort()
    const args = [
      'run',
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      ...auth,
      ...(options.fallback ? [] : ['--disable-fallback']),
      options.dir,
    ]
    const child = spawn(options.command ?? 'pypi-server', args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000)
    })
    const url = `http://127.0.0.1:${port}/`
    if (await waitUntilAnswering(url, child)) {
      return { url, simpleUrl: `${url}simple/`, dir: options.dir, stop: () => stopProcess(child) }
    }
    await stopProcess(child)
    if (attempt >= 2) throw new Error(`pypi-server did not start (${args.join(' ')}):\n${stderr}`)
  }
}
