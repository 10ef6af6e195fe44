import { existsSync, statSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import {
  type ArtifactLocation,
  AttestError,
  attestationStore,
  type CheckResult,
  defaultKeyPath,
  expectationsFor,
  gpgRecordCheck,
  keyPolicy,
  localFileLocation,
  nodeDeps,
  PUBLIC_GOOD_TUF,
  publicGoodTrust,
  publicKeyPathOf,
  readPublicKey,
  readTrustedRoot,
  type VerificationPolicy,
  verifyFile,
  verifyImage,
  verifyOciContent,
  verifyRecord,
  verifyRecordSignature,
} from '@polyship/attest'
import {
  CoreError,
  isPolyshipError,
  loadWorkspace,
  parseReleaseRecord,
  RELEASE_RECORD_SCHEMA,
  type RecordedArtifact,
  type RootConfig,
  readReleaseRecord,
} from '@polyship/core'
import { insecureHostsOf, LayoutStore, type OciStore, parseReference, RegistryClient } from '@polyship/oci'
import { indexFor, type PackageIndex } from '@polyship/wheel'
import type { CliContext } from '../context.ts'
import { CliError } from '../errors.ts'
import { withServerJsonCheck } from '../release/mcp-verify.ts'
import { renderTable } from '../table.ts'
import { type DownloadOptions, localizeRecord } from './remote-files.ts'
import { failedRow, indexPageCheck } from './verify-index.ts'
import { recordedSpdxCheck } from './verify-spdx.ts'

export const verifyHelp = `Usage: polyship verify [TARGET] [--key FILE]... [--json] [--cwd DIR]
       polyship verify [TARGET] --certificate-identity URI [--trusted-root FILE]
                       [--certificate-oidc-issuer URL]

Checks a release from the outside. A release record's own signature first
(release.json.sigstore.json: a record edited by hand fails before anything else), then
every byte it vouches for: each image and chart re-fetched and re-hashed (every manifest,
index, config and layer, sizes too) with its version tag pointing at the recorded digest,
each file matched to its recorded digest (and a checksums file to its archives, a package
index page to its files), then every signature, every provenance statement (its subjects
must include the artifact's digest) and every SBOM (present, valid CycloneDX 1.6 or SPDX 2.3, about
this artifact). Prints one row per check and exits 1 naming each artifact that fails and why.

TARGET is one of
  dist/release.json            a release record (the default: <outDir>/release.json)
  ghcr.io/acme/app@sha256:...  an image or chart in a registry (a tag works too)
  oci-layout:dist/oci@sha256:… an image or chart in an OCI image layout
  dist/assets/app.tar.gz       a file, with its .sigstore.json companions next to it

Options:
  --key FILE                     public key (PEM) the release was signed with; repeatable.
                                 Default: the .pub next to the configured or generated key
  --certificate-identity URI     keyless: the signer's identity, e.g. the release workflow
                                 https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/heads/main
  --certificate-identity-regexp  keyless: the identity as a regular expression
  --certificate-oidc-issuer URL  keyless: default https://token.actions.githubusercontent.com
  --trusted-root FILE            keyless: the Sigstore trusted_root.json to check certificates against
                                 (default: Sigstore's public-good root via TUF, cached; offline, the copy
                                 shipped with polyship; POLYSHIP_TUF_MIRROR names another TUF mirror)
`

/** parseArgs options of `polyship verify`, to merge with the global ones. */
export const VERIFY_OPTIONS = {
  key: { type: 'string', multiple: true },
  'certificate-identity': { type: 'string' },
  'certificate-identity-regexp': { type: 'string' },
  'certificate-oidc-issuer': { type: 'string' },
  'trusted-root': { type: 'string' },
} as const

export interface VerifyCommandOptions {
  readonly cwd: string
  readonly json: boolean
  readonly target?: string
  readonly key?: readonly string[]
  readonly certificateIdentity?: string
  readonly certificateIdentityRegexp?: string
  readonly certificateOidcIssuer?: string
  readonly trustedRoot?: string
}

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com'
const OCI_KINDS = new Set(['image', 'image-index', 'chart'])

/** The workspace's polyship.json, or nothing when verifying from outside any workspace. */
async function workspaceConfig(cwd: string): Promise<{ root: string; config: RootConfig }> {
  try {
    const workspace = await loadWorkspace(cwd)
    return { root: workspace.root, config: workspace.config }
  } catch (error) {
    if (error instanceof CoreError && error.code === 'CONFIG_UNREADABLE') return { root: cwd, config: {} }
    throw error
  }
}

/**
 * `--trusted-root FILE`, else Sigstore's public-good root through TUF (cached under
 * ~/.cache/polyship), else, offline, the copy shipped with @sigstore/tuf: said on stderr.
 */
async function keylessTrust(options: VerifyCommandOptions, context: CliContext) {
  if (options.trustedRoot !== undefined) return readTrustedRoot(resolve(options.cwd, options.trustedRoot))
  const home = context.env.HOME ?? nodeDeps.home
  const cacheHome = context.env.XDG_CACHE_HOME ?? join(home, '.cache')
  const trust = await publicGoodTrust({
    cachePath: join(cacheHome, 'polyship', 'sigstore-tuf'),
    ...(context.env.POLYSHIP_TUF_MIRROR ? { mirrorURL: context.env.POLYSHIP_TUF_MIRROR } : {}),
  })
  if (trust.source === 'shipped') {
    context.stderr.write(
      `warning: could not refresh the Sigstore trusted root from ${context.env.POLYSHIP_TUF_MIRROR ?? PUBLIC_GOOD_TUF} (${trust.refreshError}); using the copy shipped with polyship. Pass --trusted-root for another Sigstore instance.\n`,
    )
  }
  return trust.trustMaterial
}

async function policyOf(
  options: VerifyCommandOptions,
  workspace: { root: string; config: RootConfig },
  context: CliContext,
): Promise<VerificationPolicy> {
  const identity =
    options.certificateIdentity ??
    (options.certificateIdentityRegexp === undefined
      ? undefined
      : new RegExp(options.certificateIdentityRegexp))
  if (identity !== undefined) {
    return {
      mode: 'keyless',
      trustMaterial: await keylessTrust(options, context),
      identity,
      issuer: options.certificateOidcIssuer ?? GITHUB_ISSUER,
    }
  }
  if (options.key !== undefined && options.key.length > 0) {
    return keyPolicy(await Promise.all(options.key.map((k) => readPublicKey(resolve(options.cwd, k)))))
  }
  if (workspace.config.signing?.mode === 'keyless') {
    throw new CliError('CLI_USAGE', 'this workspace signs keyless: say whose signatures to accept', {
      hint: 'pass --certificate-identity (the release workflow URI), and --trusted-root for a Sigstore instance other than the public one',
    })
  }
  const configured = workspace.config.signing?.mode === 'key' ? workspace.config.signing.key : undefined
  const home = context.env.HOME ?? nodeDeps.home
  const keyPath =
    configured === undefined
      ? defaultKeyPath({ env: context.env, home })
      : resolve(workspace.root, configured.replace(/^~(?=\/|$)/, home))
  return keyPolicy([await readPublicKey(publicKeyPathOf(keyPath))])
}

/** A store and the tag or digest in it, from `oci-layout:DIR[:TAG][@DIGEST]` or a registry reference. */
function openOci(text: string, base: string, client: RegistryClient): { store: OciStore; reference: string } {
  if (text.startsWith('oci-layout:')) {
    const rest = text.slice('oci-layout:'.length)
    const at = rest.indexOf('@sha256:')
    const digest = at === -1 ? undefined : rest.slice(at + 1)
    let path = at === -1 ? rest : rest.slice(0, at)
    let tag: string | undefined
    const colon = path.lastIndexOf(':')
    if (!existsSync(resolve(base, path)) && colon > path.lastIndexOf('/')) {
      tag = path.slice(colon + 1)
      path = path.slice(0, colon)
    }
    const reference = digest ?? tag
    if (reference === undefined) {
      throw new CliError('CLI_USAGE', `${text}: name a tag or digest in the layout`, {
        hint: 'write oci-layout:DIR:TAG or oci-layout:DIR@sha256:<hex>',
      })
    }
    return { store: new LayoutStore(resolve(base, path)), reference }
  }
  const ref = parseReference(text, 'verify target')
  return { store: client.repository(ref), reference: ref.digest ?? ref.tag ?? 'latest' }
}

async function verifyOci(
  text: string,
  base: string,
  client: RegistryClient,
  policy: VerificationPolicy,
): Promise<CheckResult[]> {
  const { store, reference } = openOci(text, base, client)
  const subject = await store.resolve(reference)
  if (subject === undefined) {
    return [
      {
        artifact: text,
        check: 'digest',
        status: 'failed',
        code: 'OCI_MANIFEST_UNKNOWN',
        reason: `${text} not found`,
      },
    ]
  }
  const name = `${store.location}@${subject.digest}`
  return [
    ...(await verifyOciContent(store, subject, { name, reference: text })),
    ...(await verifyImage(subject, attestationStore(store), policy, { name })),
  ]
}

/**
 * Finds recorded artifacts: files at their local path; images and charts in the first
 * store of their locations that has the recorded digest, else the first that opens (its
 * content check then names what is missing).
 */
function recordLocator(client: RegistryClient) {
  return async (artifact: RecordedArtifact, recordDir: string): Promise<ArtifactLocation | undefined> => {
    if (!OCI_KINDS.has(artifact.kind)) {
      const path = localFileLocation(artifact, recordDir)
      return path !== undefined && existsSync(path) ? { kind: 'file', path } : undefined
    }
    let fallback: ArtifactLocation | undefined
    for (const location of artifact.locations) {
      try {
        const { store } = openOci(location, recordDir, client)
        fallback ??= { kind: 'oci', store, reference: location }
        if ((await store.resolve(artifact.digest)) !== undefined)
          return { kind: 'oci', store, reference: location }
      } catch (error) {
        if (!isPolyshipError(error)) throw error
      }
    }
    return fallback
  }
}

/**
 * A release record, or a torn one: a `release.json`, or a file naming the record schema,
 * that does not parse is read as a record so its error says so (truncated), instead of
 * being verified as a plain file with no signature.
 */
function isReleaseRecord(text: string, path: string): boolean {
  try {
    return (JSON.parse(text) as { schema?: unknown } | null)?.schema === RELEASE_RECORD_SCHEMA
  } catch (error) {
    if (error instanceof SyntaxError)
      return basename(path) === 'release.json' || text.includes(RELEASE_RECORD_SCHEMA)
    throw error
  }
}

type Target =
  | { kind: 'record'; path: string }
  | { kind: 'file'; path: string }
  | { kind: 'oci'; text: string }

async function classify(text: string, cwd: string): Promise<Target> {
  const path = resolve(cwd, text)
  if (existsSync(path) && statSync(path).isFile()) {
    if (path.endsWith('.json') && isReleaseRecord(await readFile(path, 'utf8'), path))
      return { kind: 'record', path }
    return { kind: 'file', path }
  }
  if (
    text.startsWith('oci-layout:') ||
    (!text.endsWith('.json') && text.includes('/') && !existsSync(path))
  ) {
    return { kind: 'oci', text }
  }
  throw new CliError('CLI_USAGE', `${text}: no such file, and not an image reference`, {
    hint: 'pass a release record (run `polyship release` first), a file, or an image reference with a tag or digest',
  })
}

function render(context: CliContext, results: readonly CheckResult[]): void {
  const rows = results.map((r) =>
    r.status === 'passed'
      ? [r.artifact, r.check, 'ok', r.detail]
      : [r.artifact, r.check, 'FAILED', `${r.code}`],
  )
  context.stdout.write(renderTable(['artifact', 'check', 'result', 'detail'], rows))
  const failed = results.filter((r) => r.status === 'failed')
  const artifacts = new Set(results.map((r) => r.artifact)).size
  if (failed.length === 0) {
    context.stdout.write(`\n${artifacts} artifacts, ${results.length} checks: all passed\n`)
    return
  }
  context.stderr.write(`\n${failed.length} of ${results.length} checks failed:\n`)
  for (const r of failed)
    if (r.status === 'failed') context.stderr.write(`  ${r.artifact}: ${r.check}: ${r.code}: ${r.reason}\n`)
}

/** `polyship verify`: exit 0 when every check passes, 1 when any fails. */
export async function verifyCommand(context: CliContext, options: VerifyCommandOptions): Promise<number> {
  const workspace = await workspaceConfig(options.cwd)
  const policy = await policyOf(options, workspace, context)
  const defaultRecord = join(workspace.root, workspace.config.outDir ?? 'dist', 'release.json')
  const target = await classify(options.target ?? defaultRecord, options.cwd)
  const destinations = [workspace.config.destinations?.images, workspace.config.destinations?.charts]
  const client = new RegistryClient({
    insecureHosts: insecureHostsOf(destinations.filter((d) => d !== undefined)),
  })

  let results: CheckResult[]
  let record: { path: string; signer: string } | undefined
  switch (target.kind) {
    case 'record': {
      const wheels = workspace.config.destinations?.wheels
      const remoteIndex =
        wheels?.type === 'pypi' ? indexFor(wheels, { root: workspace.root, env: context.env }) : undefined
      const { reporterFor } = await import('../render.ts')
      const downloads = {
        env: context.env,
        reporter: reporterFor(context, { json: options.json, debug: false }),
      }
      const checked = await verifyRecordFile(target.path, { policy, client, remoteIndex, downloads })
      results = checked.results
      if (checked.signer !== undefined) record = { path: target.path, signer: checked.signer }
      break
    }
    case 'file':
      results = await verifyFile(target.path, policy, { expect: expectationsFor(fileKind(target.path)) })
      break
    case 'oci':
      results = await verifyOci(target.text, options.cwd, client, policy)
      break
  }
  if (options.json) {
    const passed = results.every((r) => r.status === 'passed')
    context.stdout.write(`${JSON.stringify({ passed, ...(record ? { record } : {}), results }, null, 2)}\n`)
  } else {
    if (record !== undefined) context.stdout.write(`record ${record.path}: signed by ${record.signer}\n\n`)
    render(context, results)
  }
  return results.every((r) => r.status === 'passed') ? 0 : 1
}

/**
 * The record's signature first: a record that is torn is RECORD_INVALID (truncated), one
 * that is unsigned or edited fails alone, before any artifact it lists is looked at.
 */
async function verifyRecordFile(
  path: string,
  options: {
    readonly policy: VerificationPolicy
    readonly client: RegistryClient
    readonly remoteIndex: PackageIndex | undefined
    readonly downloads: DownloadOptions
  },
): Promise<{ results: CheckResult[]; signer?: string }> {
  const { policy, client, remoteIndex } = options
  const bytes = await readFile(path)
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error
    await readReleaseRecord(path) // throws RECORD_INVALID saying it is truncated
    throw error
  }
  let signer: string
  try {
    signer = await verifyRecordSignature(path, bytes, policy)
  } catch (error) {
    if (!(error instanceof AttestError)) throw error
    return { results: [failedRow(basename(path), 'record', error.code, error.message)] }
  }
  const record = parseReleaseRecord(json, path)
  const downloads = await mkdtemp(join(tmpdir(), 'polyship-verify-'))
  try {
    const local = await localizeRecord(record, downloads, options.downloads)
    const indexPage = indexPageCheck(local.downloaded, remoteIndex)
    const spdx = recordedSpdxCheck(dirname(path))
    const gpg = gpgRecordCheck(local.record, dirname(path))
    const results = await verifyRecord(local.record, dirname(path), policy, recordLocator(client), {
      check: withServerJsonCheck(
        async (artifact, location, name) => [
          ...(await indexPage(artifact, location, name)),
          ...(await spdx(artifact, location, name)),
          ...(await gpg(artifact, location, name)),
        ],
        local.record,
      ),
    })
    return { results, signer }
  } finally {
    await rm(downloads, { recursive: true, force: true })
  }
}

/** A checksums file carries no SBOM; everything else a release signs does. */
function fileKind(path: string): string {
  return /checksums?(\.txt)?$/i.test(basename(path)) ? 'checksums' : 'file'
}
