import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Project } from '@polyship/core'
import { ReleaseError } from '../release/errors.ts'

/** The part of nx.json's `release` block that says which projects `nx release` versions and publishes. */
interface NxReleaseConfig {
  readonly projects?: string | readonly string[]
  readonly groups?: Readonly<Record<string, { readonly projects?: string | readonly string[] }>>
}

/** `*` within a path segment, `**` across segments, `?` one character: the globs nx release patterns use. */
function globRegExp(glob: string): RegExp {
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*'
      i++
    } else if (c === '*') source += '[^/]*'
    else if (c === '?') source += '[^/]'
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}

interface NxProject {
  readonly name: string
  /** Workspace-relative directory. */
  readonly dir: string
  readonly tags: readonly string[]
}

/** One nx release pattern (nx's `findMatchingProjects`): a name, a glob over names or directories, or `tag:<glob>`. */
function matches(pattern: string, project: NxProject): boolean {
  if (pattern === '*') return true
  if (pattern.startsWith('tag:')) {
    const tag = globRegExp(pattern.slice(4))
    return project.tags.some((t) => tag.test(t))
  }
  if (pattern === project.name || pattern === project.dir) return true
  const glob = globRegExp(pattern)
  return glob.test(project.name) || glob.test(project.dir)
}

/** The projects a list of nx release patterns selects; `!pattern` removes, as in nx. */
function selected(patterns: string | readonly string[], projects: readonly NxProject[]): NxProject[] {
  const list = typeof patterns === 'string' ? patterns.split(',').map((p) => p.trim()) : patterns
  const included = list.filter((p) => !p.startsWith('!'))
  const excluded = list.filter((p) => p.startsWith('!')).map((p) => p.slice(1))
  return projects.filter(
    (project) =>
      (included.length === 0 || included.some((p) => matches(p, project))) &&
      !excluded.some((p) => matches(p, project)),
  )
}

/** The Nx tags of a polyship project: package.json `nx.tags` and project.json `tags`. */
async function tagsOf(project: Project): Promise<string[]> {
  const read = async (file: string, pick: (json: Record<string, unknown>) => unknown) => {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    if (text === undefined) return []
    const value = pick(JSON.parse(text) as Record<string, unknown>)
    return Array.isArray(value) ? value.filter((t): t is string => typeof t === 'string') : []
  }
  return [
    ...(await read(project.manifestPath, (json) => (json.nx as { tags?: unknown } | undefined)?.tags)),
    ...(await read(join(project.root, 'project.json'), (json) => json.tags)),
  ]
}

/**
 * What `nx release` would version and publish among `projects`, from the `release` block of
 * `<root>/nx.json`: `release.groups`' projects when it has groups, else `release.projects`
 * (every project when absent). Empty without nx.json or a `release` block.
 */
export async function nxReleaseProjects(
  root: string,
  projects: readonly Project[],
): Promise<{ readonly file: string; readonly projects: readonly string[] }> {
  const file = join(root, 'nx.json')
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (text === undefined) return { file, projects: [] }
  let release: NxReleaseConfig | undefined
  try {
    release = (JSON.parse(text) as { release?: NxReleaseConfig }).release
  } catch (cause) {
    throw new ReleaseError('RELEASE_PROJECT_INVALID', `${file} is not valid JSON`, {
      hint: 'fix nx.json (nx itself cannot read it either)',
      cause,
    })
  }
  if (release === undefined || release === null) return { file, projects: [] }
  const nx = await Promise.all(
    projects.map(async (p) => ({ name: p.name, dir: p.dir, tags: await tagsOf(p) })),
  )
  const groups = Object.values(release.groups ?? {})
  const covered =
    groups.length > 0
      ? groups.flatMap((g) => selected(g.projects ?? '*', nx))
      : selected(release.projects ?? '*', nx)
  return { file, projects: [...new Set(covered.map((p) => p.name))].sort() }
}

/**
 * Refuses a release when nx.json's `release` block would also version and publish some of
 * `projects` with `nx release`: two tools bumping the same versions and publishing the same
 * packages race each other and tag twice. RELEASE_NX_OVERLAP names nx.json and the projects,
 * and how to give each project one release tool.
 */
export async function assertNoNxReleaseOverlap(root: string, projects: readonly Project[]): Promise<void> {
  const { file, projects: overlap } = await nxReleaseProjects(root, projects)
  if (overlap.length === 0) return
  const excluded = overlap.map((name) => `"!${name}"`).join(', ')
  throw new ReleaseError(
    'RELEASE_NX_OVERLAP',
    `${file} has a "release" block: nx release would also version and publish ${overlap.join(', ')}, which polyship releases`,
    {
      hint: `give each project one release tool: leave them out of nx release ("release": { "projects": ["*", ${excluded}] } in nx.json, or remove them from its groups), or remove the "release" block and let polyship version (changesets) and publish them`,
    },
  )
}
