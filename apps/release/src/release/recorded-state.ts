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
import { releaseTag } from '@polyship/versioning'
import type { Env, ReleaseContext } from './context.ts'
import { projectInputs } from './inputs.ts'
import { acquireLock, lockFile } from './lock.ts'
import type { Finding } from './reconcile.ts'
import { signedRecord } from './record.ts'
import { releaseRecordOf } from './released.ts'
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
 * Only destinations inside the workspace (dist/) are answered so: a registry, PyPI, npm
 * or a GitHub release is asked by the whole release. Projects with npm, MCP or extra image
 * tags, and workspaces with GPG signing or a vulnerability gate, are never answered so.
 */
export interface RecordedState {
  /** Projects the record answers for: their findings, every one unchanged. */
  readonly unchanged: ReadonlyMap<string, readonly Finding[]>
}

export interface RecordedStateOptions {
  readonly workspace: Workspace
  readonly outDir: string
  readonly head: string
  readonly env: Env
  readonly versionOf: (project: Project) => string
  readonly destinationsOf: (project: Project) => readonly string[]
}

/** Destinations inside the workspace: `dir:`, `oci-layout:`, `simple-index:` (what a stat can answer). */
const LOCAL_DESTINATION = /^(binary|wheel|image|chart)=(oci-layout|simple-index|dir):/

const ATTESTATIONS = ['signature', 'sbom', 'spdx', 'provenance'] as const

function eligible(project: Project): boolean {
  const { npm, mcp, image } = project.config
  return npm === undefined && mcp === undefined && (image?.tags ?? []).length === 0
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

/** The finding a whole re-run would report for an artifact the destination holds. */
function unchangedFinding(artifact: RecordedArtifact): Finding {
  const tagged = artifact.kind === 'image-index' || artifact.kind === 'chart'
  return {
    project: artifact.project,
    kind: artifact.kind === 'image-index' ? 'image' : artifact.kind,
    artifact: tagged ? `${artifact.name}:${versionTag(artifact.version)}` : artifact.name,
    state: { status: 'unchanged', location: artifact.locations[0] ?? '', digest: artifact.digest },
  }
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
  const top = (await run('git', ['rev-parse', '--show-prefix'], { cwd: root, env })).stdout.trim()
  const files = stdout
    .split('\0')
    .filter((entry) => entry.length > 3)
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
  const candidates: { project: Project; artifacts: RecordedArtifact[]; inputs: readonly string[] }[] = []
  for (const project of projects) {
    if (!eligible(project)) continue
    const version = options.versionOf(project)
    const tag = releaseTag(project.name, version)
    const entry = record.projects.find((p) => p.tag === tag)
    if ((entry?.commit ?? record.commit) !== options.head || entry?.destinations === undefined) continue
    const wanted = options.destinationsOf(project)
    if (wanted.length === 0 || !wanted.every((d) => LOCAL_DESTINATION.test(d))) continue
    if ([...wanted].sort().join('\n') !== [...entry.destinations].sort().join('\n')) continue
    const artifacts = record.artifacts.filter((a) => a.project === project.name && a.version === version)
    if (artifacts.length === 0) continue
    candidates.push({ project, artifacts, inputs: [] })
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
  const read = fileCache()
  for (const { project, artifacts } of candidates) {
    if (changed.has(project.name)) continue
    let all = true
    for (const artifact of artifacts) {
      const tagged = artifact.kind === 'image-index' || artifact.kind === 'chart'
      const main = {
        digest: artifact.digest,
        size: artifact.size,
        ...(tagged ? { tag: versionTag(artifact.version) } : {}),
      }
      const location = artifact.locations[0]
      const refs = ATTESTATIONS.flatMap((k): AttestationRef[] => {
        const ref = artifact[k]
        return ref === undefined ? [] : [ref]
      })
      const present =
        location !== undefined &&
        artifact.locations.length === 1 &&
        (await holds(location, main, options.outDir, read)) &&
        (artifact.kind !== 'wheel' && artifact.kind !== 'sdist'
          ? true
          : await listed(artifact, location, options.outDir, read))
      if (!present) {
        all = false
        break
      }
      for (const ref of refs) {
        if (!(await holds(ref.location, { digest: ref.digest }, options.outDir, read))) {
          all = false
          break
        }
      }
      if (!all) break
    }
    if (all) unchanged.set(project.name, artifacts.map(unchangedFinding))
  }
  return { unchanged }
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
  context: ReleaseContext,
  destinationsOf: (project: Project) => readonly string[],
): Promise<
  | {
      readonly unchanged: ReadonlyMap<string, readonly Finding[]>
      readonly findings: readonly Finding[]
      readonly signing: Awaited<ReturnType<typeof releaseSigner>>
      readonly summary: ReleaseSummary
    }
  | undefined
> {
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
      destinationsOf,
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
