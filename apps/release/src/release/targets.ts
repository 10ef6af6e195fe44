import { readFile } from 'node:fs/promises'
import { isAbsolute, join, relative } from 'node:path'
import { type Digest, digestFile } from '@polyship/core'
import { insecureHostsOf, type OciStore, RegistryClient, repositoryStore } from '@polyship/oci'
import { indexFor, type PackageIndex } from '@polyship/wheel'
import { AssetDirectory } from '../publish/directory.ts'
import { changelogSection, type GitHubRelease, GitHubReleases } from '../publish/github.ts'
import type { PublishOutcome, Reconciliation } from '../publish/outcome.ts'
import type { ReleaseContext } from './context.ts'
import { ReleaseError } from './errors.ts'
import type { ProjectRelease } from './release-set.ts'

/** Where one project's release files go: an assets directory or a GitHub release. */
export interface FileTarget {
  reconcile(
    release: ProjectRelease,
    file: { readonly name: string; readonly digest: Digest },
  ): Promise<Reconciliation>
  publish(
    release: ProjectRelease,
    file: { readonly name: string; readonly path: string; readonly digest: Digest },
  ): Promise<PublishOutcome>
  /** A file the destination already holds (attestations of an unchanged artifact), or undefined. */
  existing(release: ProjectRelease, name: string): Promise<{ location: string; digest: Digest } | undefined>
  /** Called when every file of the project is there: publishes a GitHub draft. */
  finish(release: ProjectRelease): Promise<void>
  /** True for destinations outside the workspace (git tags are written for those). */
  readonly remote: boolean
}

export interface Targets {
  readonly client: RegistryClient
  imageStore(repository: string): OciStore
  chartStore(name: string): OciStore
  wheelIndex(): PackageIndex
  readonly files: FileTarget
  /** A location as the release record writes it: relative to the record's directory when local. */
  recordLocation(location: string): string
}

function assetDirectoryTarget(dir: string): FileTarget {
  const assets = new AssetDirectory(dir)
  return {
    remote: false,
    reconcile: (_, file) => assets.reconcile({ ...file, path: '' }),
    publish: (_, file) => assets.publish(file),
    async existing(_, name) {
      const location = join(dir, name)
      const found = await digestFile(location).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined
        throw error
      })
      return found === undefined ? undefined : { location, digest: found.digest }
    },
    finish: async () => {},
  }
}

function githubTarget(
  repository: string,
  context: ReleaseContext,
  options: { replace: boolean },
  tokenEnv = 'GITHUB_TOKEN',
): FileTarget {
  const token = context.env[tokenEnv]
  if (!token) {
    throw new ReleaseError(
      'RELEASE_CREDENTIALS_MISSING',
      `destinations.files is GitHub (${repository}) but ${tokenEnv} is not set`,
      {
        hint: `export ${tokenEnv} (in Actions: permissions contents: write, env GITHUB_TOKEN: \${{ secrets.GITHUB_TOKEN }})`,
      },
    )
  }
  const github = new GitHubReleases({
    repository,
    token,
    replace: options.replace,
    ...(context.env.GITHUB_API_URL ? { apiUrl: context.env.GITHUB_API_URL } : {}),
  })
  const drafts = new Map<string, Promise<GitHubRelease>>()
  const tagOf = (release: ProjectRelease) => `${release.project.name}@${release.version}`
  const draft = (release: ProjectRelease) => {
    const tag = tagOf(release)
    let pending = drafts.get(tag)
    if (pending === undefined) {
      pending = (async () => {
        const changelog = await readFile(join(release.project.root, 'CHANGELOG.md'), 'utf8').catch(() => '')
        return github.ensureDraft(tag, {
          name: `${release.project.name} ${release.version}`,
          body: changelogSection(changelog, release.version),
          prerelease: release.version.includes('-'),
          ...(context.commit ? { commitish: context.commit } : {}),
        })
      })()
      drafts.set(tag, pending)
    }
    return pending
  }
  return {
    remote: true,
    async reconcile(release, file) {
      const existing = await github.find(tagOf(release))
      if (existing === undefined)
        return { status: 'new', location: `${repository}@${tagOf(release)}#${file.name}` }
      return github.reconcile(existing, { ...file, path: '' })
    },
    async publish(release, file) {
      return github.upload(await draft(release), file)
    },
    async existing(release, name) {
      const found = await github.find(tagOf(release))
      const asset =
        found === undefined ? undefined : (await github.assets(found)).find((a) => a.name === name)
      return asset?.digest
        ? { location: `${found!.html_url}#${name}`, digest: asset.digest as Digest }
        : undefined
    },
    async finish(release) {
      await github.publish(await draft(release))
    },
  }
}

/** Opens every destination of the release once; registry connections and tokens are shared. */
export function openTargets(context: ReleaseContext, options: { replace: boolean }): Targets {
  const { destinations, workspace } = context
  const client = new RegistryClient({
    insecureHosts: insecureHostsOf([destinations.images, destinations.charts]),
  })
  const baseDir = workspace.root
  const files =
    destinations.files.type === 'directory'
      ? assetDirectoryTarget(
          isAbsolute(destinations.files.path)
            ? destinations.files.path
            : join(baseDir, destinations.files.path),
        )
      : githubTarget(destinations.files.repository, context, options, destinations.files.tokenEnv)
  return {
    client,
    imageStore: (repository) => repositoryStore(destinations.images, repository, { baseDir, client }),
    chartStore: (name) => repositoryStore(destinations.charts, name, { baseDir, client }),
    wheelIndex: () => indexFor(destinations.wheels, { root: baseDir, env: context.env }),
    files,
    recordLocation: (location) => (isAbsolute(location) ? relative(context.outDir, location) : location),
  }
}
