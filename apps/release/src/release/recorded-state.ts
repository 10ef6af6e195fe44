import { readFile, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative } from 'node:path'
import {
  type AttestationRef,
  CoreError,
  type Project,
  type RecordedArtifact,
  type ReleaseRecord,
  ROOT_CONFIG_FILE,
  run,
  type Workspace,
} from '@polyship/core'
import { versionTag } from '@polyship/oci'
import { releaseTag } from '@polyship/versioning/tags'
import { type Destinations, publishesOutside } from '../destinations.ts'
import { unitName } from './build-unit.ts'
import type { Env, FrontContext } from './context.ts'
import { projectInputs } from './inputs.ts'
import { acquireLock, lockFile } from './lock.ts'
import type { Finding } from './reconcile.ts'
import { signedRecord } from './record.ts'
import {
  inNpmRegistry,
  inRegistry,
  onIndex,
  REGISTRY_LOCATION,
  type Remote,
  remoteDestinations,
  unanswered,
} from './recorded-remote.ts'
import { gitTags, type ReleasedOptions, releaseRecordOf } from './released.ts'
import type { ReleaseOptions, ReleaseSummary } from './run.ts'
import { releaseSigner } from './signing.ts'

/**
 * A re-run of the release of HEAD answered from its record, without building, assembling
 * or signing anything: for each project whose record entry is this commit's, sent to the
 * destinations this run would send it to, with none of its inputs (nor polyship.json)
 * changed since that commit, the destinations are asked cheaply whether they still hold every artifact the
 * record lists (a stat and the size of a local file, the tag and blobs of an OCI layout,
 * the link and its digest on a package index page). What answers "all there" is unchanged;
 * every other project goes through the whole release, which publishes what is missing.
 *
 * Destinations inside the workspace (dist/) are asked with a stat; an OCI registry with one
 * HEAD of the version tag per image or chart (it must resolve to the recorded digest) and
 * one listing of its referrers (every recorded attestation among them); a remote package
 * index with one read of the project's simple-API page (every file with its recorded
 * sha256); an npm registry with one read of the package's packument (the tarball this commit
 * packed, still in the build directory with the recorded sha256, is `unchanged` there as the
 * release reconciles it, and no dist-tag would move). Where the release tags commits (it leaves the workspace), the project's git tags
 * must point at HEAD. A destination that cannot be asked (network, 401) answers "not all
 * there": the whole release asks it again, and refuses or publishes as it does. GitHub
 * releases are asked by the whole release. Projects with MCP or extra image tags, and workspaces with GPG signing or a vulnerability gate, are never answered so.
 */
export interface RecordedState {
  /** Projects the record answers for: their findings, every one unchanged. */
  readonly unchanged: ReadonlyMap<string, readonly Finding[]>
}

export interface RecordedStateOptions extends Omit<ReleasedOptions, 'root'> {
  readonly workspace: Workspace
  /** The run's destinations: registries and remote indexes are asked through them. */
  readonly destinations: Destinations
  readonly reporter: FrontContext['reporter']
  /** Where the units are built (`<outDir>/build`): an npm package's packed tarball is read there. */
  readonly buildDir: string
}

/**
 * Destinations the record can answer for: files in a directory, images and charts in an OCI
 * layout or a registry, wheels in a simple-index directory or a remote index, npm packages
 * in a tarball directory or a registry (not GitHub releases).
 */
const ANSWERABLE_DESTINATION = /^(binary=dir:|wheel=|image=|chart=|npm=)/

const ATTESTATIONS = ['signature', 'sbom', 'spdx', 'provenance'] as const

function attestationsOf(artifact: RecordedArtifact): AttestationRef[] {
  return ATTESTATIONS.flatMap((k): AttestationRef[] => {
    const ref = artifact[k]
    return ref === undefined ? [] : [ref]
  })
}

function eligible(project: Project): boolean {
  const { mcp, image } = project.config
  return mcp === undefined && (image?.tags ?? []).length === 0
}

/** Reads each file once, undefined when absent. */
function fileCache() {
  const texts = new Map<string, Promise<string | undefined>>()
  return (path: string) => {
    let text = texts.get(path)
    if (text === undefined) {
      text = readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined
        throw error
      })
      texts.set(path, text)
    }
    return text
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then(
    (s) => (s.isFile() ? s.size : undefined),
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined
      throw error
    },
  )
}

const LAYOUT = /^oci-layout:(.+)@(sha256:[0-9a-f]{64})$/

interface LayoutIndex {
  readonly manifests?: readonly {
    readonly digest?: string
    readonly annotations?: Readonly<Record<string, string>>
  }[]
}

/** Whether what `location` names is there, as the record says (`size` and `tag` for the artifact itself). */
async function holds(
  location: string,
  expected: { readonly digest: string; readonly size?: number; readonly tag?: string },
  recordDir: string,
  read: (path: string) => Promise<string | undefined>,
): Promise<boolean> {
  const layout = LAYOUT.exec(location)
  if (layout !== null) {
    const [, dir = '', digest = ''] = layout
    if (digest !== expected.digest) return false
    const base = isAbsolute(dir) ? dir : join(recordDir, dir)
    const size = await sizeOf(join(base, 'blobs', 'sha256', digest.slice('sha256:'.length)))
    if (size === undefined || (expected.size !== undefined && size !== expected.size)) return false
    if (expected.tag === undefined) return true
    const text = await read(join(base, 'index.json'))
    if (text === undefined) return false
    const index = JSON.parse(text) as LayoutIndex
    return (index.manifests ?? []).some(
      (m) => m.digest === digest && m.annotations?.['org.opencontainers.image.ref.name'] === expected.tag,
    )
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return false // a URL: the whole release asks it
  const path = isAbsolute(location) ? location : join(recordDir, location)
  const size = await sizeOf(path)
  if (size === undefined || (expected.size !== undefined && size !== expected.size)) return false
  return true
}

/** A wheel or sdist on a simple-index page: its link with the recorded digest. */
async function listed(
  artifact: RecordedArtifact,
  location: string,
  recordDir: string,
  read: (path: string) => Promise<string | undefined>,
): Promise<boolean> {
  const path = isAbsolute(location) ? location : join(recordDir, location)
  const page = await read(join(dirname(path), 'index.html'))
  const href = `href="${basename(path)}#sha256=${artifact.digest.slice('sha256:'.length)}"`
  return page?.includes(href) ?? false
}

/**
 * The finding a whole re-run would report for an artifact the destination holds: an image or
 * chart in a registry is named under its destination (`app:1.0.0`) and located by its tag.
 */
function unchangedFinding(artifact: RecordedArtifact, destinations: Destinations): Finding {
  const tagged = artifact.kind === 'image-index' || artifact.kind === 'chart'
  const location = artifact.locations[0] ?? ''
  const destination = artifact.kind === 'chart' ? destinations.charts : destinations.images
  if (tagged && destination.type === 'registry' && REGISTRY_LOCATION.test(location)) {
    const under = `${destination.repository.replace(/\/+$/, '')}/`
    const tag = versionTag(artifact.version)
    const name = artifact.name.startsWith(under) ? artifact.name.slice(under.length) : artifact.name
    return {
      project: artifact.project,
      kind: artifact.kind === 'image-index' ? 'image' : artifact.kind,
      artifact: `${name}:${tag}`,
      state: { status: 'unchanged', location: `${artifact.name}:${tag}`, digest: artifact.digest },
    }
  }
  return {
    project: artifact.project,
    kind: artifact.kind === 'image-index' ? 'image' : artifact.kind,
    artifact: tagged ? `${artifact.name}:${versionTag(artifact.version)}` : artifact.name,
    state: { status: 'unchanged', location, digest: artifact.digest },
  }
}

/** The projects whose release tag (and Go module tags) do not all point at `head`. */
function untagged(
  entries: readonly { readonly name: string; readonly tags: readonly string[] }[],
  at: ReadonlyMap<string, string>,
  head: string,
): Set<string> {
  return new Set(entries.filter((e) => !e.tags.every((t) => at.get(t) === head)).map((e) => e.name))
}

/** The projects among `projects` with an input git sees changed since HEAD (one `git status`). */
async function changedInputs(
  projects: readonly { readonly project: Project; readonly inputs: readonly string[] }[],
  root: string,
  env: Env,
): Promise<Set<string>> {
  const specs = (inputs: readonly string[]) =>
    inputs
      .map((path) => relative(root, path).split('\\').join('/'))
      .filter((path) => !path.startsWith('..') && !isAbsolute(path))
      .map((path) => (path === '' ? '.' : path))
  // polyship.json shapes every artifact: changed since HEAD, no project is answered
  const config = specs([join(root, ROOT_CONFIG_FILE)])
  const union = [...new Set([...config, ...projects.flatMap((p) => specs(p.inputs))])].sort()
  const { stdout } = await run(
    'git',
    ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--', ...union],
    { cwd: root, env, timeoutMs: 120_000 },
  )
  const entries = stdout.split('\0').filter((entry) => entry.length > 3)
  if (entries.length === 0) return new Set() // nothing changed: no need to know where the workspace sits in the repository
  // porcelain paths are the repository's: the workspace's own start after its prefix
  const top = (await run('git', ['rev-parse', '--show-prefix'], { cwd: root, env })).stdout.trim()
  const files = entries
    .map((entry) => entry.slice(3))
    .map((file) => (top !== '' && file.startsWith(top) ? file.slice(top.length) : file))
  const changed = new Set<string>()
  if (files.some((file) => config.includes(file))) return new Set(projects.map((p) => p.project.name))
  for (const { project, inputs } of projects) {
    const mine = specs(inputs)
    if (files.some((file) => mine.some((s) => s === '.' || file === s || file.startsWith(`${s}/`))))
      changed.add(project.name)
  }
  return changed
}

/** Whether the destinations hold every one of a project's recorded artifacts and attestations. */
async function holdsAll(
  project: Project,
  artifacts: readonly RecordedArtifact[],
  options: RecordedStateOptions,
  read: (path: string) => Promise<string | undefined>,
  remote: Remote,
): Promise<boolean> {
  const distributions = artifacts.filter((a) => a.kind === 'wheel' || a.kind === 'sdist').map((a) => a.name)
  for (const artifact of artifacts) {
    const location = artifact.locations[0]
    if (location === undefined || artifact.locations.length !== 1) return false
    const tagged = artifact.kind === 'image-index' || artifact.kind === 'chart'
    const refs = attestationsOf(artifact)
    const destination = artifact.kind === 'chart' ? options.destinations.charts : options.destinations.images
    if (tagged && destination.type === 'registry') {
      const tag = versionTag(artifact.version)
      if (!(await inRegistry(location, { digest: artifact.digest, tag }, refs, remote))) return false
      continue
    }
    const distribution = artifact.kind === 'wheel' || artifact.kind === 'sdist'
    if (artifact.kind === 'npm' && options.destinations.npm.type === 'registry') {
      const stableTag = project.config.npm?.tag
      const packed = join(options.buildDir, unitName(project), 'npm', artifact.name)
      const found = await inNpmRegistry(
        artifact,
        packed,
        stableTag === undefined ? {} : { stableTag },
        remote,
      )
      if (!found) return false
    } else if (distribution && options.destinations.wheels.type === 'pypi') {
      if (!(await onIndex(artifact, distributions, remote))) return false
    } else {
      const main = {
        digest: artifact.digest,
        size: artifact.size,
        ...(tagged ? { tag: versionTag(artifact.version) } : {}),
      }
      if (!(await holds(location, main, options.outDir, read))) return false
      if (distribution && !(await listed(artifact, location, options.outDir, read))) return false
    }
    for (const ref of refs)
      if (!(await holds(ref.location, { digest: ref.digest }, options.outDir, read))) return false
  }
  return true
}

/**
 * The projects of `projects` the record of HEAD answers for (see `RecordedState`). `record`
 * must already be trusted: its signature checked by the caller.
 */
export async function recordedState(
  projects: readonly Project[],
  record: ReleaseRecord,
  options: RecordedStateOptions,
): Promise<RecordedState> {
  const unchanged = new Map<string, readonly Finding[]>()
  if (options.head === '') return { unchanged }
  const candidates: {
    project: Project
    artifacts: RecordedArtifact[]
    inputs: readonly string[]
    tags: readonly string[]
  }[] = []
  for (const project of projects) {
    if (!eligible(project)) continue
    const version = options.versionOf(project)
    const tag = releaseTag(project.name, version)
    const entry = record.projects.find((p) => p.tag === tag)
    if ((entry?.commit ?? record.commit) !== options.head || entry?.destinations === undefined) continue
    const wanted = options.destinationsOf(project)
    if (wanted.length === 0 || !wanted.every((d) => ANSWERABLE_DESTINATION.test(d))) continue
    if ([...wanted].sort().join('\n') !== [...entry.destinations].sort().join('\n')) continue
    const artifacts = record.artifacts.filter((a) => a.project === project.name && a.version === version)
    if (artifacts.length === 0) continue
    candidates.push({ project, artifacts, inputs: [], tags: [tag, ...(entry.goTags ?? [])] })
  }
  if (candidates.length === 0) return { unchanged }
  for (const candidate of candidates)
    candidate.inputs = await projectInputs(candidate.project, options.workspace)
  const changed = await changedInputs(candidates, options.workspace.root, options.env).catch(
    (error: unknown) => {
      if (error instanceof CoreError) return new Set(candidates.map((c) => c.project.name))
      throw error
    },
  )
  // where the release tags commits, a project whose tags are missing is tagged by the whole release
  if (publishesOutside(options.destinations, options.workspace.config)) {
    const missing = untagged(
      candidates
        .filter((c) => !changed.has(c.project.name))
        .map((c) => ({ name: c.project.name, tags: c.tags })),
      options.tags ?? (await gitTags(options.workspace.root, options.env)),
      options.head,
    )
    for (const name of missing) changed.add(name)
  }
  const read = fileCache()
  const remote = remoteDestinations(options)
  try {
    for (const { project, artifacts } of candidates) {
      if (changed.has(project.name)) continue
      const present = await holdsAll(project, artifacts, options, read, remote).catch((error: unknown) => {
        if (!unanswered(error, remote)) throw error
        options.reporter.emit({
          type: 'log',
          level: 'debug',
          message: `${project.name}: not answered from the release record (${error instanceof Error ? error.message : String(error)}): the whole release asks its destinations`,
        })
        return false
      })
      if (present)
        unchanged.set(
          project.name,
          artifacts.map((a) => unchangedFinding(a, options.destinations)),
        )
    }
  } finally {
    remote.close()
  }
  return { unchanged }
}

/** What the signed record answered in a re-run (`answeredByRecord`). */
export interface RecordAnswer {
  readonly unchanged: ReadonlyMap<string, readonly Finding[]>
  readonly findings: readonly Finding[]
  readonly signing: Awaited<ReturnType<typeof releaseSigner>>
  /** The run's when every project is answered. */
  readonly summary: ReleaseSummary
}

/**
 * The projects of a re-run of HEAD's release that its signed record answers for (see
 * `recordedState`): nothing of theirs is built, assembled or signed again. Only for a plain
 * publishing run (no dry run, snapshot, split, merge, --replace, --tags, --skip, --platform,
 * --no-cache), and never with GPG signing, a vulnerability gate or an MCP registry. The
 * record's signature is checked first (a record edited since is refused, as by a release).
 * `summary` is the run's when every project is answered: every artifact unchanged.
 */
export async function answeredByRecord(
  projects: readonly Project[],
  options: ReleaseOptions,
  context: FrontContext,
  run: Pick<RecordedStateOptions, 'destinationsOf' | 'tags'>,
): Promise<RecordAnswer | undefined> {
  const { workspace, env } = context
  const plain =
    !options.split &&
    !options.dryRun &&
    !context.snapshot &&
    options.merge === undefined &&
    !options.replace &&
    options.tags === undefined &&
    !options.noCache &&
    options.platforms === undefined &&
    context.skip.size === 0 &&
    options.skipScan !== true &&
    workspace.config.signing?.gpg === undefined &&
    workspace.config.scan === undefined &&
    workspace.config.destinations?.mcpRegistry === undefined
  if (!plain || projects.length === 0 || context.commit === '') return undefined
  const unsigned = await releaseRecordOf(context.outDir)
  if (
    unsigned === undefined ||
    !unsigned.projects.some((p) => (p.commit ?? unsigned.commit) === context.commit)
  )
    return undefined
  const signing = await releaseSigner(workspace, env)
  // under the release lock, as a whole release reads the record: never one a running release is rewriting
  const lock = await acquireLock(lockFile(context.outDir))
  let unchanged: ReadonlyMap<string, readonly Finding[]>
  let record: ReleaseRecord | undefined
  try {
    record = await signedRecord(context.outDir, signing.signer)
    if (record === undefined) return undefined
    ;({ unchanged } = await recordedState(projects, record, {
      workspace,
      outDir: context.outDir,
      head: context.commit,
      env,
      versionOf: context.versionOf,
      ...run,
      destinations: context.destinations,
      reporter: context.reporter,
      buildDir: context.buildDir,
    }))
  } finally {
    await lock.release()
  }
  for (const [name, found] of unchanged)
    context.reporter.emit({
      type: 'log',
      level: 'debug',
      message: `${name}: answered from the release record (built from this commit, unchanged since; all ${found.length} artifacts where it says): nothing rebuilt or signed`,
    })
  const findings = projects.flatMap((p) => unchanged.get(p.name) ?? [])
  const names = new Set(unchanged.keys())
  return {
    unchanged,
    findings,
    signing,
    summary: {
      status: 'released',
      findings,
      projects: record.projects.filter((p) => names.has(p.name)),
      artifacts: record.artifacts.filter((a) => names.has(a.project)),
      recordPath: join(context.outDir, 'release.json'),
      ...(signing.publicKey === undefined ? {} : { publicKey: signing.publicKey }),
    },
  }
}
