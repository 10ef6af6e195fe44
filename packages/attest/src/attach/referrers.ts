import { X509Certificate } from 'node:crypto'
import { type AttestationRef, type Digest, isPolyshipError, sha256 } from '@polyship/core'
import type { CycloneDxSbom } from '../sbom/build.ts'
import type { SpdxSbom } from '../sbom/spdx.ts'
import { BUNDLE_V03_MEDIA_TYPE, type BundleSigner, type SigstoreBundle } from '../sign/bundle-signer.ts'
import { cosignSignStatement, PREDICATE_TYPES, type Statement } from '../statement/statement.ts'
import { bundleBytes, sbomStatement } from './files.ts'

/** An OCI descriptor, as much of it as attestations need. */
export interface OciDescriptor {
  readonly mediaType: string
  readonly digest: Digest
  readonly size: number
  readonly artifactType?: string
  readonly annotations?: Readonly<Record<string, string>>
}

/** A referrer manifest and the blobs it points at. */
export interface ReferrerArtifact {
  readonly manifest: Uint8Array
  readonly blobs: readonly { readonly descriptor: OciDescriptor; readonly bytes: Uint8Array }[]
}

/**
 * Where image and chart attestations live: one repository of a registry or one OCI layout.
 * `@polyship/oci` stores satisfy it through `attestationStore(store)`.
 */
export interface AttestationStore {
  /** For messages and refs: `ghcr.io/acme/app`, `oci-layout:dist/oci`. */
  readonly location: string
  /**
   * Pushes the blobs, then the manifests, and makes them discoverable from their subject
   * (referrers API or `sha256-<hex>` tag), listed in this order; outcomes in the same order.
   */
  attach(
    referrers: readonly ReferrerArtifact[],
  ): Promise<readonly { readonly digest: Digest; readonly added: boolean }[]>
  /** Descriptors of the manifests referring to `subject` with this artifactType. */
  list(subject: Digest, artifactType: string): Promise<readonly OciDescriptor[]>
  /** Bytes of a manifest or blob, checked against the descriptor's digest. */
  fetch(descriptor: OciDescriptor): Promise<Uint8Array>
}

export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json'
const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' as Digest,
  size: 2,
}
export const ANNOTATIONS = {
  content: 'dev.sigstore.bundle.content',
  predicateType: 'dev.sigstore.bundle.predicateType',
  created: 'org.opencontainers.image.created',
} as const

/**
 * The referrer manifest cosign 3 writes for a bundle: artifactType and single layer of the
 * bundle media type, empty config, the image as subject, the predicate type annotated.
 */
export function bundleReferrer(
  subject: OciDescriptor,
  bundle: SigstoreBundle,
  predicateType: string,
  created: Date,
): ReferrerArtifact {
  const layerBytes = bundleBytes(bundle)
  const layer = { mediaType: BUNDLE_V03_MEDIA_TYPE, digest: sha256(layerBytes), size: layerBytes.length }
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    artifactType: BUNDLE_V03_MEDIA_TYPE,
    config: EMPTY_CONFIG,
    layers: [layer],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: {
      [ANNOTATIONS.content]: 'dsse-envelope',
      [ANNOTATIONS.predicateType]: predicateType,
      [ANNOTATIONS.created]: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  }
  return {
    manifest: new TextEncoder().encode(JSON.stringify(manifest)),
    blobs: [
      { descriptor: EMPTY_CONFIG, bytes: new TextEncoder().encode('{}') },
      { descriptor: layer, bytes: layerBytes },
    ],
  }
}

/** A referrer of `subject` holding a bundle, read back: the manifest descriptor and the bundle JSON. */
export interface StoredBundle {
  readonly descriptor: OciDescriptor
  readonly predicateType: string | undefined
  /** The bundle JSON; undefined when it could not be read (see `problem`). */
  readonly bundle: unknown
  readonly problem?: string
}

/** Parsed JSON, or undefined for bytes that are not JSON (a damaged referrer is reported by verification). */
function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch {
    return undefined
  }
}

async function readBundle(store: AttestationStore, descriptor: OciDescriptor): Promise<StoredBundle> {
  const announced = descriptor.annotations?.[ANNOTATIONS.predicateType]
  try {
    const manifest = (parseJson(await store.fetch(descriptor)) ?? {}) as {
      layers?: OciDescriptor[]
      annotations?: Record<string, string>
    }
    const predicateType = manifest.annotations?.[ANNOTATIONS.predicateType] ?? announced
    const layer = manifest.layers?.find((l) => l.mediaType?.startsWith('application/vnd.dev.sigstore.bundle'))
    if (layer === undefined) {
      return {
        descriptor,
        predicateType,
        bundle: undefined,
        problem: 'the referrer manifest has no bundle layer',
      }
    }
    return { descriptor, predicateType, bundle: parseJson(await store.fetch(layer)) }
  } catch (error) {
    if (!isPolyshipError(error)) throw error
    return {
      descriptor,
      predicateType: announced,
      bundle: undefined,
      problem: `${error.code}: ${error.message}`,
    }
  }
}

/** Every Sigstore bundle attached to `subject`, with the predicate type its manifest announces. */
export async function readBundles(store: AttestationStore, subject: Digest): Promise<StoredBundle[]> {
  const descriptors = await store.list(subject, BUNDLE_V03_MEDIA_TYPE)
  return Promise.all(descriptors.map((descriptor) => readBundle(store, descriptor)))
}

/** Who signed a bundle, comparable across runs: the key hint, or the certificate's subject. */
function signerIdentity(bundle: unknown): string | undefined {
  const material = (bundle as { verificationMaterial?: Record<string, unknown> })?.verificationMaterial
  const hint = (material?.publicKey as { hint?: string } | undefined)?.hint
  if (hint) return `key:${hint}`
  const raw =
    (material?.certificate as { rawBytes?: string } | undefined)?.rawBytes ??
    (material?.x509CertificateChain as { certificates?: { rawBytes?: string }[] } | undefined)
      ?.certificates?.[0]?.rawBytes
  if (raw === undefined) return undefined
  return `cert:${new X509Certificate(Buffer.from(raw, 'base64')).subjectAltName}`
}

function payloadOf(bundle: unknown): string | undefined {
  return (bundle as { dsseEnvelope?: { payload?: string } })?.dsseEnvelope?.payload
}

export interface AttestedImage {
  readonly digest: Digest
  readonly signature: AttestationRef
  readonly sbom?: AttestationRef
  readonly spdx?: AttestationRef
  readonly provenance?: AttestationRef
}

export interface ImageAttestRequest {
  readonly sbom?: CycloneDxSbom
  /** Attached as a second SBOM attestation, predicate type https://spdx.dev/Document. */
  readonly spdx?: SpdxSbom
  readonly provenance?: Statement
  /** org.opencontainers.image.created of the referrer manifests; default: now. */
  readonly created?: Date
}

/**
 * Signs an image or chart manifest the way `cosign sign` does and attaches SBOM and
 * provenance the way `cosign attest` does, all as referrers of `subject`. Re-running adds
 * nothing when a referrer with the same statement from the same signer is already there
 * (for provenance: any provenance from the same signer, since it carries the run's times).
 */
export async function attestImage(
  subject: OciDescriptor,
  store: AttestationStore,
  signer: BundleSigner,
  request: ImageAttestRequest = {},
): Promise<AttestedImage> {
  const created = request.created ?? new Date()
  const statements: Statement[] = [cosignSignStatement(subject.digest)]
  if (request.sbom !== undefined) statements.push(sbomStatement(request.sbom, subject.digest))
  if (request.spdx !== undefined) statements.push(sbomStatement(request.spdx, subject.digest))
  if (request.provenance !== undefined) statements.push(request.provenance)
  const [existing, bundles] = await Promise.all([
    readBundles(store, subject.digest),
    Promise.all(statements.map((s) => signer.signStatement(s))),
  ])
  // Provenance records when its build ran, so its payload differs run to run: one per
  // signer is kept, or every re-run (and every resumed crash) would attach another.
  const present = statements.map((value, i) =>
    existing.find(
      (stored) =>
        stored.predicateType === value.predicateType &&
        (value.predicateType === PREDICATE_TYPES.slsaProvenance ||
          payloadOf(stored.bundle) === payloadOf(bundles[i])) &&
        signerIdentity(stored.bundle) === signerIdentity(bundles[i]),
    ),
  )
  const missing = statements.flatMap((value, i) =>
    present[i] === undefined ? [bundleReferrer(subject, bundles[i]!, value.predicateType, created)] : [],
  )
  // every missing referrer in one call: blobs pushed together, the fallback index written once
  const attached = [...(await store.attach(missing))]
  const refs = present.map((same): AttestationRef => {
    const digest = same?.descriptor.digest ?? attached.shift()!.digest
    return { location: `${store.location}@${digest}`, digest }
  })
  const [signature, ...rest] = refs as [AttestationRef, ...AttestationRef[]]
  const sbom = request.sbom === undefined ? undefined : rest.shift()
  const spdx = request.spdx === undefined ? undefined : rest.shift()
  const provenance = request.provenance === undefined ? undefined : rest.shift()
  return {
    digest: subject.digest,
    signature,
    ...(sbom === undefined ? {} : { sbom }),
    ...(spdx === undefined ? {} : { spdx }),
    ...(provenance === undefined ? {} : { provenance }),
  }
}
