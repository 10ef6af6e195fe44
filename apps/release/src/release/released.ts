import { existsSync } from 'node:fs'
import { realpath } from 'node:fs/promises'
import { isAbsolute, join, relative, sep } from 'node:path'
import {
  CoreError,
  type FormatName,
  type Project,
  type ReleaseRecord,
  redact,
  run,
  type Workspace,
} from '@polyship/core'
import { goModuleTag, releaseTag } from '@polyship/versioning/tags'
import {
  type Destinations,
  describeDestination,
  describeNpmDestination,
  resolveDestinations,
} from '../destinations.ts'
import type { Env } from './context.ts'
import { previousRecord } from './record.ts'

/** A project version already released, from another commit, to every destination this run would send it to. */
export interface ReleasedBefore {
  readonly project: string
  readonly version: string
  readonly tag: string
  readonly commit: string
  /** What says so: the git tag, or the release record of a local release. */
  readonly source: 'git tag' | 'release record'
  /** Where it went, as the record keeps destinations (absent when only a git tag says so). */
  readonly destinations?: readonly string[]
}

/**
 * Where a run sends a project's artifacts, one `<format>=<destination>` per format it
 * releases (`image=oci-layout:dist/oci`, `chart=ghcr.io/acme/charts`), credentials removed:
 * what the release record keeps per project, and what "released" is judged against.
 */
export function projectDestinations(
  project: Project,
  destinations: Destinations,
  skip: ReadonlySet<FormatName> = new Set(),
): string[] {
  const { binary, wheel, image, chart, npm } = project.config
  const keys: string[] = []
  const add = (format: FormatName, configured: unknown, where: string) => {
    if (configured !== undefined && !skip.has(format)) keys.push(`${format}=${redact(where)}`)
  }
  add('binary', binary, describeDestination(destinations.files))
  add('wheel', wheel, describeDestination(destinations.wheels))
  add('npm', npm, describeNpmDestination(destinations.npm))
  add('image', image, describeDestination(destinations.images))
  add('chart', chart, describeDestination(destinations.charts))
  return keys.sort()
}

/**
 * The record of earlier releases in `outDir`, or undefined when there is none. A truncated
 * or torn one is RECORD_INVALID (core's reading says which), with the way out of a release:
 * rewriting it is what the release would do, so the hint is to move it aside first.
 */
export async function releaseRecordOf(outDir: string): Promise<ReleaseRecord | undefined> {
  try {
    return await previousRecord(outDir)
  } catch (error) {
    if (!(error instanceof CoreError) || error.code !== 'RECORD_INVALID') throw error
    const file = join(outDir, 'release.json')
    throw new CoreError('RECORD_INVALID', error.message, {
      hint: `polyship cannot tell from it what was released: move it aside (mv ${file} ${file}.broken) and run polyship release again; every destination is asked what it holds, and what it holds identical is kept, not published again`,
      cause: error,
    })
  }
}

/** Destinations inside the workspace (dist/): a release to them writes no git tag. */
function isEmbedded(key: string): boolean {
  const where = key.slice(key.indexOf('=') + 1)
  return /^(oci-layout|simple-index|dir|npm-dir):/.test(where)
}

/** The record's destinations of a released version, merged with this run's: what the record keeps. */
export function recordedDestinations(
  previous: ReleaseRecord | undefined,
  tag: string,
  now: readonly string[],
): string[] {
  const before = previous?.projects.find((p) => p.tag === tag)?.destinations ?? []
  return [...new Set([...before, ...now])].sort()
}

/** Every tag of the repository at `root` and the commit it points at (annotated tags peeled): one `git for-each-ref`. */
export async function gitTags(root: string, env: Env): Promise<ReadonlyMap<string, string>> {
  const { stdout } = await run(
    'git',
    ['for-each-ref', 'refs/tags', '--format=%(refname:strip=2) %(objectname) %(*objectname)'],
    { cwd: root, env },
  )
  const tags = new Map<string, string>()
  for (const line of stdout.split('\n')) {
    const [tag, object, peeled] = line.split(' ')
    if (tag && object) tags.set(tag, peeled || object)
  }
  return tags
}

export interface ReleasedOptions {
  readonly root: string
  readonly outDir: string
  readonly head: string
  readonly env: Env
  readonly versionOf: (project: Project) => string
  /** Where this run would send each project (`projectDestinations`). */
  readonly destinationsOf: (project: Project) => readonly string[]
  /** The repository's tags (`gitTags`), when the run has read them already. */
  readonly tags?: ReadonlyMap<string, string>
}

/**
 * The selected versions already released, from another commit, to every destination this
 * run would send them to. They are left out: rebuilt from changed sources their bytes differ,
 * so they could only conflict with what was published. A release is judged by its
 * destinations: the release record says where each version went; without an entry (a fresh
 * CI checkout), the git tag `<name>@<version>` (written once a release that leaves the
 * workspace is published) stands for its outside destinations, never for dist/. A version
 * released to dist/ is not released to a registry, and a record or tag of HEAD is a re-run
 * of this release, which is reconciled.
 */
export async function releasedBefore(
  projects: readonly Project[],
  options: ReleasedOptions,
): Promise<ReleasedBefore[]> {
  const { root, head, env } = options
  if (head === '') return []
  const record = await releaseRecordOf(options.outDir)
  const tags = options.tags ?? (await gitTags(root, env))
  return projects.flatMap((project): ReleasedBefore[] => {
    const version = options.versionOf(project)
    const tag = releaseTag(project.name, version)
    const wanted = options.destinationsOf(project)
    if (wanted.length === 0) return []
    const entry = record?.projects.find((p) => p.tag === tag)
    const recordCommit = entry?.commit ?? record?.commit
    if (entry !== undefined && recordCommit !== undefined) {
      if (recordCommit === head) return []
      const covered =
        entry.destinations === undefined
          ? wanted.every(isEmbedded) // records without destinations were only trusted for dist/
          : wanted.every((d) => entry.destinations!.includes(d))
      const tagged = tags.get(tag)
      if (covered && tagged !== undefined && tagged !== head)
        return [{ project: project.name, version, tag, commit: tagged, source: 'git tag' }]
      if (covered) {
        const destinations = entry.destinations ?? wanted
        return [
          {
            project: project.name,
            version,
            tag,
            commit: recordCommit,
            source: 'release record',
            destinations,
          },
        ]
      }
      if (entry.destinations !== undefined) return []
    }
    const tagged = tags.get(tag)
    if (tagged === undefined || tagged === head || wanted.every(isEmbedded)) return []
    return [{ project: project.name, version, tag, commit: tagged, source: 'git tag' }]
  })
}

/** One project's release state, as `plan` and `status` show it and `release` acts on it. */
export interface ProjectReleaseState {
  readonly project: string
  readonly version: string
  readonly tag: string
  /** Where a release would send it (`projectDestinations`). */
  readonly destinations: readonly string[]
  /** Set when that version is already released there: `release` leaves it out. */
  readonly released?: ReleasedBefore
}

/**
 * Every project's release state, judged exactly as `polyship release` judges it (same
 * record, tags and destinations), without building anything: what `plan` and `status` show.
 */
export async function workspaceReleaseState(workspace: Workspace, env: Env): Promise<ProjectReleaseState[]> {
  const destinations = resolveDestinations(workspace.config)
  const out = workspace.config.outDir ?? 'dist'
  const outDir = isAbsolute(out) ? out : join(workspace.root, out)
  const head = await run('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], {
    cwd: workspace.root,
    env,
    timeoutMs: 60_000,
  }).then(
    (r) => r.stdout.trim(),
    (error: unknown) => {
      if (error instanceof CoreError) return '' // not a repository, or no commit yet
      throw error
    },
  )
  const destinationsOf = (project: Project) => projectDestinations(project, destinations)
  const released = await releasedBefore(workspace.projects, {
    root: workspace.root,
    outDir,
    head,
    env,
    versionOf: (project) => project.version,
    destinationsOf,
  })
  return workspace.projects.map((project) => {
    const found = released.find((r) => r.project === project.name)
    return {
      project: project.name,
      version: project.version,
      tag: releaseTag(project.name, project.version),
      destinations: destinationsOf(project),
      ...(found === undefined ? {} : { released: found }),
    }
  })
}

/**
 * The Go module tags of each release whose project directory holds a go.mod
 * (`services/foo/v1.2.0`, see `goModuleTag`), by project name: written beside
 * `<name>@<version>` so `go install <module>@v<version>` finds the version. A version Go
 * could not use (a major of 2 or more without the `/vN` module suffix) gets none.
 */
export async function goModuleTags(
  releases: readonly { readonly project: Project; readonly version: string }[],
  root: string,
  env: Env,
): Promise<Map<string, string[]>> {
  const tags = new Map<string, string[]>()
  const modules = releases.filter((r) => existsSync(join(r.project.root, 'go.mod')))
  if (modules.length === 0) return tags
  const top = (await run('git', ['rev-parse', '--show-toplevel'], { cwd: root, env })).stdout.trim()
  const repository = await realpath(top)
  for (const { project, version } of modules) {
    const mod = await (await import('@polyship/binary')).readGoModFile(join(project.root, 'go.mod'))
    const dir = relative(repository, await realpath(project.root))
      .split(sep)
      .join('/')
    const tag = goModuleTag(dir, mod.module, version)
    if (tag !== undefined) tags.set(project.name, [tag])
  }
  return tags
}
