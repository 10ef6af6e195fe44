import { isAbsolute, join, relative } from 'node:path'
import { readGitStamp } from '@polyship/binary'
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
import { snapshotVersion } from './selection.ts'

export type Env = Readonly<Record<string, string | undefined>>

/** Everything a release step needs, resolved once at the start of the run. */
export interface ReleaseContext {
  readonly workspace: Workspace
  /** Absolute output directory (`polyship.json` outDir, default `dist`). */
  readonly outDir: string
  /** Where build units land: `<outDir>/build`. */
  readonly buildDir: string
  readonly destinations: Destinations
  /** Environment of every tool, SOURCE_DATE_EPOCH included. */
  readonly env: Env
  readonly reporter: Reporter
  readonly commit: string
  /** Commit date, RFC 3339 UTC. */
  readonly date: string
  readonly sourceDateEpoch: number
  readonly snapshot: boolean
  readonly reuseUnits: boolean
  readonly skip: ReadonlySet<FormatName>
  /** `--platform`: build only these (split jobs). */
  readonly platforms?: readonly Platform[]
  /** The version a project is released at (a pre-release for --snapshot). */
  versionOf(project: Project): string
}

export interface ContextOptions {
  /** Reuse build units built from this commit (default true; `--no-cache` turns it off). */
  readonly reuseUnits?: boolean
  readonly snapshot?: boolean
  readonly skip?: readonly FormatName[]
  readonly platforms?: readonly Platform[]
}

/** Commit, date and SOURCE_DATE_EPOCH: from git when the workspace is a repository, else from the epoch alone. */
async function stamp(root: string, env: Env): Promise<{ commit: string; date: string; epoch: number }> {
  const explicit = env.SOURCE_DATE_EPOCH ? sourceDateEpoch(env) : undefined
  try {
    const git = await readGitStamp(root, env)
    const epoch = explicit ?? git.epoch
    return { commit: git.commit, date: new Date(epoch * 1000).toISOString().replace(/\.000Z$/, 'Z'), epoch }
  } catch (error) {
    if (!(error instanceof CoreError) && !(error as { code?: string }).code?.startsWith('BINARY_'))
      throw error
    const epoch = explicit ?? 0
    return { commit: '', date: new Date(epoch * 1000).toISOString().replace(/\.000Z$/, 'Z'), epoch }
  }
}

/**
 * polyship deletes and rewrites what is under outDir (build/, staging/, ...), so outDir must
 * hold nothing it did not create: not the workspace root or a directory above it, and no
 * file git tracks (polyship's output is never committed). RELEASE_OUTDIR_INVALID otherwise,
 * before anything is written, --dry-run included.
 */
async function checkOutDir(root: string, outDir: string, env: Env): Promise<void> {
  const rel = relative(root, outDir)
  const fail = (why: string): never => {
    throw new ReleaseError('RELEASE_OUTDIR_INVALID', `polyship.json outDir "${rel || '.'}" ${why}`, {
      hint: 'point outDir at a directory of its own that git ignores, e.g. "dist"',
    })
  }
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    const above = relative(outDir, root)
    if (above === '' || !above.startsWith('..')) fail('is the workspace root or a directory above it')
  }
  const tracked = await run('git', ['ls-files', '--', outDir], { cwd: root, env, timeoutMs: 60_000 }).then(
    (r) => r.stdout.trim(),
    (error: unknown) => {
      if (error instanceof CoreError) return '' // not a git repository: nothing is tracked
      throw error
    },
  )
  if (tracked !== '')
    fail(
      `holds files git tracks (${tracked.split('\n').slice(0, 3).join(', ')}): polyship would delete or overwrite them`,
    )
}

export async function createContext(
  workspace: Workspace,
  options: ContextOptions,
  env: Env,
  reporter: Reporter,
): Promise<ReleaseContext> {
  const outDir = workspace.config.outDir ?? 'dist'
  const absoluteOut = isAbsolute(outDir) ? outDir : join(workspace.root, outDir)
  await checkOutDir(workspace.root, absoluteOut, env)
  const { commit, date, epoch } = await stamp(workspace.root, env)
  const snapshot = options.snapshot ?? false
  return {
    workspace,
    outDir: absoluteOut,
    buildDir: join(absoluteOut, 'build'),
    destinations: resolveDestinations(workspace.config),
    env: { ...env, SOURCE_DATE_EPOCH: String(epoch) },
    reporter,
    commit,
    date,
    sourceDateEpoch: epoch,
    snapshot,
    reuseUnits: options.reuseUnits ?? true,
    skip: new Set(options.skip ?? []),
    ...(options.platforms === undefined ? {} : { platforms: options.platforms }),
    versionOf: (project) => (snapshot ? snapshotVersion(project.version, commit) : project.version),
  }
}
