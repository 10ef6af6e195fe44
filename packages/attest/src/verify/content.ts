import { type Digest, isPolyshipError } from '@polyship/core'
import {
  childrenOf,
  type Descriptor,
  isIndexMediaType,
  isManifestMediaType,
  OciError,
  type OciStore,
  type ParsedManifest,
  parseManifest,
} from '@polyship/oci'
import { AttestError } from '../errors.ts'
import type { CheckResult } from './checks.ts'

interface Problem {
  readonly code: string
  readonly reason: string
}

const short = (digest: Digest) => `${digest.slice(0, 19)}…`

function platformOf(descriptor: Descriptor): string | undefined {
  const p = descriptor.platform
  return p === undefined ? undefined : [p.os, p.architecture, p.variant].filter(Boolean).join('/')
}

/** A polyship error about one blob as a problem naming it; anything else (a bug) propagates. */
function problemOf(error: unknown, blob: Descriptor, what: string): Problem {
  if (!isPolyshipError(error)) throw error
  return {
    code: error.code,
    reason: `${what} ${blob.digest} (${blob.mediaType}, ${blob.size} bytes): ${error.message}`,
  }
}

/** Reads a stream to its end (the store's stream checks size and digest as it goes). */
async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let bytes = 0
  for await (const chunk of stream) bytes += (chunk as Uint8Array).length
  return bytes
}

/**
 * Fetches and re-hashes everything `subject` vouches for in `store`: the manifest or index
 * itself (digest and size against the descriptor), every child manifest of an index, and
 * every config and layer blob of every manifest, each streamed and checked against its
 * descriptor's digest and size. A missing blob is a failure. Blobs shared by several
 * manifests are checked once. Returns one `content` row when everything matches, else one
 * failed row per bad or missing blob, naming it (role, digest, media type) and the
 * artifact (`name` and `reference`).
 */
export async function verifyOciContent(
  store: OciStore,
  subject: Descriptor,
  options: { readonly name: string; readonly reference: string },
): Promise<CheckResult[]> {
  const problems: Problem[] = []
  const seen = new Set<Digest>()
  let manifests = 0
  let blobs = 0
  let bytes = 0

  /** `what` names the manifest in messages: `image index`, `linux/arm64 manifest of index sha256:…`. */
  const manifest = async (descriptor: Descriptor, what: string): Promise<void> => {
    if (seen.has(descriptor.digest)) return
    seen.add(descriptor.digest)
    let parsed: ParsedManifest
    try {
      const content = await store.getManifest(descriptor.digest)
      if (content.bytes.length !== descriptor.size) {
        throw new OciError(
          'OCI_SIZE_MISMATCH',
          `${store.location} holds ${content.bytes.length} bytes, its descriptor says ${descriptor.size}`,
        )
      }
      parsed = parseManifest(content.bytes, content.mediaType, `${store.location}@${descriptor.digest}`)
      manifests++
      bytes += content.bytes.length
    } catch (error) {
      problems.push(problemOf(error, descriptor, what))
      return
    }
    const label = `${parsed.kind === 'index' ? 'index' : what.split(' of ')[0]} ${short(descriptor.digest)}`
    for (const [i, child] of childrenOf(parsed).entries()) {
      if (isManifestMediaType(child.mediaType)) {
        await manifest(child, `${platformOf(child) ?? `entry ${i}`} manifest of ${label}`)
      } else if (parsed.kind === 'manifest') {
        await blob(child, `${i === 0 ? 'config' : `layer ${i}`} of ${label}`)
      } else {
        await blob(child, `entry ${i} of ${label}`)
      }
    }
  }

  const blob = async (descriptor: Descriptor, what: string): Promise<void> => {
    if (seen.has(descriptor.digest)) return
    seen.add(descriptor.digest)
    const foreign = descriptor.urls !== undefined && descriptor.urls.length > 0
    if (foreign && !(await store.hasBlob(descriptor.digest))) return // non-distributable: lives at its URLs
    try {
      bytes += await drain(await store.fetchBlob(descriptor))
      blobs++
    } catch (error) {
      problems.push(problemOf(error, descriptor, what))
    }
  }

  await manifest(subject, isIndexMediaType(subject.mediaType) ? 'image index' : 'manifest')
  if (problems.length === 0) {
    return [
      {
        artifact: options.name,
        check: 'content',
        status: 'passed',
        detail: `${manifests} manifest(s) and ${blobs} blob(s) re-hashed, ${bytes} bytes`,
      },
    ]
  }
  return problems.map((p) => ({
    artifact: options.name,
    check: 'content',
    status: 'failed',
    code: p.code,
    reason: `${options.reference}: ${p.reason}`,
  }))
}

/**
 * The version tag must point at the recorded manifest: a tag retargeted in a layout's
 * index.json or in a registry is a failure, so is a missing one.
 */
export async function verifyOciTag(
  store: OciStore,
  expected: { readonly tag: string; readonly digest: Digest; readonly name: string },
): Promise<CheckResult> {
  const { tag, digest, name } = expected
  const reference = `${store.location}:${tag}`
  try {
    const found = await store.resolve(tag)
    if (found?.digest === digest)
      return { artifact: name, check: 'tag', status: 'passed', detail: `${reference} → ${short(digest)}` }
    const error = new AttestError(
      'ATTEST_TAG_MISMATCH',
      found === undefined
        ? `${reference} does not exist; the release tagged ${digest}`
        : `${reference} points at ${found.digest}, the release tagged ${digest}`,
    )
    return { artifact: name, check: 'tag', status: 'failed', code: error.code, reason: error.message }
  } catch (error) {
    if (!isPolyshipError(error)) throw error
    return {
      artifact: name,
      check: 'tag',
      status: 'failed',
      code: error.code,
      reason: `${reference}: ${error.message}`,
    }
  }
}
