import { constants } from 'node:fs'
import { copyFile, link, mkdir, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative } from 'node:path'
import { type Digest, digestFile, parseSemver } from '@polyship/core'
import { insecureHostsOf, type OciStore, RegistryClient, repositoryStore } from '@polyship/oci'
import { indexFor, type PackageIndex } from '@polyship/wheel'
import type { Destinations } from '../destinations.ts'
import { AssetDirectory } from '../publish/directory.ts'
import { changelogSection, type GitHubRelease, GitHubReleases } from '../publish/github.ts'
import type { PublishOutcome, Reconciliation } from '../publish/outcome.ts'
import type { ReleaseContext } from './context.ts'
import { assertCredentials, githubTokenEnv } from './credentials.ts'
import { type NpmTarget, npmTarget } from './npm-target.ts'
import type { ProjectRelease } from './release-set.ts'
import { type BeforeWrite, observedIndex, observedStore } from './writes.ts'

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
  readonly destinations: Destinations
  readonly client: RegistryClient
  imageStore(repository: string): OciStore
  chartStore(name: string): OciStore
  wheelIndex(): PackageIndex
  readonly files: FileTarget
  readonly npm: NpmTarget
  /**
   * A location as the release record writes it: relative to the record's directory when
   * local (`/abs/dist/assets/x` -> `assets/x`, `oci-layout:/abs/dist/oci/app@..` -> `oci-layout:oci/app@..`).
   */
  recordLocation(location: string): string
}

/**
 * Puts `source` at `target` without a second copy of its bytes where the filesystem allows:
 * a copy-on-write clone (btrfs, xfs, APFS: independent files), else a hard link, else a copy
 * (across filesystems, or where links are refused); through a temp name and a rename, so a
 * crash never leaves half a file. A hard link shares bytes, which is safe because every
 * polyship writer replaces a file (temp + rename) rather than writing into it: a rebuild of
 * `source` gets a new inode and `target` keeps its bytes. (A unit edited in place through
 * its asset no longer hashes to its build.json and is rebuilt.)
 */
export async function placeFile(source: string, target: string): Promise<'cloned' | 'linked' | 'copied'> {
  await mkdir(dirname(target), { recursive: true })
  const temp = join(dirname(target), `.${basename(target)}.partial`)
  await rm(temp, { force: true })
  const refused = (error: NodeJS.ErrnoException) =>
    ['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS', 'EINVAL'].includes(error.code ?? '')
  try {
    let how: 'cloned' | 'linked' | 'copied' = 'cloned'
    await copyFile(source, temp, constants.COPYFILE_FICLONE_FORCE).catch(
      async (error: NodeJS.ErrnoException) => {
        if (!refused(error)) throw error
        await rm(temp, { force: true })
        how = 'linked'
        await link(source, temp).catch(async (linkError: NodeJS.ErrnoException) => {
          if (!refused(linkError)) throw linkError
          how = 'copied'
          await copyFile(source, temp)
        })
      },
    )
    await rename(temp, target)
    return how
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

function assetDirectoryTarget(dir: string): FileTarget {
  const assets = new AssetDirectory(dir)
  return {
    remote: false,
    reconcile: (_, file) => assets.reconcile({ ...file, path: '' }),
    // A new asset shares the built file's bytes (one copy in dist/, not two); unchanged and
    // conflicting ones are the asset directory's to judge.
    async publish(_, file) {
      const state = await assets.reconcile(file)
      if (state.status !== 'new') return assets.publish(file)
      await placeFile(file.path, state.location)
      return { status: 'published', location: state.location, digest: file.digest }
    },
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

/**
 * Whether a GitHub release of `version` is marked a pre-release: SemVer with a pre-release
 * part (`1.0.0-rc.1`); build metadata is not one, even with a `-` in it (`1.0.0+build-7`).
 */
export function isPrerelease(version: string): boolean {
  return parseSemver(version)?.prerelease !== undefined
}

function githubTarget(
  repository: string,
  context: ReleaseContext,
  options: { replace: boolean },
): FileTarget {
  assertCredentials(context.destinations, context.env, context.workspace.root)
  const github = new GitHubReleases({
    repository,
    token: context.env[githubTokenEnv(context.destinations)]!,
    replace: options.replace,
    ...(context.env.GITHUB_API_URL ? { apiUrl: context.env.GITHUB_API_URL } : {}),
    ...(context.env.GITHUB_SERVER_URL ? { serverUrl: context.env.GITHUB_SERVER_URL } : {}),
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
          prerelease: isPrerelease(release.version),
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
        return { status: 'new', location: github.downloadUrl(tagOf(release), file.name) }
      return github.reconcile(existing, { ...file, path: '' })
    },
    async publish(release, file) {
      return github.upload(await draft(release), file)
    },
    async existing(release, name) {
      const found = await github.find(tagOf(release))
      const digest = found === undefined ? undefined : await github.assetDigest(found, name)
      return digest === undefined
        ? undefined
        : { location: github.downloadUrl(found!.tag_name, name), digest }
    },
    async finish(release) {
      await github.publish(await draft(release))
    },
  }
}

/** A files target announcing its writes (uploads, the GitHub release's publication). */
function observedFiles(files: FileTarget, before: BeforeWrite): FileTarget {
  return {
    remote: files.remote,
    reconcile: (release, file) => files.reconcile(release, file),
    existing: (release, name) => files.existing(release, name),
    publish: (release, file) => {
      before(`file ${file.name}`)
      return files.publish(release, file)
    },
    finish: (release) => {
      before(`finish ${release.project.name} ${release.version}`)
      return files.finish(release)
    },
  }
}

/**
 * Opens every destination of the release once; registry connections and tokens are shared.
 * `beforeWrite` hears of every write before it is made (see `writeObserver`).
 */
export function openTargets(
  context: ReleaseContext,
  options: { readonly replace: boolean; readonly beforeWrite?: BeforeWrite },
): Targets {
  const { destinations, workspace } = context
  const before = options.beforeWrite ?? (() => {})
  const client = new RegistryClient({
    insecureHosts: insecureHostsOf([destinations.images, destinations.charts]),
    // DOCKER_CONFIG, REGISTRY_AUTH_FILE, GITHUB_TOKEN and POLYSHIP_HTTP_* of the release's environment
    deps: { env: context.env, reporter: context.reporter },
  })
  const baseDir = workspace.root
  const files =
    destinations.files.type === 'directory'
      ? assetDirectoryTarget(
          isAbsolute(destinations.files.path)
            ? destinations.files.path
            : join(baseDir, destinations.files.path),
        )
      : githubTarget(destinations.files.repository, context, options)
  return {
    destinations,
    client,
    imageStore: (repository) =>
      observedStore(repositoryStore(destinations.images, repository, { baseDir, client }), before),
    chartStore: (name) =>
      observedStore(repositoryStore(destinations.charts, name, { baseDir, client }), before),
    wheelIndex: () =>
      observedIndex(indexFor(destinations.wheels, { root: baseDir, env: context.env }), before),
    files: observedFiles(files, before),
    npm: npmTarget(context, before),
    recordLocation: (location) => {
      const layout = location.startsWith('oci-layout:') ? 'oci-layout:' : ''
      const path = location.slice(layout.length)
      return isAbsolute(path) ? `${layout}${relative(context.outDir, path)}` : location
    },
  }
}
