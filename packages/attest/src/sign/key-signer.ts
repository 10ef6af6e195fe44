import { sign } from 'node:crypto'
import type { Signer } from '@sigstore/sign'
import type { SigningKey } from '../key/signing-key.ts'
import { keyPolicy } from '../verify/policy.ts'
import { type BundleSigner, sigstoreBundleSigner } from './bundle-signer.ts'

/**
 * Signs with a local ECDSA P-256 key: bundles carry the public key hint and no
 * transparency-log entry, so verifiers need the public key (`cosign ... --key k.pub
 * --insecure-ignore-tlog`, or `polyship verify --key k.pub`).
 */
export function keySigner(key: SigningKey): BundleSigner {
  const signer: Signer = {
    sign: async (data) => ({
      signature: sign('sha256', data, key.privateKey),
      key: { $case: 'publicKey', publicKey: key.publicKeyPem, hint: key.hint },
    }),
  }
  return {
    ...sigstoreBundleSigner(signer, []),
    ownPolicy: keyPolicy([{ key: key.publicKey, source: key.source }]),
  }
}
