import { FORMATS, type FormatName, type Project } from '@polyship/core'
import { ReleaseError } from './errors.ts'

export interface Shard {
  readonly index: number
  readonly count: number
}

/** Parses `--shard i/N` (1-based). */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text)
  const index = Number(match?.[1])
  const count = Number(match?.[2])
  if (!match || count < 1 || index < 1 || index > count) {
    throw new ReleaseError('RELEASE_SHARD_INVALID', `--shard ${text} is not i/N with 1 <= i <= N`, {
      hint: 'e.g. --shard 1/3 in the first of three split jobs',
    })
  }
  return { index, count }
}

/** Parses `--skip image,wheel` against the known formats. */
export function parseFormats(text: string): FormatName[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  for (const name of names) {
    if (!(FORMATS as readonly string[]).includes(name)) {
      throw new ReleaseError('RELEASE_UNKNOWN_PROJECT', `--skip ${name}: unknown format`, {
        hint: `--skip takes formats (${FORMATS.join(', ')}); to leave out a project, use --exclude ${name}`,
      })
    }
  }
  return names as FormatName[]
}

/**
 * The projects a run works on: `--only` names, minus `--exclude` names (each must exist),
 * then the shard's share. Shards take projects round-robin in name order, so every runner
 * computes the same split.
 */
export function selectProjects(
  projects: readonly Project[],
  options: {
    readonly only?: readonly string[]
    readonly exclude?: readonly string[]
    readonly shard?: Shard
  },
): Project[] {
  const known = new Set(projects.map((p) => p.name))
  for (const [flag, names] of [
    ['--only', options.only],
    ['--exclude', options.exclude],
  ] as const) {
    for (const name of names ?? []) {
      if (!known.has(name)) {
        throw new ReleaseError(
          'RELEASE_UNKNOWN_PROJECT',
          `${flag} ${name}: no releasable project has that name`,
          {
            hint: `known projects: ${[...known].sort().join(', ')}`,
          },
        )
      }
    }
  }
  const only = options.only === undefined || options.only.length === 0 ? undefined : new Set(options.only)
  const excluded = new Set(options.exclude ?? [])
  const chosen = [...projects]
    .filter((p) => (only === undefined || only.has(p.name)) && !excluded.has(p.name))
    .sort((a, b) => a.name.localeCompare(b.name))
  if (chosen.length === 0 && projects.length > 0) {
    throw new ReleaseError('RELEASE_UNKNOWN_PROJECT', '--only and --exclude leave no project to release', {
      hint: `known projects: ${[...known].sort().join(', ')}`,
    })
  }
  const shard = options.shard
  return shard === undefined ? chosen : chosen.filter((_, i) => i % shard.count === shard.index - 1)
}

/** A pre-release version for `--snapshot`: `1.2.3-snapshot.<short sha>`, never published. */
export function snapshotVersion(version: string, commit: string): string {
  const base = version.split('+')[0]!.split('-')[0]!
  return `${base}-snapshot.${commit.slice(0, 12) || 'local'}`
}

/**
 * Whether a run compiles a project's binaries or wheels: when they are released, or when
 * its image is and is made of them (`--skip binary` leaves out archives, not the image's binaries).
 */
export function compilesFormat(
  project: Project,
  format: 'binary' | 'wheel',
  skip: ReadonlySet<FormatName>,
): boolean {
  if (project.config[format] === undefined) return false
  return !skip.has(format) || (project.config.image !== undefined && !skip.has('image'))
}
