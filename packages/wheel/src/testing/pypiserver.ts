import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { run } from '@polyship/core'

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

/** A free loopback port (the kernel picks it; a race with another process is possible but rare). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

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
    if (await waitUntilUp(url, child)) {
      return { url, simpleUrl: `${url}simple/`, dir: options.dir, stop: () => stop(child) }
    }
    await stop(child)
    if (attempt >= 2) throw new Error(`pypi-server did not start (${args.join(' ')}):\n${stderr}`)
  }
}

async function waitUntilUp(url: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const response = await fetch(url)
      await response.body?.cancel()
      if (response.ok) return true
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}
