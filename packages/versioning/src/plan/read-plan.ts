import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { Config, NewChangeset, PreState, ReleasePlan } from '@changesets/types'
import type { Packages } from '@manypkg/get-packages'
import { VersioningError } from '../errors.ts'
import { isSemver } from '../semver.ts'
import { releaseTag } from '../tags.ts'

/** One project a pending release would bump. */
export interface PendingRelease {
  readonly name: string
  readonly type: 'major' | 'minor' | 'patch'
  readonly oldVersion: string
  readonly newVersion: string
  /** Workspace-relative directory, POSIX separators. */
  readonly dir: string
  /** Ids of the changesets asking for it; empty when it is bumped as a dependent. */
  readonly changesets: readonly string[]
  /** The git tag its release will carry (`<name>@<version>`). */
  readonly tag: string
}

/** Everything changesets knows about the pending release, read without writing anything. */
export interface ReleasePlanning {
  readonly root: string
  readonly packages: Packages
  readonly config: Config
  readonly changesets: readonly NewChangeset[]
  readonly preState: PreState | undefined
  readonly plan: ReleasePlan
  /** Releases that change a version, sorted by name. */
  readonly releases: readonly PendingRelease[]
  /** False when there is nothing to version (`changeset version` would exit 1). */
  readonly pending: boolean
}

// The changesets and manypkg modules are loaded where they are used: a command that only
// formats tags (plan's release state) never pays for them.

/**
 * Reads the pending release with the changesets 3 API (getPackages, readConfig,
 * readChangesets, readPreState, assembleReleasePlan) and turns every way it can fail
 * on user input into a coded error naming the file at fault.
 */
export async function readReleasePlanning(cwd: string): Promise<ReleasePlanning> {
  const packages = await readPackages(cwd)
  const root = packages.rootDir
  const config = await readChangesetsConfig(packages)
  const changesets = await readAllChangesets(root)
  checkProjectNames(changesets, packages)
  const preState = await readPre(root)
  const plan = await assemble(changesets, packages, config, preState)
  const dirs = new Map(packages.packages.map((p) => [p.packageJson.name, p.dir]))
  const releases = plan.releases
    .flatMap((release) =>
      release.type === 'none' || release.newVersion === undefined || release.oldVersion === undefined
        ? []
        : [
            {
              name: release.name,
              type: release.type,
              oldVersion: release.oldVersion,
              newVersion: release.newVersion,
              dir: relative(root, dirs.get(release.name) ?? root)
                .split('\\')
                .join('/'),
              changesets: release.changesets,
              tag: releaseTag(release.name, release.newVersion),
            },
          ],
    )
    .sort((a, b) => a.name.localeCompare(b.name))
  const pending = changesets.length > 0 || preState?.mode === 'exit'
  return { root, packages, config, changesets, preState, plan, releases, pending }
}

export async function readPackages(cwd: string): Promise<Packages> {
  let packages: Packages
  try {
    const { getPackages } = await import('@manypkg/get-packages')
    packages = await getPackages(cwd)
  } catch (cause) {
    throw new VersioningError(
      'VERSION_CONFIG_INVALID',
      `cannot read the workspace at ${cwd}: ${(cause as Error).message}`,
      {
        hint: 'run polyship inside a pnpm workspace (pnpm-workspace.yaml), or pass --cwd <workspace root>',
        cause,
      },
    )
  }
  for (const pkg of [...packages.packages, ...(packages.rootPackage ? [packages.rootPackage] : [])]) {
    const version: unknown = pkg.packageJson.version
    if (version !== undefined && !isSemver(version)) {
      throw new VersioningError(
        'VERSION_MANIFEST_INVALID',
        `${relative(packages.rootDir, join(pkg.dir, 'package.json'))}: version ${JSON.stringify(version)} is not SemVer`,
        { hint: 'write versions as MAJOR.MINOR.PATCH, e.g. "1.2.0" or "1.2.0-rc.1"' },
      )
    }
  }
  return packages
}

async function readChangesetsConfig(packages: Packages): Promise<Config> {
  const file = '.changeset/config.json'
  const { readConfig } = await import('@changesets/config')
  let result: Awaited<ReturnType<typeof readConfig>>
  try {
    result = await readConfig(packages.rootDir, packages)
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT'
    if (!missing && !(cause instanceof SyntaxError)) throw cause
    throw new VersioningError(
      'VERSION_CONFIG_INVALID',
      missing ? `${file} does not exist` : `${file}: not valid JSON (${(cause as Error).message})`,
      {
        hint: 'run `polyship init` (it writes .changeset/config.json with privatePackages: { version: true, tag: true })',
        cause,
      },
    )
  }
  if (result.errors !== undefined) {
    throw new VersioningError('VERSION_CONFIG_INVALID', `${file}: ${result.errors.join('; ')}`, {
      hint: 'fix the fields named above; see https://github.com/changesets/changesets/blob/main/docs/config-file-options.md',
    })
  }
  return result.config
}

async function readAllChangesets(root: string): Promise<NewChangeset[]> {
  try {
    const { readChangesets } = await import('@changesets/read')
    return await readChangesets(root)
  } catch (cause) {
    if ((cause as { cause?: NodeJS.ErrnoException }).cause?.code === 'ENOENT') {
      throw new VersioningError(
        'VERSION_CONFIG_INVALID',
        'there is no .changeset directory in this workspace',
        {
          hint: 'run `polyship init`, which creates .changeset/',
          cause,
        },
      )
    }
    const culprit = await findInvalidChangeset(root)
    if (culprit === undefined) throw cause
    throw new VersioningError('VERSION_CHANGESET_INVALID', `${culprit.file}: ${culprit.problem}`, {
      hint: 'a changeset starts with frontmatter mapping project names to bump types, e.g. ---\\n"time-server-go": minor\\n---',
      cause,
    })
  }
}

/** readChangesets fails without naming the file; parse each one again to find it. */
async function findInvalidChangeset(root: string): Promise<{ file: string; problem: string } | undefined> {
  const dir = join(root, '.changeset')
  const { parseChangesetFile } = await import('@changesets/parse')
  const names = [
    ...(await readdir(dir)),
    ...(await readdir(join(dir, 'pre')).catch(() => [])).map((n) => `pre/${n}`),
  ]
  for (const name of names.filter(
    (n) => n.endsWith('.md') && !/(^|\/)(README|AGENTS|CLAUDE|GEMINI)\.md$/i.test(n),
  )) {
    try {
      parseChangesetFile(await readFile(join(dir, name), 'utf8'))
    } catch (error) {
      const problem = (error as Error).message.split('\n').slice(0, 2).join(': ')
      return { file: `.changeset/${name}`, problem: problem.replace(/^could not parse changeset - /, '') }
    }
  }
  return undefined
}

function checkProjectNames(changesets: readonly NewChangeset[], packages: Packages): void {
  const known = new Set(packages.packages.map((p) => p.packageJson.name))
  for (const changeset of changesets) {
    for (const release of changeset.releases) {
      if (!known.has(release.name)) {
        throw new VersioningError(
          'VERSION_UNKNOWN_PROJECT',
          `.changeset/${changeset.id}.md names "${release.name}", which is not a project of this workspace`,
          { hint: `known projects: ${[...known].sort().join(', ')}` },
        )
      }
    }
  }
}

async function readPre(root: string): Promise<PreState | undefined> {
  try {
    const { readPreState } = await import('@changesets/pre')
    return await readPreState(root)
  } catch (cause) {
    if (!(cause instanceof SyntaxError)) throw cause
    throw new VersioningError(
      'VERSION_CONFIG_INVALID',
      `.changeset/pre.json: not valid JSON (${cause.message})`,
      {
        hint: 'restore it from git, or leave pre mode with `polyship changeset pre exit`',
        cause,
      },
    )
  }
}

async function assemble(
  changesets: NewChangeset[],
  packages: Packages,
  config: Config,
  preState: PreState | undefined,
): Promise<ReleasePlan> {
  const { assembleReleasePlan } = await import('@changesets/assemble-release-plan')
  try {
    return assembleReleasePlan(changesets, packages, config, preState)
  } catch (cause) {
    const message = (cause as Error).message
    if (!message.startsWith('Found mixed changeset')) throw cause
    throw new VersioningError('VERSION_CHANGESET_INVALID', message.split('\n').join('; '), {
      hint: 'a changeset cannot mix ignored and released projects; split it in two',
      cause,
    })
  }
}
