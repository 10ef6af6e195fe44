import { assertNever, type SigningConfig } from '@polyship/core'
import type { AttestDeps } from '../deps.ts'
import { type ResolvedKey, resolveSigningKey } from '../key/resolve-key.ts'
import { KEY_ENV } from '../key/signing-key.ts'
import type { BundleSigner } from './bundle-signer.ts'
import { hasAmbientIdentityToken, isCi } from './ci.ts'
import { keySigner } from './key-signer.ts'
import { type KeylessOptions, keylessSigner } from './keyless-signer.ts'

/** The signer a release uses, and for key signing the key it resolved (to tell the user where its public half is). */
export type ConfiguredSigner =
  | { readonly mode: 'key'; readonly signer: BundleSigner; readonly key: ResolvedKey }
  | { readonly mode: 'keyless'; readonly signer: BundleSigner }
  | { readonly mode: 'none' }

/**
 * Chooses the signer from polyship.json `signing`. Without a setting: on a workstation, key
 * signing with the default key (generated on first use); in CI (see `isCi`), the key in
 * $POLYSHIP_SIGNING_KEY if set, else keyless when an identity token is at hand (GitHub
 * Actions with `id-token: write`, or SIGSTORE_ID_TOKEN), else key signing with a key that
 * must already exist. CI never generates a key.
 * Keyless reads its token from the variable named by `identityToken` (default
 * SIGSTORE_ID_TOKEN) or GitHub Actions. Fails early with a coded error when the key or the
 * token is not available.
 */
export async function signerFromConfig(
  config: SigningConfig | undefined,
  deps: AttestDeps,
  options: { readonly root?: string; readonly keyless?: Omit<KeylessOptions, 'tokenEnv'> } = {},
): Promise<ConfiguredSigner> {
  const ci = isCi(deps.env)
  const keyInEnv = (deps.env[KEY_ENV] ?? '').trim() !== ''
  const signing: SigningConfig =
    config ?? (ci && !keyInEnv && hasAmbientIdentityToken(deps.env) ? { mode: 'keyless' } : { mode: 'key' })
  switch (signing.mode) {
    case 'key': {
      const key = await resolveSigningKey(
        {
          ...(signing.key === undefined ? {} : { key: signing.key }),
          ...(options.root === undefined ? {} : { root: options.root }),
          ...(ci ? { generate: false } : {}),
        },
        deps,
      )
      return { mode: 'key', signer: keySigner(key.key), key }
    }
    case 'keyless':
      return {
        mode: 'keyless',
        signer: keylessSigner(
          {
            ...options.keyless,
            ...(signing.identityToken === undefined ? {} : { tokenEnv: signing.identityToken }),
          },
          deps,
        ),
      }
    case 'none':
      return { mode: 'none' }
    default:
      return assertNever(signing, 'signing mode')
  }
}
