import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { inspectDistribution, publishWheels, resolvePypiDestination } from '@polyship/wheel'
import { writeSyntheticWheel } from '@polyship/wheel/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { caught } from './helpers.ts'

/**
 * twine's `ca_cert` and `client_cert` (.pypirc): against a fake index over TLS (a loopback
 * https server whose certificate and required client certificate come from a test CA
 * made here with openssl), polyship trusts that CA and presents the client certificate.
 */
let work: string
let server: Server
let url = ''
const uploads: { filename: string; client: string | undefined }[] = []

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: work, stdio: 'pipe' })
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'polyship-pypirc-tls-'))
  const ext = join(work, 'ext.cnf')
  await writeFile(ext, 'subjectAltName = IP:127.0.0.1\n')
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=polyship test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  ])
  for (const [name, cn] of [
    ['server', '127.0.0.1'],
    ['client', 'release-bot'],
  ] as const) {
    openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    ])
    openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.pem`,
      ...(name === 'server' ? ['-extfile', ext] : []),
    ])
  }
  // twine's client_cert: one PEM with the certificate and its key
  await writeFile(
    join(work, 'client-bundle.pem'),
    `${await readFile(join(work, 'client.pem'), 'utf8')}${await readFile(join(work, 'client.key'), 'utf8')}`,
  )
  const ca = await readFile(join(work, 'ca.pem'))
  server = createServer(
    {
      key: await readFile(join(work, 'server.key')),
      cert: await readFile(join(work, 'server.pem')),
      ca,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        if (req.method !== 'POST') return res.writeHead(404).end()
        const filename = /filename="([^"]+)"/.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? ''
        const peer = (req.socket as TLSSocket).getPeerCertificate()
        uploads.push({ filename, client: typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined })
        res.writeHead(200).end()
      })
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

async function pypirc(lines: string[]): Promise<string> {
  const home = await mkdtemp(join(work, 'home-'))
  await writeFile(
    join(home, '.pypirc'),
    ['[distutils]', 'index-servers = private', '', '[private]', `repository = ${url}`, ...lines, ''].join(
      '\n',
    ),
  )
  return home
}

describe('.pypirc ca_cert and client_cert (fake index over TLS with a test CA)', () => {
  it('trusts the CA of ca_cert and presents client_cert to the index', async () => {
    const HOME = await pypirc([
      'username = alice',
      'password = tls-index-password-7Qx',
      `ca_cert = ${join(work, 'ca.pem')}`,
      'client_cert = client-bundle.pem',
    ])
    const resolved = resolvePypiDestination(
      { type: 'pypi', repository: 'private' },
      { env: { HOME }, root: work },
    )
    expect(resolved.tls).toMatchObject({
      caCert: join(work, 'ca.pem'),
      clientCert: join(work, 'client-bundle.pem'),
    })
    const dir = await mkdtemp(join(work, 'dist-'))
    const wheel = await inspectDistribution(
      await writeSyntheticWheel(dir, { name: 'tls_demo', version: '1.0.0' }),
    )
    const outcomes = await publishWheels(
      [wheel],
      { type: 'pypi', repository: 'private' },
      { root: work, env: { HOME } },
    )
    expect(outcomes.map((o) => o.status)).toEqual(['published'])
    expect(uploads).toEqual([{ filename: wheel.filename, client: 'release-bot' }])
  })

  it('without ca_cert the test CA is not trusted; an unreadable ca_cert is WHEEL_PYPIRC_INVALID naming it', async () => {
    const dir = await mkdtemp(join(work, 'dist-'))
    const wheel = await inspectDistribution(
      await writeSyntheticWheel(dir, { name: 'tls_other', version: '1.0.0' }),
    )
    const untrusted = await pypirc(['username = alice', 'password = tls-index-password-7Qx'])
    const refused = await caught(
      publishWheels(
        [wheel],
        { type: 'pypi', repository: 'private' },
        { root: work, env: { HOME: untrusted } },
      ),
    )
    expect([refused.code, refused.message]).toEqual([
      'WHEEL_INDEX_UNREACHABLE',
      expect.stringMatching(/UNABLE_TO_VERIFY|CERT/),
    ])

    const missing = await pypirc([
      'username = alice',
      'password = tls-index-password-7Qx',
      'ca_cert = no-such-ca.pem',
    ])
    const error = await caught(
      publishWheels([wheel], { type: 'pypi', repository: 'private' }, { root: work, env: { HOME: missing } }),
    )
    expect([error.code, error.message]).toEqual([
      'WHEEL_PYPIRC_INVALID',
      expect.stringContaining(`ca_cert ${join(work, 'no-such-ca.pem')} cannot be read (ENOENT)`),
    ])
    expect(error.source?.file).toBe(join(missing, '.pypirc'))
    expect(uploads.map((u) => u.filename)).not.toContain(wheel.filename)
  })
})
