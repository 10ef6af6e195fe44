import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { TrustMaterial } from '@sigstore/verify'
import { trustMaterialFromJson } from './policy.ts'

export const PUBLIC_GOOD_TUF = 'https://tuf-repo-cdn.sigstore.dev'
const TARGET = 'trusted_root.json'

export interface PublicGoodTrust {
  readonly trustMaterial: TrustMaterial
  /** `tuf`: refreshed from the TUF repository now; `shipped`: the copy @sigstore/tuf ships, used offline. */
  readonly source: 'tuf' | 'shipped'
  /** Why the TUF refresh failed, when `source` is `shipped`. */
  readonly refreshError?: string
}

export interface PublicGoodOptions {
  /** Where TUF metadata is cached between runs (e.g. ~/.cache/polyship/sigstore-tuf). */
  readonly cachePath: string
  /** The TUF mirror (default Sigstore's public-good CDN). */
  readonly mirrorURL?: string
  /** Per-request timeout of the refresh (default 15 s). */
  readonly timeoutMs?: number
}

/**
 * The Sigstore public-good trust root, as `cosign verify` gets it: refreshed through TUF
 * (@sigstore/tuf verifies the metadata chain from the root it ships), cached between runs.
 * Air-gapped, the refresh fails and the trusted_root.json shipped inside @sigstore/tuf's
 * seeds is used instead, and the result says so; `--trusted-root` overrides both.
 */
export async function publicGoodTrust(options: PublicGoodOptions): Promise<PublicGoodTrust> {
  try {
    const { initTUF } = await import('@sigstore/tuf')
    const tuf = await initTUF({
      cachePath: options.cachePath,
      mirrorURL: options.mirrorURL ?? PUBLIC_GOOD_TUF,
      timeout: options.timeoutMs ?? 15_000,
      retry: false,
    })
    const text = await readFile(await tuf.getTarget(TARGET), 'utf8')
    return {
      trustMaterial: trustMaterialFromJson(JSON.parse(text), `${PUBLIC_GOOD_TUF}/${TARGET}`),
      source: 'tuf',
    }
  } catch (error) {
    const shipped = await shippedTrustedRoot()
    return {
      trustMaterial: trustMaterialFromJson(shipped.json, shipped.source),
      source: 'shipped',
      refreshError: (error as Error).message,
    }
  }
}

/** The trusted root in @sigstore/tuf's seeds.json (base64 under the public-good mirror's targets). */
async function shippedTrustedRoot(): Promise<{ json: unknown; source: string }> {
  const manifest = createRequire(import.meta.url).resolve('@sigstore/tuf/package.json')
  const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string }
  const seeds = JSON.parse(await readFile(join(dirname(manifest), 'seeds.json'), 'utf8')) as Record<
    string,
    { targets?: Record<string, string> }
  >
  const encoded = seeds[PUBLIC_GOOD_TUF]?.targets?.[TARGET]
  if (encoded === undefined) throw new Error(`@sigstore/tuf ${version} ships no ${TARGET}`)
  return {
    json: JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')),
    source: `the ${TARGET} shipped with @sigstore/tuf ${version}`,
  }
}
