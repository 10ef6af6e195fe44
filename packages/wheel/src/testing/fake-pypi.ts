import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeUpload {
  readonly filename: string
  readonly authorization: string | undefined
  /** The form's fields other than the file, in order. */
  readonly fields: readonly (readonly [string, string])[]
  /** The PEP 740 attestations the upload carried (the `attestations` field, parsed), if any. */
  readonly attestations?: readonly unknown[]
}

/** What the fake saw, for assertions. */
export interface FakePypiLog {
  readonly mintRequests: number
  readonly uploads: readonly FakeUpload[]
}

export interface FakeTrustedPypi {
  /** The index root: upload URL, and where `/_/oidc/*` and `/simple/` live. */
  readonly url: string
  /** What GitHub Actions sets for a job with `id-token: write`, pointing at the fake's GitHub endpoint. */
  readonly actionsEnv: {
    readonly ACTIONS_ID_TOKEN_REQUEST_URL: string
    readonly ACTIONS_ID_TOKEN_REQUEST_TOKEN: string
  }
  readonly log: FakePypiLog
  stop(): Promise<void>
}

export interface FakeTrustedPypiOptions {
  readonly audience?: string
  /** The token the fake mints (default a fixed string). */
  readonly mintedToken?: string
  /** When false, mint-token answers 422 invalid-publisher like PyPI does for an unknown workflow. */
  readonly publisherRegistered?: boolean
  /**
   * PEP 740 attestations in uploads: `check` (default) accepts ones whose statement is a
   * publish/v1 statement about exactly the uploaded file, as PyPI does before its Sigstore
   * verification (which needs the real Sigstore); `refuse` answers 400 to any upload that
   * carries attestations, storing nothing.
   */
  readonly attestations?: 'check' | 'refuse'
}

const PUBLISH_V1 = 'https://docs.pypi.org/attestations/publish/v1'

/** Why PyPI would refuse these attestations of `filename` (undefined: it would take them). */
function attestationProblem(list: unknown, filename: string, sha256: string): string | undefined {
  if (!Array.isArray(list) || list.length === 0) return 'not a non-empty JSON array'
  for (const item of list) {
    const a = item as {
      version?: unknown
      verification_material?: { certificate?: unknown; transparency_entries?: unknown }
      envelope?: { statement?: unknown; signature?: unknown }
    }
    if (a.version !== 1) return 'version is not 1'
    if (typeof a.verification_material?.certificate !== 'string') return 'no certificate'
    if (
      !Array.isArray(a.verification_material.transparency_entries) ||
      a.verification_material.transparency_entries.length === 0
    )
      return 'no transparency entries'
    if (typeof a.envelope?.statement !== 'string' || typeof a.envelope.signature !== 'string')
      return 'no envelope'
    let statement: { subject?: { name?: string; digest?: { sha256?: string } }[]; predicateType?: string }
    try {
      statement = JSON.parse(Buffer.from(a.envelope.statement, 'base64').toString('utf8'))
    } catch {
      return 'the statement is not JSON'
    }
    if (statement.subject?.length !== 1) return 'the statement must have exactly one subject'
    const [subject] = statement.subject
    if (subject?.name !== filename)
      return `subject does not match distribution name: ${subject?.name} != ${filename}`
    if (subject.digest?.sha256 !== sha256) return 'subject does not match distribution digest'
    if (statement.predicateType !== PUBLISH_V1) return `unknown attestation type: ${statement.predicateType}`
  }
  return undefined
}

/**
 * A loopback fake of the parts of PyPI and GitHub Actions trusted publishing touches:
 * GitHub's ID-token endpoint, `/_/oidc/audience`, `/_/oidc/mint-token`, a legacy upload
 * endpoint that accepts only the minted token (and checks PEP 740 attestations sent with an
 * upload the way PyPI does before Sigstore verification), and a PEP 503 page of what was uploaded.
 * Real PyPI and GitHub cannot be reached from tests; everything else about the flow is real.
 */
export async function startFakeTrustedPypi(options: FakeTrustedPypiOptions = {}): Promise<FakeTrustedPypi> {
  const audience = options.audience ?? 'pypi'
  const minted = options.mintedToken ?? 'pypi-fake-minted-token-0123456789'
  const requestToken = 'fake-actions-request-token-abcdef'
  const idToken = `fake.jwt.for-${audience}`
  const files = new Map<string, Buffer>()
  const log = { mintRequests: 0, uploads: [] as FakeUpload[] }

  const handle = async (req: IncomingMessage, res: ServerResponse, base: string) => {
    const url = new URL(req.url ?? '/', base)
    const body = await readBody(req)
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
    }
    if (req.method === 'GET' && url.pathname === '/github/token') {
      // the auth scheme is case-insensitive (RFC 9110 11.1)
      if (req.headers.authorization?.replace(/^bearer /i, 'bearer ') !== `bearer ${requestToken}`)
        return json(401, { message: 'bad request token' })
      return json(200, { value: `fake.jwt.for-${url.searchParams.get('audience')}` })
    }
    if (req.method === 'GET' && url.pathname === '/_/oidc/audience') return json(200, { audience })
    if (req.method === 'POST' && url.pathname === '/_/oidc/mint-token') {
      log.mintRequests++
      const token = (JSON.parse(body.toString() || '{}') as { token?: string }).token
      if (token !== idToken || options.publisherRegistered === false) {
        return json(422, {
          message: 'Token request failed',
          errors: [{ code: 'invalid-publisher', description: 'valid token, but no corresponding publisher' }],
        })
      }
      return json(200, { success: true, token: minted })
    }
    if (req.method === 'POST' && url.pathname === '/') {
      const expected = `Basic ${Buffer.from(`__token__:${minted}`).toString('base64')}`
      if (req.headers.authorization !== expected) {
        log.uploads.push({ filename: '', authorization: req.headers.authorization, fields: [] })
        return res.writeHead(403, 'Invalid or non-existent authentication information.').end()
      }
      const form = await new Response(new Uint8Array(body), {
        headers: { 'content-type': req.headers['content-type'] ?? '' },
      }).formData()
      const content = form.get('content')
      if (!(content instanceof File)) return res.writeHead(400, 'Missing content').end()
      const bytes = Buffer.from(await content.arrayBuffer())
      const fields = [...form].flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as const] : []))
      const attestationField = form.get('attestations')
      const attestations =
        typeof attestationField === 'string' ? (JSON.parse(attestationField) as unknown[]) : undefined
      log.uploads.push({
        filename: content.name,
        authorization: req.headers.authorization,
        fields,
        ...(attestations === undefined ? {} : { attestations }),
      })
      // like warehouse: a supplied digest must match the bytes
      const sha = createHash('sha256').update(bytes).digest('hex')
      if (form.get('sha256_digest') !== sha)
        return res
          .writeHead(400, 'The digest supplied does not match a digest calculated from the uploaded file.')
          .end()
      if (attestations !== undefined) {
        const problem =
          options.attestations === 'refuse'
            ? 'this fake index refuses attestations'
            : attestationProblem(attestations, content.name, sha)
        if (problem !== undefined)
          return res
            .writeHead(400, { 'content-type': 'text/plain' })
            .end(`Invalid attestations supplied during upload: ${problem}`)
      }
      const existing = files.get(content.name)
      if (existing !== undefined && !existing.equals(bytes))
        return res.writeHead(400, 'File already exists').end()
      files.set(content.name, bytes)
      return res.writeHead(200).end()
    }
    const page = /^\/simple\/([^/]+)\/$/.exec(url.pathname)
    if (req.method === 'GET' && page !== null) {
      const links = [...files].map(
        ([name, bytes]) =>
          `<a href="/files/${name}#sha256=${createHash('sha256').update(bytes).digest('hex')}">${name}</a>`,
      )
      if (links.length === 0) return res.writeHead(404).end()
      return res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!DOCTYPE html><html><body>${links.join('<br/>')}</body></html>`)
    }
    res.writeHead(404).end()
  }

  const server = createServer((req, res) => {
    handle(req, res, base).catch((error: unknown) => res.writeHead(500).end(String(error)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `${base}/`,
    actionsEnv: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/github/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    },
    log,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
