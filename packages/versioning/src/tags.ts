import { appendFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { parseSemver, run } from '@polyship/core'
import { VersioningError } from './errors.ts'

/** The git tag of one project's release: `<name>@<version>`, as changesets writes it. */
export function releaseTag(name: string, version: string): string {
  return `${name}@${version}`
}

/** Splits `<name>@<version>` (scoped names keep their leading `@`); undefined for other tags. */
export function parseReleaseTag(tag: string): { name: string; version: string } | undefined {
  const at = tag.lastIndexOf('@')
  if (at <= 0) return undefined
  return { name: tag.slice(0, at), version: tag.slice(at + 1) }
}

/**
 * The tag Go reads a module version from: `v<version>` for a module at the repository root,
 * `<dir>/v<version>` for one in a subdirectory (`services/foo/v1.2.0`), so that
 * `go install <module>@v<version>` resolves it. `moduleDir` is the module's directory
 * relative to the repository root (POSIX separators, `''` for the root), `modulePath` its
 * go.mod `module` line. A major-version subdirectory (`services/foo/v2` holding module
 * `.../foo/v2`) is tagged under its parent (`services/foo/v2.0.0`), as Go looks for it.
 * Undefined when Go could not use the tag: build metadata (`+build`), or a major version of
 * 2 or more on a module path without its `/vN` suffix (Go refuses those versions).
 */
export function goModuleTag(moduleDir: string, modulePath: string, version: string): string | undefined {
  const semver = parseSemver(version)
  if (semver === undefined || semver.build !== undefined) return undefined
  const major = Number(semver.major)
  const suffix = /\/v(\d+)$/.exec(modulePath)
  if (major >= 2 ? suffix?.[1] !== String(major) : suffix !== null) return undefined
  let dir = moduleDir.replace(/^\.\/?|\/$/g, '')
  if (suffix !== null && dir === `v${major}`) dir = ''
  else if (suffix !== null && dir.endsWith(`/v${major}`)) dir = dir.slice(0, -`/v${major}`.length)
  return dir === '' ? `v${version}` : `${dir}/v${version}`
}

export interface TagResult {
  /** Tags created by this call. */
  readonly created: readonly string[]
  /** Tags that already existed on the same commit: nothing to do. */
  readonly existing: readonly string[]
}

/**
 * Creates the release tags of `projects` on HEAD, last step of a release. Idempotent:
 * a tag already on HEAD is skipped, a tag on another commit is an error (versions are
 * immutable). With `outputFile` (changesets/action v2 passes `CHANGESETS_OUTPUT`), each
 * created tag is appended as `{"type":"git-tag","tag":...,"packageName":...}`, which is
 * how the action learns what to push and which GitHub releases to create.
 */
export async function createReleaseTags(
  root: string,
  projects: readonly {
    readonly name: string
    readonly version: string
    /** More tags of the same release (Go's `<module dir>/v<version>`, see `goModuleTag`). */
    readonly goTags?: readonly string[]
  }[],
  options: {
    readonly outputFile?: string
    /** Makes each tag an annotated tag signed with this: the armoured detached OpenPGP signature of the payload. */
    readonly sign?: TagSigner
    /** The environment of git for signed tags (its committer identity is the tagger). */
    readonly env?: Readonly<Record<string, string | undefined>>
  } = {},
): Promise<TagResult> {
  const head = (await run('git', ['rev-parse', 'HEAD'], { cwd: root })).stdout.trim()
  const created: string[] = []
  const existing: string[] = []
  const outputs: string[] = []
  for (const project of projects)
    for (const tag of [releaseTag(project.name, project.version), ...(project.goTags ?? [])]) {
      const target = await tagTarget(root, tag)
      if (target === head) {
        existing.push(tag)
        continue
      }
      if (target !== undefined) {
        throw new VersioningError(
          'VERSION_TAG_FAILED',
          `tag ${tag} already exists on commit ${target.slice(0, 12)}`,
          {
            hint: `versions are immutable: add a changeset to release ${project.name} under a new version`,
          },
        )
      }
      if (options.sign === undefined) await run('git', ['tag', tag, head], { cwd: root })
      else await createSignedTag(root, tag, head, options.sign, options.env)
      created.push(tag)
      if (tag === releaseTag(project.name, project.version)) outputs.push(tag)
    }
  // Only the release tags: changesets/action makes a GitHub release of each line.
  if (options.outputFile !== undefined && outputs.length > 0) {
    await mkdir(dirname(options.outputFile), { recursive: true })
    const lines = outputs.map((tag) => {
      const packageName = parseReleaseTag(tag)?.name ?? tag
      return `${JSON.stringify({ type: 'git-tag', tag, packageName })}\n`
    })
    await appendFile(options.outputFile, lines.join(''))
  }
  return { created, existing }
}

/** Signs a tag's payload: returns the armoured detached signature (`-----BEGIN PGP SIGNATURE-----`...). */
export type TagSigner = (payload: string) => Promise<string>

/**
 * Writes the annotated tag `tag` on `commit` signed the way `git tag -s` signs (the
 * signature appended to the tag object, so `git tag -v` checks it), with polyship's signer
 * instead of git running gpg, so the key's passphrase never goes through a pinentry.
 * `git update-ref` with an empty old value refuses a tag another process wrote meanwhile.
 */
async function createSignedTag(
  root: string,
  tag: string,
  commit: string,
  sign: TagSigner,
  env: Readonly<Record<string, string | undefined>> | undefined,
): Promise<void> {
  const git = { cwd: root, ...(env === undefined ? {} : { env }) }
  const tagger = (await run('git', ['var', 'GIT_COMMITTER_IDENT'], git)).stdout.trim()
  const payload = `object ${commit}\ntype commit\ntag ${tag}\ntagger ${tagger}\n\n${tag}\n`
  const signature = await sign(payload)
  const object = (await run('git', ['mktag'], { ...git, input: `${payload}${signature}` })).stdout.trim()
  await run('git', ['update-ref', `refs/tags/${tag}`, object, ''], git)
}

async function tagTarget(root: string, tag: string): Promise<string | undefined> {
  const { stdout } = await run('git', ['tag', '--list', tag, '--format=%(objectname) %(*objectname)'], {
    cwd: root,
  })
  const [object, peeled] = stdout.trim().split(' ')
  return object === undefined || object === '' ? undefined : peeled || object
}
