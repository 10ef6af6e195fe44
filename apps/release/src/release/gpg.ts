import { writeFile } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import {
  GPG_KEYS_MEDIA_TYPE,
  GPG_SIGNATURE_MEDIA_TYPE,
  GPG_SIGNATURE_SUFFIX,
  type GpgSigner,
  openGpgSigner,
} from '@polyship/attest'
import {
  type Digest,
  digestFile,
  type GpgSigningConfig,
  type RecordedArtifact,
  run,
  type SigningConfig,
  type SigningSettings,
  sha256,
  type Workspace,
} from '@polyship/core'
import type { TagSigner } from '@polyship/versioning'
import type { Env } from './context.ts'
import { ReleaseError } from './errors.ts'
import type { Finding } from './reconcile.ts'
import type { ProjectRelease, ReleaseFile } from './release-set.ts'
import type { Targets } from './targets.ts'

/** The Sigstore part of polyship.json `signing`; undefined when it only sets `gpg` (the default mode applies). */
export function sigstoreSettings(settings: SigningSettings | undefined): SigningConfig | undefined {
  if (settings?.mode === undefined) return undefined
  const { gpg: _gpg, ...sigstore } = settings
  return sigstore
}

/** GPG signing of a publishing run: the checked signer and what polyship.json asks it to sign. */
export interface ReleaseGpg {
  readonly signer: GpgSigner
  readonly artifacts: NonNullable<GpgSigningConfig['artifacts']>
  readonly tags: boolean
  /** Stops the private keyring's agent and removes it. */
  dispose(): Promise<void>
}

/**
 * The GPG signer polyship.json `signing.gpg` configures, its key checked with a test
 * signature (before anything is built, so a missing, expired or locked key stops the run
 * with its ATTEST_GPG_* code); undefined without `signing.gpg`.
 */
export async function releaseGpg(workspace: Workspace, env: Env): Promise<ReleaseGpg | undefined> {
  const config = workspace.config.signing?.gpg
  if (config === undefined) return undefined
  if (config.tags ?? true) await assertTaggerIdentity(workspace.root, env)
  const { signer, home } = await openGpgSigner(config.key, env, new Date())
  return {
    signer,
    artifacts: config.artifacts ?? 'checksums',
    tags: config.tags ?? true,
    dispose: () => home.dispose(),
  }
}

/** A signed tag names its tagger: git must know who that is before anything is published, not after. */
async function assertTaggerIdentity(root: string, env: Env): Promise<void> {
  const ident = await run('git', ['var', 'GIT_COMMITTER_IDENT'], { cwd: root, env, okExitCodes: [128] })
  if (ident.exitCode === undefined) return
  throw new ReleaseError(
    'RELEASE_GIT_IDENTITY_MISSING',
    'polyship.json signing.gpg.tags: a signed tag names its tagger, and git has no committer identity here',
    {
      hint: 'set git config user.name and user.email (in CI: GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL), or set signing.gpg.tags to false',
    },
  )
}

function wanted(file: ReleaseFile, artifacts: ReleaseGpg['artifacts']): boolean {
  switch (file.kind) {
    case 'checksums':
      return artifacts !== 'archives'
    case 'archive':
      return artifacts !== 'checksums'
    default:
      return false
  }
}

/**
 * Signs the project's checksums files (and archives, as configured) into `<file>.asc` and
 * publishes each beside its file, before the GitHub release is made public. A signature
 * the destination already holds for an unchanged file (a re-run) is kept: gpg signatures
 * carry their time, so signing again would make a different file.
 * Returns the `signature` entries the release record lists.
 */
export async function publishGpgSignatures(
  release: ProjectRelease,
  gpg: ReleaseGpg,
  findings: readonly Finding[],
  targets: Targets,
): Promise<RecordedArtifact[]> {
  const files = release.files.filter((f) => wanted(f, gpg.artifacts))
  const recorded: RecordedArtifact[] = []
  for (const file of files) {
    const name = `${file.name}${GPG_SIGNATURE_SUFFIX}`
    const local = `${file.path}${GPG_SIGNATURE_SUFFIX}`
    const finding = findings.find((f) => f.project === release.project.name && f.artifact === file.name)
    const held =
      finding?.state.status === 'conflict' ? undefined : await targets.files.existing(release, name)
    let signature: { location: string; digest: Digest; size: number }
    if (held === undefined) {
      await gpg.signer.signFiles([file.path])
      const { digest, size } = await digestFile(local)
      const outcome = await targets.files.publish(release, { name, path: local, digest })
      signature = { location: outcome.location, digest, size }
    } else {
      signature = { ...held, size: await heldSize(held, local) }
    }
    recorded.push({
      kind: 'signature',
      name,
      project: release.project.name,
      version: release.version,
      ...(file.platform ? { platform: file.platform } : {}),
      digest: signature.digest,
      size: signature.size,
      mediaType: GPG_SIGNATURE_MEDIA_TYPE,
      locations: [targets.recordLocation(signature.location)],
    })
  }
  return recorded
}

/** The size of a signature the destination holds: its local copy's, or the file's when the destination is a directory. */
async function heldSize(held: { location: string; digest: Digest }, local: string): Promise<number> {
  for (const path of [local, held.location]) {
    if (!isAbsolute(path)) continue
    const found = await digestFile(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    if (found?.digest === held.digest) return found.size
  }
  // Held only remotely (a re-run on another machine): the listing gives no size.
  return 0
}

/**
 * Writes the armoured public key to `<outDir>/<fingerprint>.asc` for verifiers and returns
 * the record entry naming it (one per released project, so each project's entries say which
 * key signed them).
 */
export async function recordGpgPublicKey(
  outDir: string,
  gpg: ReleaseGpg,
  projects: readonly { readonly name: string; readonly version: string }[],
): Promise<RecordedArtifact[]> {
  const text = await gpg.signer.exportPublicKey()
  const name = `${gpg.signer.fingerprint}${GPG_SIGNATURE_SUFFIX}`
  await writeFile(join(outDir, name), text)
  const bytes = Buffer.from(text)
  return projects.map((p) => ({
    kind: 'signature',
    name,
    project: p.name,
    version: p.version,
    digest: sha256(bytes),
    size: bytes.length,
    mediaType: GPG_KEYS_MEDIA_TYPE,
    locations: [name],
  }))
}

/** The `createReleaseTags` options that make its tags signed ones, when `signing.gpg.tags` is on. */
export function gpgTagOptions(
  gpg: ReleaseGpg | undefined,
  env: Env,
): { readonly sign?: TagSigner; readonly env?: Env } {
  if (gpg === undefined || !gpg.tags) return {}
  return { sign: (payload) => gpg.signer.signBytes(payload), env }
}
