import { generateKeyPairSync, sign, X509Certificate } from 'node:crypto'
import type { Signature, Signer } from '@sigstore/sign'
import type { AttestDeps } from '../deps.ts'
import { AttestError } from '../errors.ts'
import { type BundleSigner, sigstoreBundleSigner } from './bundle-signer.ts'
import { type IdentityTokenSource, identityTokenSource } from './oidc.ts'

/** @sigstore/sign's DEFAULT_FULCIO_URL and DEFAULT_REKOR_URL, without loading it to name them. */
const DEFAULT_FULCIO_URL = 'https://fulcio.sigstore.dev'
const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev'

export interface KeylessOptions {
  readonly fulcioURL?: string
  readonly rekorURL?: string
  /** The environment variable holding an OIDC token (default SIGSTORE_ID_TOKEN); GitHub Actions' token otherwise. */
  readonly tokenEnv?: string
  /** Replaces the token lookup (tests, other CI systems). */
  readonly identityToken?: IdentityTokenSource
  /** Rekor entry kind for DSSE bundles (default `dsse`; `intoto` is what older verifiers and @sigstore/mock understand). */
  readonly rekorEntryType?: 'dsse' | 'intoto'
}

/** Re-request a certificate when less than this much of its validity remains. */
const CERTIFICATE_MARGIN_MS = 3 * 60_000

/**
 * One ephemeral key and one Fulcio certificate for many signatures: a release signs dozens
 * of artifacts, and asking Fulcio once per signature is slow and invites rate limits.
 * The certificate is renewed when it nears expiry.
 */
function certificateReusingSigner(
  fulcioURL: string,
  getToken: IdentityTokenSource,
  deps: AttestDeps,
): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const keyHolder: Signer = {
    sign: async (data) => ({
      signature: sign('sha256', data, privateKey),
      key: { $case: 'publicKey', publicKey: publicKeyPem },
    }),
  }
  const fulcio = import('@sigstore/sign').then(
    ({ FulcioSigner }) =>
      new FulcioSigner({ fulcioBaseURL: fulcioURL, identityProvider: { getToken }, keyHolder }),
  )
  let latest: { certificate: string; renewAt: number } | undefined
  let pending: Promise<{ certificate: string; renewAt: number }> | undefined

  const request = async () => {
    const signature: Signature = await (await fulcio).sign(Buffer.alloc(0))
    if (signature.key.$case !== 'x509Certificate')
      throw new Error('the Fulcio signer returned no certificate')
    const validTo = Date.parse(new X509Certificate(signature.key.certificate).validTo)
    return { certificate: signature.key.certificate, renewAt: validTo - CERTIFICATE_MARGIN_MS }
  }
  const certificate = async () => {
    if (latest !== undefined && deps.now().getTime() < latest.renewAt) return latest.certificate
    pending ??= request()
      .then((fresh) => (latest = fresh))
      .finally(() => {
        pending = undefined
      })
    return (await pending).certificate
  }
  return {
    sign: async (data) => ({
      signature: sign('sha256', data, privateKey),
      key: { $case: 'x509Certificate', certificate: await certificate() },
    }),
  }
}

function keylessError(error: unknown, fulcioURL: string, rekorURL: string): never {
  // @sigstore/sign wraps identity provider failures; ours are already coded.
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof AttestError) throw cause
  }
  const message = error instanceof Error ? error.message : String(error)
  throw new AttestError(
    'ATTEST_KEYLESS_FAILED',
    `keyless signing failed (Fulcio ${fulcioURL}, Rekor ${rekorURL}): ${message}`,
    {
      hint: 'check the OIDC token (audience "sigstore") and that Fulcio and Rekor are reachable; re-run with --debug for the cause',
      cause: error,
    },
  )
}

/**
 * Keyless signing: a Fulcio certificate for the CI's OIDC identity and a Rekor entry per
 * signature. Throws ATTEST_OIDC_TOKEN_MISSING right away when no token can be had.
 */
export function keylessSigner(options: KeylessOptions, deps: AttestDeps): BundleSigner {
  const fulcioURL = options.fulcioURL ?? DEFAULT_FULCIO_URL
  const rekorURL = options.rekorURL ?? DEFAULT_REKOR_URL
  const getToken = options.identityToken ?? identityTokenSource(options, deps)
  let signer: Promise<BundleSigner> | undefined
  const inner = () => {
    signer ??= import('@sigstore/sign').then(({ RekorWitness }) =>
      sigstoreBundleSigner(certificateReusingSigner(fulcioURL, getToken, deps), [
        new RekorWitness({
          rekorBaseURL: rekorURL,
          ...(options.rekorEntryType === undefined ? {} : { entryType: options.rekorEntryType }),
        }),
      ]),
    )
    return signer
  }
  return {
    signBlob: (data) =>
      inner()
        .then((s) => s.signBlob(data))
        .catch((error) => keylessError(error, fulcioURL, rekorURL)),
    signStatement: (value) =>
      inner()
        .then((s) => s.signStatement(value))
        .catch((error) => keylessError(error, fulcioURL, rekorURL)),
  }
}
