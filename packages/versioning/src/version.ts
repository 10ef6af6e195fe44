import { writeFile } from 'node:fs/promises'
import { relative } from 'node:path'
import { type Reporter, silentReporter } from '@polyship/core'
import { withPlacedChangelogs } from './changelog.ts'
import { planManifestChanges } from './manifests/sync.ts'
import { type PendingRelease, readReleasePlanning } from './plan/read-plan.ts'

export type VersionResult =
  /** No changeset is pending: nothing was written (`changeset version` would exit 1; we succeed). */
  | { readonly status: 'nothing-pending' }
  | {
      readonly status: 'versioned'
      readonly releases: readonly PendingRelease[]
      /** Workspace-relative files written or deleted, sorted. */
      readonly files: readonly string[]
    }

export interface VersionOptions {
  readonly reporter?: Reporter
}

/**
 * `polyship version`: applies pending changesets (package.json versions, changelogs,
 * dependents, consumed changesets deleted), then writes each new version into the
 * project's native manifests. Every manifest edit is computed and validated first, so
 * bad input fails with a coded error before any file changes.
 */
export async function versionWorkspace(cwd: string, options: VersionOptions = {}): Promise<VersionResult> {
  const reporter = options.reporter ?? silentReporter
  const planning = await readReleasePlanning(cwd)
  if (!planning.pending) return { status: 'nothing-pending' }
  const changes = await planManifestChanges({
    root: planning.root,
    packages: planning.packages,
    releases: planning.releases,
    reporter,
  })
  // contextDir lets changesets resolve the default changelog generator from our own dependencies.
  const dirs = planning.packages.packages
    .filter((p) => planning.releases.some((r) => r.name === p.packageJson.name))
    .map((p) => p.dir)
  const { applyReleasePlan } = await import('@changesets/apply-release-plan')
  const touched = await withPlacedChangelogs(dirs, () =>
    applyReleasePlan(planning.plan, planning.packages, planning.config, undefined, import.meta.dirname),
  )
  for (const change of changes) await writeFile(change.file, change.after)
  for (const release of planning.releases) {
    reporter.emit({
      type: 'step',
      project: release.name,
      step: `version ${release.newVersion}`,
      status: 'done',
    })
  }
  const files = [...new Set([...touched, ...changes.map((c) => c.file)])]
    .map((file) => relative(planning.root, file).split('\\').join('/'))
    .sort()
  return { status: 'versioned', releases: planning.releases, files }
}

/** What `polyship status` shows: the pending releases and the changesets behind them. */
export interface ReleaseStatus {
  readonly pending: boolean
  readonly releases: readonly PendingRelease[]
  readonly changesets: readonly {
    readonly id: string
    readonly summary: string
    readonly releases: readonly { readonly name: string; readonly type: string }[]
  }[]
  readonly preMode?: string
}

/** Reads the pending release plan without writing anything. */
export async function releaseStatus(cwd: string): Promise<ReleaseStatus> {
  const planning = await readReleasePlanning(cwd)
  return {
    pending: planning.pending,
    releases: planning.releases,
    changesets: planning.changesets.map(({ id, summary, releases }) => ({ id, summary, releases })),
    ...(planning.preState === undefined
      ? {}
      : { preMode: `${planning.preState.mode} (${planning.preState.tag})` }),
  }
}
