import { generateKeyPairSync } from 'node:crypto'
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { AttestDeps } from '../deps.ts'
import { AttestError } from '../errors.ts'
import { encryptCosignKey } from './cosign-format.ts'
import {
  KEY_ENV,
  PASSPHRASE_ENVS,
  parseSigningKey,
  passphraseFromEnv,
  readSigningKey,
  type SigningKey,
} from './signing-key.ts'

export interface KeyOptions {
  /** A key file chosen by the user (polyship.json `signing.key`); `~` is the home directory. Must exist. */
  readonly key?: string
  /** Directory a relative `key` is resolved against (the workspace root); default: the current directory. */
  readonly root?: string
  /** Overrides the passphrase from POLYSHIP_SIGNING_KEY_PASSPHRASE / COSIGN_PASSWORD. */
  readonly passphrase?: string
  /**
   * Whether a missing default key is generated (default true). False in CI: a key made on a
   * runner is gone with it, so the run fails with ATTEST_KEY_NOT_CONFIGURED instead.
   */
  readonly generate?: boolean
}

/** Where a key comes from and whether polyship made it just now. */
export interface ResolvedKey {
  readonly key: SigningKey
  /** The `.pub` file next to the key, when the key is a file. */
  readonly publicKeyPath?: string
  readonly generated: boolean
}

/** `$XDG_CONFIG_HOME/polyship/cosign.key`, else `~/.config/polyship/cosign.key`: outside every repository. */
export function defaultKeyPath(deps: Pick<AttestDeps, 'env' | 'home'>): string {
  const configHome = deps.env.XDG_CONFIG_HOME || join(deps.home, '.config')
  return join(configHome, 'polyship', 'cosign.key')
}

export function publicKeyPathOf(keyPath: string): string {
  return `${keyPath.replace(/\.key$/, '')}.pub`
}

function expandHome(path: string, home: string): string {
  if (path === '~') return home
  return path.startsWith('~/') ? join(home, path.slice(2)) : path
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

/** The git work tree `path` lies in, if any (a `.git` file or directory in it or a parent). */
async function enclosingRepository(path: string): Promise<string | undefined> {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    if (await exists(join(dir, '.git'))) return dir
    if (dirname(dir) === dir) return undefined
  }
}

/**
 * Creates a P-256 key in cosign's key-file format (so `cosign sign-blob --key` takes it too),
 * sealed with `passphrase` (empty by default), plus the PEM SPKI public key next to it.
 * Refuses to write inside a git work tree: a committed private key is a leaked one.
 */
export async function generateSigningKey(path: string, passphrase = ''): Promise<ResolvedKey> {
  const repository = await enclosingRepository(dirname(path))
  if (repository !== undefined) {
    throw new AttestError(
      'ATTEST_KEY_INSIDE_REPOSITORY',
      `refusing to create signing key ${path}: it is inside the git repository ${repository}`,
      {
        hint: 'keep private keys out of repositories: set XDG_CONFIG_HOME or signing.key to a path outside it',
      },
    )
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const pem = await encryptCosignKey(privateKey.export({ type: 'pkcs8', format: 'der' }), passphrase)
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  try {
    await writeFile(path, pem, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    // Another polyship process made it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return {
      key: await readSigningKey(path, passphrase),
      publicKeyPath: publicKeyPathOf(path),
      generated: false,
    }
  }
  const key = await readSigningKey(path, passphrase)
  await writeFile(publicKeyPathOf(path), key.publicKeyPem)
  return { key, publicKeyPath: publicKeyPathOf(path), generated: true }
}

/**
 * The key to sign with, in this order: PEM text in $POLYSHIP_SIGNING_KEY; the configured
 * file (which must exist); the default file, generated on first use (reported through
 * `deps.reporter` with the public key's path) unless `generate` is false.
 */
export async function resolveSigningKey(options: KeyOptions, deps: AttestDeps): Promise<ResolvedKey> {
  const passphrase = options.passphrase ?? passphraseFromEnv(deps.env)
  const fromEnv = deps.env[KEY_ENV]
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return { key: await parseSigningKey(fromEnv, `$${KEY_ENV}`, passphrase), generated: false }
  }
  if (options.key !== undefined) {
    const path = resolve(options.root ?? '', expandHome(options.key, deps.home))
    return {
      key: await readSigningKey(path, passphrase),
      publicKeyPath: publicKeyPathOf(path),
      generated: false,
    }
  }
  const path = defaultKeyPath(deps)
  if (await exists(path)) {
    return {
      key: await readSigningKey(path, passphrase),
      publicKeyPath: publicKeyPathOf(path),
      generated: false,
    }
  }
  if (options.generate === false) {
    throw new AttestError(
      'ATTEST_KEY_NOT_CONFIGURED',
      `no signing key is configured ($${KEY_ENV} is not set, polyship.json has no signing.key, ${path} does not exist), and polyship does not generate one in CI: a key made on a runner is lost with it, and nobody could verify what it signed`,
      {
        hint: `sign keyless (in GitHub Actions grant the job \`permissions: id-token: write\`; elsewhere set polyship.json signing.mode "keyless" and SIGSTORE_ID_TOKEN), or give the job a key: the PEM private key in $${KEY_ENV} from a CI secret (make one with \`cosign generate-key-pair\`; its passphrase in POLYSHIP_SIGNING_KEY_PASSPHRASE), or polyship.json "signing": { "mode": "key", "key": "<path>" }`,
      },
    )
  }
  const generated = await generateSigningKey(path, passphrase ?? '')
  if (generated.generated) {
    const made = `generated signing key ${path}; its public key is ${generated.publicKeyPath}: publish it so users can verify (cosign verify-blob --key ${generated.publicKeyPath} ...)`
    // Said once: the next run finds the key and says nothing.
    deps.reporter.emit(
      passphrase === undefined || passphrase === ''
        ? {
            type: 'log',
            level: 'warn',
            message: `${made}. WARNING: the key has NO PASSPHRASE: anyone who copies ${path} can sign releases as you. To seal it, delete it (and its .pub), set ${PASSPHRASE_ENVS[0]} to a passphrase and run again (polyship then generates a sealed key and reads the passphrase from that variable), or make one with \`cosign generate-key-pair\` and set signing.key`,
          }
        : {
            type: 'log',
            level: 'info',
            message: `${made}; it is sealed with the passphrase given (${PASSPHRASE_ENVS.join(' or ')})`,
          },
    )
  }
  return generated
}
