import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { registerSecret, run } from '@polyship/core'
import { AttestError } from '../errors.ts'

type Env = Readonly<Record<string, string | undefined>>

/** An armoured OpenPGP secret key (`gpg --armor --export-secret-keys`), imported into a private keyring. */
export const GPG_KEY_ENV = 'POLYSHIP_GPG_KEY'
/** The passphrase of the GPG key; handed to gpg on stdin (`--passphrase-fd 0`), never on argv. */
export const GPG_PASSPHRASE_ENV = 'POLYSHIP_GPG_PASSPHRASE'

/** What every gpg call gets: no tty, no questions, machine-readable status. */
const BATCH = ['--batch', '--no-tty', '--with-colons', '--status-fd', '2']

/**
 * A GnuPG home directory and the environment gpg (and git) run with: the user's keyring, or
 * a private temporary one holding the key from $POLYSHIP_GPG_KEY. `dispose` stops the
 * agent a private home started and removes the home; the user's keyring is left alone.
 */
export interface GpgHome {
  /** The environment of every gpg and git call that uses this keyring. */
  readonly env: Env
  /** Where the key came from, for messages: `$POLYSHIP_GPG_KEY` or the keyring's path. */
  readonly source: string
  /** True for the private home holding the key from the environment. */
  readonly private: boolean
  dispose(): Promise<void>
}

export interface GpgResult {
  readonly ok: boolean
  readonly stdout: string
  /** gpg's messages and `[GNUPG:]` status lines. */
  readonly stderr: string
}

/**
 * Runs gpg in `home` with `args` after the batch options. Exit codes 1 and 2 (bad signature,
 * any other failure) are results, read from the status lines by the caller; a missing gpg
 * binary is ATTEST_GPG_UNAVAILABLE.
 */
export async function gpg(
  home: Pick<GpgHome, 'env'>,
  args: readonly string[],
  options: { readonly input?: string; readonly secrets?: readonly string[] } = {},
): Promise<GpgResult> {
  try {
    const result = await run('gpg', [...BATCH, ...args], {
      env: home.env,
      okExitCodes: [1, 2],
      timeoutMs: 120_000,
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
    })
    return { ok: result.exitCode === undefined, stdout: result.stdout, stderr: result.stderr }
  } catch (error) {
    if ((error as { code?: string }).code === 'SUBPROCESS_NOT_FOUND') {
      throw new AttestError(
        'ATTEST_GPG_UNAVAILABLE',
        'GPG signing is configured (polyship.json signing.gpg) but gpg is not installed',
        {
          hint: 'install GnuPG 2.2 or later (Debian/Ubuntu: apt-get install gnupg; macOS: brew install gnupg), or drop signing.gpg',
          cause: error,
        },
      )
    }
    throw error
  }
}

/** The environment gpg needs and nothing else from `env` but what locates it and its agent. */
function gpgEnv(env: Env, gnupgHome: string | undefined): Env {
  const kept: Record<string, string | undefined> = {}
  for (const name of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'GPG_AGENT_INFO', 'XDG_RUNTIME_DIR']) {
    if (env[name] !== undefined) kept[name] = env[name]
  }
  // gpg's messages are parsed only through status lines, but keep them in English for the error tails.
  kept.LC_ALL = 'C'
  if (gnupgHome !== undefined) kept.GNUPGHOME = gnupgHome
  return kept
}

/**
 * The keyring to sign with: the key in $POLYSHIP_GPG_KEY imported into a private temporary
 * home (mode 0700, removed by `dispose`), else the user's own keyring ($GNUPGHOME or
 * ~/.gnupg). The key text and the passphrase are registered as secrets, so no message or
 * record ever shows them.
 */
export async function openGpgHome(env: Env): Promise<GpgHome> {
  registerSecret(env[GPG_PASSPHRASE_ENV])
  const armoured = env[GPG_KEY_ENV]?.trim()
  if (armoured === undefined || armoured === '') {
    const path = env.GNUPGHOME ?? join(env.HOME ?? '~', '.gnupg')
    return { env: gpgEnv(env, env.GNUPGHOME), source: path, private: false, dispose: async () => {} }
  }
  registerSecret(armoured)
  if (!armoured.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----')) {
    throw new AttestError(
      'ATTEST_GPG_KEY_UNREADABLE',
      `$${GPG_KEY_ENV} does not hold an armoured OpenPGP secret key`,
      {
        hint: `export it with \`gpg --armor --export-secret-keys <fingerprint>\` and put the whole text, BEGIN and END lines included, in $${GPG_KEY_ENV}`,
      },
    )
  }
  // Short: gpg-agent's socket lives in the home and socket paths are limited to ~100 bytes.
  const dir = await mkdtemp(join(env.TMPDIR ?? tmpdir(), 'psgpg-'))
  const home: GpgHome = {
    env: gpgEnv(env, dir),
    source: `$${GPG_KEY_ENV}`,
    private: true,
    dispose: async () => {
      await run('gpgconf', ['--kill', 'gpg-agent'], { env: home.env, timeoutMs: 30_000 }).catch(
        () => undefined,
      )
      await rm(dir, { recursive: true, force: true })
    },
  }
  try {
    // The passphrase comes on stdin (loopback pinentry): there is nobody to ask.
    await writeFile(join(dir, 'gpg-agent.conf'), 'allow-loopback-pinentry\n', { mode: 0o600 })
    const imported = await gpg(home, ['--import'], { input: `${armoured}\n`, secrets: [armoured] })
    if (!imported.ok || !/^\[GNUPG:\] IMPORT_OK /m.test(imported.stderr)) {
      throw new AttestError('ATTEST_GPG_KEY_UNREADABLE', `gpg could not import the key in $${GPG_KEY_ENV}`, {
        hint: `put the output of \`gpg --armor --export-secret-keys <fingerprint>\` in $${GPG_KEY_ENV}, unchanged`,
      })
    }
    return home
  } catch (error) {
    await home.dispose()
    throw error
  }
}
