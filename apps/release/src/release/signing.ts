import {
  nodeDeps as attestDeps,
  type BundleSigner,
  type ConfiguredSigner,
  signerFromConfig,
} from '@polyship/attest'
import { assertNever, type Workspace } from '@polyship/core'
import type { Env } from './context.ts'
import { ReleaseError } from './errors.ts'
import { sigstoreSettings } from './gpg.ts'

/** The signer of a publishing run, resolved (and the default key generated) before anything is built. */
export async function releaseSigner(
  workspace: Workspace,
  env: Env,
): Promise<{
  readonly signer: BundleSigner
  readonly publicKey?: string
  /** How it signs: PEP 740 attestations and npm provenance need keyless. */
  readonly configured: ConfiguredSigner
}> {
  const signing = await signerFromConfig(
    sigstoreSettings(workspace.config.signing),
    { ...attestDeps, env },
    { root: workspace.root },
  )
  switch (signing.mode) {
    case 'none':
      throw new ReleaseError(
        'RELEASE_UNSIGNED',
        'polyship.json sets signing.mode "none"; a release signs everything it publishes',
        {
          hint: 'drop the signing setting (a key is generated on first use), or set signing.mode to "key" or "keyless"',
        },
      )
    case 'key':
      return {
        signer: signing.signer,
        configured: signing,
        ...(signing.key.publicKeyPath ? { publicKey: signing.key.publicKeyPath } : {}),
      }
    case 'keyless':
      return { signer: signing.signer, configured: signing }
    default:
      return assertNever(signing, 'signing mode')
  }
}
