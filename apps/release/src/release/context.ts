import { isAbsolute, join, relative } from 'node:path'
import {
  CoreError,
  type FormatName,
  type Platform,
  type Project,
  type Reporter,
  run,
  sourceDateEpoch,
  type Workspace,
} from '@polyship/core'
import { type Destinations, resolveDestinations } from '../destinations.ts'
import { ReleaseError } from './errors.ts'
import { inputClosure, projectInputs, rfc3339, type SourceStamp } from './inputs.ts'
import { snapshotVersion } from './selection.ts'
import { lastChanges } from './stamps.ts'

export type Env = Readonly<Record<string, string | undefined>>

/**
 * What the front of a run (released elsewhere? answered by the record?) needs: HEAD, the
 * destinations, the versions; no stamps and no check of outDir against git, which only a run
 * that builds or writes needs (`completeContext`).
 */
export interface FrontContext {
  readonly workspace: Workspace
  /** Absolute output directory (`polyship.json` outDir, default `dist`). */
  readonly outDir: string
  /** Where build units land: `<outDir>/build`. */
  readonly buildDir: string
  readonly destinations: Destinations
  /** The environment polyship runs in; tools building a project get `envOf(project)`. */
  readonly env: Env
  readonly reporter: Reporter
  /** The commit being released (HEAD): what provenance and the record name. */
  readonly commit: string
  /** HEAD's commit date (seconds): the stamp of inputs never committed. */
  readonly headEpoch?: number
  readonly snapshot: boolean
  readonly reuseUnits: boolean
  readonly skip: ReadonlySet<FormatName>
  /** `--platform`: build only these (split jobs). */
  readonly platforms?: readonly Platform[]
  /** The version a project is released at (a pre-release for --snapshot). */
  versionOf(project: Project): string
}

/** Everything a release step needs, resolved once before anything is built or written. */
export interface ReleaseContext extends FrontContext {
  /**
   * The projects stamps and source trees were read for: a run's selection and every project
   * its inputs come from (`build --only`); every workspace project when undefined (a release).
   */
  readonly scope?: readonly Project[]
  /**
   * When the project's inputs last changed (see `projectInputs`): the commit and date its
   * binaries carry and its SOURCE_DATE_EPOCH. A commit that touches nothing a project is
   * made from changes none of its bytes, so what was published under its version still matches.
   */
  stampOf(project: Project): SourceStamp
  /** `env` with the project's SOURCE_DATE_EPOCH: the environment of the tools building it. */
  envOf(project: Project): Env
}

export interface ContextOptions {
  /** Reuse build units built from this commit (default true; `--no-cache` turns it off). */
  readonly reuseUnits?: boolean
  readonly snapshot?: boolean
  readonly skip?: readonly FormatName[]
  readonly platforms?: readonly Platform[]
  /**
   * The projects the run works on (`build --only`): stamps and source trees are read for
   * them and the projects their inputs come from, so the run costs what they cost, not what
   * the workspace does. Default: every project.
   */
  readonly projects?: readonly Project[]
}

/**
 * HEAD and its date (one `git log -1`, asked here rather than through @polyship/binary, which
 * a run with nothing to build never loads), or undefined when the workspace is not a git
 * repository (or has no commit).
 */
async function readHead(root: string, env: Env): Promise<{ commit: string; epoch: number } | undefined> {
  const { stdout } = await run('git', ['log', '-1', '--format=%H %ct'], {
    cwd: root,
    env,
    timeoutMs: 60_000,
  }).catch((error: unknown) => {
    if (error instanceof CoreError) return { stdout: '' }
    throw error
  })
  const [commit, seconds] = stdout.trim().split(' ')
  return commit && seconds ? { commit, epoch: Number(seconds) } : undefined
}

/**
 * Every project's stamp: the last commit that changed its inputs, dated by that commit; the
 * user's SOURCE_DATE_EPOCH, when set, is every project's epoch. Inputs never committed
 * stamp as HEAD (or epoch 0 outside git).
 */
async function projectStamps(
  workspace: Workspace,
  projects: readonly Project[],
  head: { commit: string; epoch: number } | undefined,
  env: Env,
): Promise<Map<string, SourceStamp>> {
  const explicit = env.SOURCE_DATE_EPOCH ? sourceDateEpoch(env) : undefined
  const inputs = new Map<string, readonly string[]>()
  if (head !== undefined)
    for (const project of projects) inputs.set(project.name, await projectInputs(project, workspace))
  // each key's answer is its own `git log -1` (see lastChanges): the same whatever else is asked
  const changes = await lastChanges(workspace.root, inputs, env)
  const stamps = new Map<string, SourceStamp>()
  for (const project of projects) {
    const change = head === undefined ? undefined : (changes.get(project.name) ?? head)
    const epoch = explicit ?? change?.epoch ?? 0
    stamps.set(project.name, { commit: change?.commit ?? '', date: rfc3339(epoch), epoch })
  }
  return stamps
}

function outDirInvalid(root: string, outDir: string, why: string): ReleaseError {
  return new ReleaseError(
    'RELEASE_OUTDIR_INVALID',
    `polyship.json outDir "${relative(root, outDir) || '.'}" ${why}`,
    {
      hint: 'point outDir at a directory of its own that git ignores, e.g. "dist"',
    },
  )
}

/**
 * polyship deletes and rewrites what is under outDir (build/, staging/, ...), so outDir must
 * not be the workspace root or a directory above it (checked at once, no git asked: even the
 * record check's lock is written there), and must hold no file git tracks
 * (`checkOutDirUntracked`, before anything else is written). RELEASE_OUTDIR_INVALID otherwise,
 * --dry-run included.
 */
function checkOutDirPlace(root: string, outDir: string): void {
  const rel = relative(root, outDir)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    const above = relative(outDir, root)
    if (above === '' || !above.startsWith('..'))
      throw outDirInvalid(root, outDir, 'is the workspace root or a directory above it')
  }
}

/** RELEASE_OUTDIR_INVALID when git tracks a file under outDir: polyship's output is never committed. */
export async function checkOutDirUntracked(root: string, outDir: string, env: Env): Promise<void> {
  const tracked = await run('git', ['ls-files', '--', outDir], { cwd: root, env, timeoutMs: 60_000 }).then(
    (r) => r.stdout.trim(),
    (error: unknown) => {
      if (error instanceof CoreError) return '' // not a git repository: nothing is tracked
      throw error
    },
  )
  if (tracked !== '')
    throw outDirInvalid(
      root,
      outDir,
      `holds files git tracks (${tracked.split('\n').slice(0, 3).join(', ')}): polyship would delete or overwrite them`,
    )
}

/**
 * The front of a run's context: outDir (placed, not yet checked against git), HEAD (one
 * `git log -1`), destinations and versions. Enough to learn that nothing is left to release.
 */
export async function openContext(
  workspace: Workspace,
  options: Omit<ContextOptions, 'projects'>,
  env: Env,
  reporter: Reporter,
): Promise<FrontContext> {
  const outDir = workspace.config.outDir ?? 'dist'
  const absoluteOut = isAbsolute(outDir) ? outDir : join(workspace.root, outDir)
  checkOutDirPlace(workspace.root, absoluteOut)
  const head = await readHead(workspace.root, env)
  const commit = head?.commit ?? ''
  const snapshot = options.snapshot ?? false
  return {
    workspace,
    outDir: absoluteOut,
    buildDir: join(absoluteOut, 'build'),
    destinations: resolveDestinations(workspace.config),
    env,
    reporter,
    commit,
    ...(head === undefined ? {} : { headEpoch: head.epoch }),
    snapshot,
    reuseUnits: options.reuseUnits ?? true,
    skip: new Set(options.skip ?? []),
    ...(options.platforms === undefined ? {} : { platforms: options.platforms }),
    versionOf: (project) => (snapshot ? snapshotVersion(project.version, commit) : project.version),
  }
}

/**
 * `front` made ready to build and write: outDir checked against git (no tracked file under
 * it) and the stamps of `projects` and what they are made from (default: every project).
 */
export async function completeContext(
  front: FrontContext,
  projects?: readonly Project[],
): Promise<ReleaseContext> {
  const { workspace, env } = front
  await checkOutDirUntracked(workspace.root, front.outDir, env)
  const head = front.commit === '' ? undefined : { commit: front.commit, epoch: front.headEpoch ?? 0 }
  const scope = projects === undefined ? undefined : await inputClosure(projects, workspace)
  const stamps = await projectStamps(workspace, scope ?? workspace.projects, head, env)
  const stampOf = (project: Project): SourceStamp => {
    const stamp = stamps.get(project.name)
    if (stamp === undefined)
      throw new Error(`no source stamp for ${project.name}${scope === undefined ? '' : ' (not in the run)'}`)
    return stamp
  }
  return {
    ...front,
    ...(scope === undefined ? {} : { scope }),
    stampOf,
    envOf: (project) => ({ ...env, SOURCE_DATE_EPOCH: String(stampOf(project).epoch) }),
  }
}

/** `openContext` then `completeContext`: the context of a run that builds. */
export async function createContext(
  workspace: Workspace,
  options: ContextOptions,
  env: Env,
  reporter: Reporter,
): Promise<ReleaseContext> {
  return completeContext(await openContext(workspace, options, env, reporter), options.projects)
}
