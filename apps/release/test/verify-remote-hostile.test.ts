import { readFile } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { formatBytes, parseReleaseRecord } from '@polyship/core'
import { type HostileServer, startHostileServer } from '@polyship/oci/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FakeGitHub } from './fake-github.ts'
import { exampleWorkspace, polyship, type TestWorkspace } from './workspace.ts'

/**
 * `polyship verify` downloads the files a release published to the web (GitHub release
 * assets here, against a loopback FAKE of GitHub: it cannot be reached from tests) through
 * the core exchange: a host that hangs, drips, sends a page larger than the recorded file
 * or refuses connections ends verify within the configured limits (POLYSHIP_HTTP_*) with a
 * coded error naming the host, never a hang, a memory blow-up or a stack trace (exit 70).
 *
 * The release records download URLs on a TCP switch of this file's own, which forwards to
 * the fake for the release and to a hostile server (in front of the fake) for each case.
 */

const TOKEN = 'ghs_verifyRemoteToken0123456789'
const ARCHIVE = 'time-server-go_0.1.0_linux_amd64.tar.gz'
/** Limits that make a hostile host fail verify in about a second. */
const LIMITS = {
  POLYSHIP_HTTP_IDLE_TIMEOUT: '300ms',
  POLYSHIP_HTTP_DEADLINE: '2s',
  POLYSHIP_HTTP_MIN_RATE: '64MiB',
  POLYSHIP_HTTP_RETRY_TIME: '1s',
  POLYSHIP_HTTP_NOTICE: '100ms',
}

/** A TCP forwarder to whichever port `target` names (nothing listening there: connections are dropped); setting it drops open connections. */
interface Switch {
  readonly host: string
  target: number
  stop(): Promise<void>
}
async function startSwitch(target: number): Promise<Switch> {
  const sockets = new Set<Socket>()
  const state = { target }
  const server: Server = createServer((client) => {
    const upstream = connect(state.target, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    get target() {
      return state.target
    },
    set target(port: number) {
      state.target = port
      // kept-alive connections go to the old target: drop them
      for (const socket of sockets) socket.destroy()
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
const portOf = (url: string) => Number(new URL(url).port)

let ws: TestWorkspace
let fake: FakeGitHub
let web: Switch
let hostile: HostileServer | undefined
let archiveSize = 0
const env = (limits: Record<string, string> = LIMITS) => ({
  root: ws.root,
  env: {
    ...ws.env,
    GITHUB_API_URL: fake.url,
    GITHUB_SERVER_URL: `http://${web.host}`,
    GITHUB_TOKEN: TOKEN,
    ...limits,
  },
})
const isDownload = (_method: string, path: string) => path.includes('/releases/download/')
const isArchive = (_method: string, path: string) => path.endsWith(`/${ARCHIVE}`)
/** The switch sends the download URLs to a hostile server in front of the fake. */
async function hostileWeb(options: Parameters<typeof startHostileServer>[0]): Promise<HostileServer> {
  hostile = await startHostileServer({ target: fake.url, ...options })
  web.target = portOf(hostile.url)
  return hostile
}
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

beforeAll(async () => {
  fake = new FakeGitHub(TOKEN)
  await fake.start()
  web = await startSwitch(portOf(fake.url))
  ws = await exampleWorkspace({
    projects: ['time-server-go'],
    platforms: { 'time-server-go': ['linux/amd64', 'linux/arm64'] },
    config: {
      repository: 'https://github.com/owner/repo',
      destinations: { files: { type: 'github', repository: 'owner/repo' } },
    },
  })
  const release = await polyship(['release'], env({}))
  expect(release.code, release.stderr).toBe(0)
  const path = join(ws.root, 'dist', 'release.json')
  const record = parseReleaseRecord(JSON.parse(await readFile(path, 'utf8')), path)
  const archive = record.artifacts.find((a) => a.name === ARCHIVE)
  expect(archive?.locations).toEqual([
    `http://${web.host}/owner/repo/releases/download/time-server-go%400.1.0/${ARCHIVE}`,
  ])
  archiveSize = archive!.size
}, 900_000)
afterEach(async () => {
  web.target = portOf(fake.url)
  await hostile?.stop()
  hostile = undefined
})
afterAll(async () => {
  await web?.stop()
  await fake?.stop()
  await ws?.remove()
})

describe('verify of files on a hostile web host', () => {
  it('the same host serving the released files: all passed (the baseline the cases below break)', async () => {
    const result = await polyship(['verify'], env())
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0)
    expect(result.stdout).toMatch(/artifacts, \d+ checks: all passed/)
  })

  it('a host that accepts and never answers: NET_TIMEOUT naming it within the limits, saying it waits', async () => {
    await hostileWeb({ mode: 'hang', applies: isDownload })
    const result = await polyship(['verify'], env())
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(
      new RegExp(
        `error NET_TIMEOUT: download http://${escaped(web.host)}/owner/repo/releases/download/[^ ]+: ${escaped(web.host)} accepted the connection but sent no answer for 300 ms \\(idle timeout\\) \\(gave up after \\d tries`,
      ),
    )
    expect(result.stderr).toContain('POLYSHIP_HTTP_IDLE_TIMEOUT sets this limit')
    expect(result.stderr).toContain(`warn: waiting for ${web.host}: no byte for`)
    expect(result.stderr).not.toContain('this is a bug in polyship')
    expect(result.stdout).not.toContain('all passed')
  })

  it('a host that drips a byte every 100 ms is stopped by the deadline', async () => {
    await hostileWeb({ mode: 'drip', dripIntervalMs: 100, applies: isArchive })
    const result = await polyship(['verify'], env())
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(
      new RegExp(
        `error NET_TIMEOUT: download [^ ]+/${escaped(ARCHIVE)}: ${escaped(web.host)} did not finish answering within 2(\\.\\d)? s \\(deadline`,
      ),
    )
    expect(result.stderr).not.toContain('this is a bug in polyship')
  })

  it('a 300 MB page (chunked) where the archive is: cut off at the recorded size, the archive fails naming the host', async () => {
    const server = await hostileWeb({ mode: 'huge', applies: isArchive })
    const result = await polyship(['verify'], env())
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain(
      `download http://${web.host}/owner/repo/releases/download/time-server-go%400.1.0/${ARCHIVE}: ${web.host} sent more than the ${formatBytes(archiveSize)} the release recorded for this file (size cap): ${web.host} serves other bytes under the released name`,
    )
    // that archive fails its digest check; verify goes on with the rest
    expect(result.stdout).toMatch(new RegExp(`${escaped(ARCHIVE)} .*digest +FAILED +DIGEST_MISMATCH`))
    expect(result.stderr).not.toContain('this is a bug in polyship')
    // read no further than the recorded size (plus what socket buffers hold), not the 64 MiB general cap
    expect(server.sentBytes()).toBeLessThan(archiveSize + 16 * 1024 * 1024)
  })

  it('a 300 MB page declared up front: refused before its body is read', async () => {
    const server = await hostileWeb({ mode: 'huge', declareLength: true, applies: isArchive })
    const result = await polyship(['verify'], env())
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain(`download http://${web.host}/`)
    expect(result.stdout).toMatch(new RegExp(`${escaped(ARCHIVE)} .*digest +FAILED +DIGEST_MISMATCH`))
    expect(result.stderr).toContain(
      `${web.host} sent more than the ${formatBytes(archiveSize)} the release recorded for this file (size cap)`,
    )
    expect(server.sentBytes()).toBeLessThan(archiveSize + 16 * 1024 * 1024)
  })

  it('a host that drops every connection: CLI_DOWNLOAD_FAILED naming it, retried within the retry time', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    web.target = (closed.address() as { port: number }).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const result = await polyship(['verify'], env())
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(
      new RegExp(
        `error CLI_DOWNLOAD_FAILED: download http://${escaped(web.host)}/[^ ]+: cannot reach ${escaped(web.host)} \\(\\w+\\) after \\d tries`,
      ),
    )
    expect(result.stderr).toContain(`hint: check that ${web.host} is up and reachable from here`)
    expect(result.stderr).not.toContain('this is a bug in polyship')
  })
})
