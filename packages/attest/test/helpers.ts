import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AttestDeps, nodeDeps } from '@polyship/attest'
import { collectingReporter, run } from '@polyship/core'
import { afterAll, beforeAll } from 'vitest'

/** A temp directory per test file, removed afterwards. */
export function tempDir(prefix: string): () => string {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `polyship-attest-${prefix}-`))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  return () => dir
}

/** Deps with a throwaway home and config directory and a literal environment. */
export function testDeps(home: string, env: Record<string, string | undefined> = {}) {
  const reporter = collectingReporter()
  const deps: AttestDeps = { ...nodeDeps, env: { HOME: home, ...env }, home, reporter }
  return { deps, reporter }
}

/** Runs cosign (from ~/.cache/polyship/bin, on PATH via tools/env.sh) and reports exit status and output. */
export async function cosign(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ ok: boolean; output: string }> {
  try {
    const result = await run('cosign', args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      timeoutMs: 60_000,
    })
    return { ok: true, output: `${result.stdout}${result.stderr}` }
  } catch (error) {
    return { ok: false, output: String((error as Error).message) }
  }
}

/** `cosign sign-blob` with a key file (empty password), offline; writes the bundle to `<blob>.sigstore.json`. */
export function cosignSignBlob(blob: string, key: string): Promise<{ ok: boolean; output: string }> {
  return cosign(
    [
      'sign-blob',
      '--yes',
      '--key',
      key,
      '--use-signing-config=false',
      '--tlog-upload=false',
      '--bundle',
      `${blob}.sigstore.json`,
      blob,
    ],
    { COSIGN_PASSWORD: '' },
  )
}

/** `cosign verify-blob` against a public key, offline; the bundle defaults to `<blob>.sigstore.json`. */
export function cosignVerifyBlob(
  blob: string,
  publicKey: string,
  bundle = `${blob}.sigstore.json`,
): Promise<{ ok: boolean; output: string }> {
  return cosign(['verify-blob', '--key', publicKey, '--insecure-ignore-tlog', '--bundle', bundle, blob])
}

/** `cosign verify-blob-attestation` of one predicate type against a public key, offline. */
export function cosignVerifyBlobAttestation(
  blob: string,
  publicKey: string,
  type: string,
  bundle: string,
): Promise<{ ok: boolean; output: string }> {
  return cosign([
    'verify-blob-attestation',
    '--key',
    publicKey,
    '--insecure-ignore-tlog',
    '--type',
    type,
    '--bundle',
    bundle,
    blob,
  ])
}
