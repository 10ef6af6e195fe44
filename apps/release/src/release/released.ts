import { type Project, run } from '@polyship/core'
import { releaseTag } from '@polyship/versioning'
import type { Env } from './context.ts'
import { previousRecord } from './record.ts'

/** A project version whose release tag is on another commit: released before, not part of this run. */
export interface ReleasedBefore {
  readonly project: string
  readonly version: string
  readonly tag: string
  readonly commit: string
  /** What says so: the git tag, or the release record of a local release. */
  readonly source: 'git tag' | 'release record'
}

/**
 * Versions the release record in `outDir` lists from another commit. A local release writes
 * no git tags (it publishes nothing outside the workspace), so its record says what was released.
 */
async function recordedBefore(outDir: string, head: string): Promise<Map<string, string>> {
  const record = await previousRecord(outDir)
  return new Map(
    (record?.projects ?? []).flatMap((p) => {
      const commit = p.commit ?? record?.commit
      return commit === undefined || commit === head ? [] : [[p.tag, commit] as const]
    }),
  )
}

/**
 * The selected versions already released from another commit: their git tag `<name>@<version>`
 * (a release writes it last, once everything is published) points elsewhere than HEAD, or the
 * local release record lists them from another commit. They are left out: rebuilt at another
 * commit their bytes differ, so they could only conflict with what was published. A tag on
 * HEAD is a re-run of this release and is reconciled.
 */
export async function releasedBefore(
  root: string,
  outDir: string,
  projects: readonly Project[],
  versionOf: (project: Project) => string,
  head: string,
  env: Env,
): Promise<ReleasedBefore[]> {
  if (head === '') return []
  const recorded = await recordedBefore(outDir, head)
  const { stdout } = await run(
    'git',
    ['for-each-ref', 'refs/tags', '--format=%(refname:strip=2) %(objectname) %(*objectname)'],
    { cwd: root, env },
  )
  const targets = new Map<string, string>()
  for (const line of stdout.split('\n')) {
    const [tag, object, peeled] = line.split(' ')
    if (tag && object) targets.set(tag, peeled || object)
  }
  return projects.flatMap((project) => {
    const version = versionOf(project)
    const tag = releaseTag(project.name, version)
    const tagged = targets.get(tag)
    const commit = tagged ?? recorded.get(tag)
    const source = tagged === undefined ? ('release record' as const) : ('git tag' as const)
    return commit === undefined || commit === head
      ? []
      : [{ project: project.name, version, tag, commit, source }]
  })
}
