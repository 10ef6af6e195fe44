import type { Digest } from '@polyship/core'
import { npmProvenanceStatement } from '../statement/npm-provenance.ts'
import type { SigstoreBundle } from './bundle-signer.ts'
import type { ConfiguredSigner } from './from-config.ts'

/**
 * Who signs npm provenance, from the release's signer: keyless in GitHub Actions signs
 * the SLSA statement npm would (see `npmProvenanceStatement`) into a Sigstore bundle;
 * otherwise `reason` says why none is attached (a key-signed or local provenance is not
 * npm provenance: the registry verifies a Sigstore identity of a CI workflow). Shaped as
 * `@polyship/npm`'s ProvenanceSigner.
 */
export type NpmProvenanceSigner =
  | {
      readonly kind: 'keyless'
      bundle(tarball: {
        readonly name: string
        readonly version: string
        readonly integrity: string
        readonly digest: Digest
      }): Promise<SigstoreBundle>
    }
  | { readonly kind: 'unavailable'; readonly reason: string }

export function npmProvenanceSigner(
  signing: ConfiguredSigner,
  env: Readonly<Record<string, string | undefined>>,
): NpmProvenanceSigner {
  if (signing.mode !== 'keyless')
    return {
      kind: 'unavailable',
      reason: `the release signs ${signing.mode === 'key' ? 'with a key' : 'nothing (signing.mode "none")'}: npm provenance needs a keyless (Sigstore) identity, so none was attached`,
    }
  if (env.GITHUB_ACTIONS !== 'true')
    return {
      kind: 'unavailable',
      reason: 'npm provenance is signed by a GitHub Actions workflow identity; this is not GitHub Actions',
    }
  const { signer } = signing
  return {
    kind: 'keyless',
    bundle: async (tarball) => signer.signStatement(npmProvenanceStatement(tarball, env)),
  }
}
