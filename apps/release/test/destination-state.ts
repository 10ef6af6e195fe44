import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { digestFile } from '@polyship/core'
import type { RegistryClient } from '@polyship/oci'

/** One repository as a registry client sees it: tags and, per tagged subject, its referrers. */
export interface RepositoryState {
  /** Every tag with the digest it points at, the `sha256-<hex>` referrer indexes included. */
  readonly tags: Readonly<Record<string, string>>
  /** Per release tag: the predicate types of the attestations attached to what it points at, sorted. */
  readonly attestations: Readonly<Record<string, readonly string[]>>
}

/** What the registry holds under each repository (an unknown repository holds nothing). */
export async function registryState(
  client: RegistryClient,
  repositories: readonly string[],
): Promise<Record<string, RepositoryState>> {
  const state: Record<string, RepositoryState> = {}
  for (const repository of repositories) {
    const store = client.repository(repository)
    const names = await store.listTags()
    const tags: Record<string, string> = {}
    const attestations: Record<string, string[]> = {}
    for (const tag of names.sort()) {
      const digest = (await store.resolve(tag))!.digest
      tags[tag] = digest
      if (tag.startsWith('sha256-')) continue // the referrers index of the subject named by the tag
      attestations[tag] = (await store.listReferrers(digest))
        .map((r) => r.annotations?.['dev.sigstore.bundle.predicateType'] ?? r.artifactType ?? '?')
        .sort()
    }
    state[repository] = { tags, attestations }
  }
  return state
}

/** The same state without the digests that change with every signature: referrer indexes. */
export function withoutSignatureDigests(
  state: Record<string, RepositoryState>,
): Record<string, RepositoryState> {
  return Object.fromEntries(
    Object.entries(state).map(([repository, { tags, attestations }]) => [
      repository,
      {
        tags: Object.fromEntries(
          Object.entries(tags).map(([tag, digest]) => [
            tag,
            tag.startsWith('sha256-') ? '(referrers)' : digest,
          ]),
        ),
        attestations,
      },
    ]),
  )
}

/**
 * The files of a directory tree (relative path -> sha256). Sigstore bundles hold fresh
 * signatures on every run, so with `bundles: 'names'` they count by name only.
 */
export async function treeState(
  dir: string,
  options: { readonly bundles?: 'digests' | 'names' } = {},
): Promise<Record<string, string>> {
  const state: Record<string, string> = {}
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return []
      throw error
    },
  )
  for (const entry of entries) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    const name = path.slice(dir.length + 1)
    state[name] =
      options.bundles === 'names' && /\.sigstore\.json$/.test(name)
        ? '(bundle)'
        : (await digestFile(path)).digest
  }
  return Object.fromEntries(Object.entries(state).sort(([a], [b]) => a.localeCompare(b)))
}
