import { createHash, generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, rekorHandler } from '@sigstore/mock'

/** A fake Sigstore: Fulcio and Rekor from @sigstore/mock behind a real loopback HTTP server. */
export interface FakeSigstore {
  readonly fulcioURL: string
  readonly rekorURL: string
  /** A trusted_root.json for this instance, as `polyship verify --trusted-root` reads it. */
  readonly trustedRoot: Record<string, unknown>
  /** An unsigned JWT the fake Fulcio certifies as `subject` (the certificate's URI SAN). */
  identityToken(subject: string, issuer?: string): string
  close(): Promise<void>
}

export const FAKE_ISSUER = 'https://fake.oidcissuer.com'

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

const b64 = (bytes: ArrayBuffer | ArrayBufferView) =>
  Buffer.from(
    bytes instanceof ArrayBuffer
      ? new Uint8Array(bytes)
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  ).toString('base64')

/** Starts the fake on 127.0.0.1 (a random port); close it in afterAll. */
export async function startFakeSigstore(): Promise<FakeSigstore> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const caKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const ctKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const tlogKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const ctlog = await initializeCTLog(ctKeys)
  const ca = await initializeCA(caKeys, ctlog)
  const tlog = await initializeTLog(base, tlogKeys)
  const handlers = [fulcioHandler(ca), rekorHandler(tlog)]

  server.on('request', (request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const handler = handlers.find(
        (h) => request.method === 'POST' && new URL(request.url ?? '/', base).pathname === h.path,
      )
      if (handler === undefined) {
        response.writeHead(404).end('not found')
        return
      }
      handler.fn(Buffer.concat(chunks).toString('utf8')).then(
        ({ statusCode, response: body, contentType }) => {
          response.writeHead(statusCode, { 'content-type': contentType ?? 'text/plain' })
          response.end(typeof body === 'string' ? body : JSON.stringify(body))
        },
        (error: unknown) => response.writeHead(500).end(String(error)),
      )
    })
  })

  const tlogKey = tlogKeys.publicKey.export({ type: 'spki', format: 'der' })
  const since = { start: '2000-01-01T00:00:00Z' }
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: base,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: tlogKey.toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: since,
        },
        logId: { keyId: createHash('sha256').update(tlogKey).digest('base64') },
      },
    ],
    certificateAuthorities: [
      { uri: base, certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] }, validFor: since },
    ],
    ctlogs: [
      {
        baseUrl: base,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(ctlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: since },
        logId: { keyId: b64(ctlog.logID) },
      },
    ],
    timestampAuthorities: [],
  }

  return {
    fulcioURL: base,
    rekorURL: base,
    trustedRoot,
    identityToken: (subject, issuer = FAKE_ISSUER) =>
      `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: subject, iss: issuer, aud: 'sigstore' })}.`,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  }
}
