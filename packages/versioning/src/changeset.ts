import type { VersionType } from '@changesets/types'
import { VersioningError } from './errors.ts'
import { readPackages } from './plan/read-plan.ts'

export type BumpType = Exclude<VersionType, 'none'>

export interface ChangesetInput {
  readonly releases: readonly { readonly name: string; readonly type: BumpType }[]
  readonly summary: string
}

const BUMPS: readonly string[] = ['major', 'minor', 'patch']

/** Parses `name=patch` (the `--bump` flag); `name` alone means a patch. */
export function parseBump(text: string): { name: string; type: BumpType } {
  const at = text.lastIndexOf('=')
  const name = at === -1 ? text : text.slice(0, at)
  const type = at === -1 ? 'patch' : text.slice(at + 1)
  if (name === '' || !BUMPS.includes(type)) {
    throw new VersioningError(
      'VERSION_CHANGESET_INVALID',
      `--bump ${JSON.stringify(text)} is not <project>=major|minor|patch`,
      {
        hint: 'for example: --bump time-server-go=minor',
      },
    )
  }
  return { name, type: type as BumpType }
}

/**
 * Writes one changeset file without a prompt (what `changeset add` asks interactively),
 * after checking every project name against the workspace. Returns the new file's id.
 */
export async function addChangeset(cwd: string, input: ChangesetInput): Promise<string> {
  const packages = await readPackages(cwd)
  const known = new Set(packages.packages.map((p) => p.packageJson.name))
  for (const release of input.releases) {
    if (!known.has(release.name)) {
      throw new VersioningError(
        'VERSION_UNKNOWN_PROJECT',
        `"${release.name}" is not a project of this workspace`,
        {
          hint: `known projects: ${[...known].sort().join(', ')}`,
        },
      )
    }
  }
  if (input.releases.length > 0 && input.summary.trim() === '') {
    throw new VersioningError('VERSION_CHANGESET_INVALID', 'a changeset needs a summary for the changelog', {
      hint: 'pass -m "what changed"',
    })
  }
  const { writeChangeset } = await import('@changesets/write')
  return writeChangeset({ summary: input.summary, releases: [...input.releases] }, packages.rootDir)
}
