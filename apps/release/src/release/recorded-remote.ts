import { homedir } from 'node:os'
import {
  type AttestationRef,
  type Digest,
  isNetError,
  type RecordedArtifact,
  type Workspace,
} from '@polyship/core'
import type { NpmConfig, NpmDestination, PackageName } from '@polyship/npm'
import type { RegistryClient } from '@polyship/oci'
import type { HeldFile, PackageIndex } from '@polyship/wheel'
import type { Destinations } from '../destinations.ts'
import type { Env, FrontContext } from './context.ts'

/**
 * The remote destinations a re-run answered from the record asks (recorded-state.ts): an OCI
 * registry for the tag and referrers of each image and chart, a package index for the files
 * of each Python project, an npm registry for the packument of each npm package. Each
 * question is cheap and bounded, and a destination that cannot be asked answers "not
 * verifiably there" (`unanswered`), never a failure of the run. A format's package is loaded
 * when its first destination is asked: a re-run to dist/ loads none of them.
 */

/** What the remote questions need of the run. */
export interface RemoteOptions {
  readonly workspace: Workspace
  readonly env: Env
  readonly destinations: Destinations
  readonly reporter: FrontContext['reporter']
}

/** An image or chart in a registry, as the record locates it: `host/repo@sha256:...`. */
export const REGISTRY_LOCATION = /^([^@\s]+)@(sha256:[0-9a-f]{64})$/

/** Tries of one registry request before the whole release is left to ask (it retries by itself). */
const REMOTE_ATTEMPTS = 2

/**
 * The remote destinations of the run, opened on first use: one registry client for every
 * registry (connections and tokens shared), one package index, its pages read once per project.
 */
export function remoteDestinations(options: RemoteOptions) {
  const loaded: {
    oci?: typeof import('@polyship/oci')
    wheel?: typeof import('@polyship/wheel')
    npm?: typeof import('@polyship/npm')
  } = {}
  const oci = async () => (loaded.oci ??= await import('@polyship/oci'))
  const wheel = async () => (loaded.wheel ??= await import('@polyship/wheel'))
  const npm = async () => (loaded.npm ??= await import('@polyship/npm'))
  let client: RegistryClient | undefined
  let index: PackageIndex | undefined
  const pages = new Map<string, Promise<ReadonlyMap<string, HeldFile>>>()
  let npmConfig: Promise<NpmConfig> | undefined
  const npmRegistries = new Map<string, NpmDestination>()
  return {
    async registry(): Promise<RegistryClient> {
      const { insecureHostsOf, RegistryClient } = await oci()
      client ??= new RegistryClient({
        insecureHosts: insecureHostsOf([options.destinations.images, options.destinations.charts]),
        retry: { attempts: REMOTE_ATTEMPTS },
        // DOCKER_CONFIG, REGISTRY_AUTH_FILE, GITHUB_TOKEN and POLYSHIP_HTTP_* of the release's environment
        deps: { env: options.env, reporter: options.reporter },
      })
      return client
    },
    /** The files of `project`'s distributions (`filenames`) the index holds. */
    async held(project: string, filenames: readonly string[]): Promise<ReadonlyMap<string, HeldFile>> {
      const key = `${project}\0${filenames.join('\0')}`
      let page = pages.get(key)
      if (page === undefined) {
        const { indexFor, normalizeName } = await wheel()
        index ??= indexFor(options.destinations.wheels, {
          root: options.workspace.root,
          env: options.env,
          retry: { retries: REMOTE_ATTEMPTS - 1, baseDelayMs: 200 },
        })
        page = index.held(normalizeName(project), filenames)
        pages.set(key, page)
      }
      return page
    },
    /**
     * The npm registry `name` is published to, as the release's npm target opens it: the
     * scope's registry when .npmrc names one, with the .npmrc (or NPM_TOKEN) credential.
     */
    async npm(name: PackageName): Promise<NpmDestination | undefined> {
      const destination = options.destinations.npm
      if (destination.type !== 'registry') return undefined
      const { credentialFor, npmRegistry, readNpmConfig, scopeRegistryFor } = await npm()
      npmConfig ??= readNpmConfig({
        projectDir: options.workspace.root,
        home: options.env.HOME ?? homedir(),
        env: options.env,
      })
      const found = await npmConfig
      const url = scopeRegistryFor(name, found) ?? destination.url
      let registry = npmRegistries.get(url)
      if (registry === undefined) {
        const credential = credentialFor(url, found)
        registry = npmRegistry({
          url,
          ...(credential === undefined ? {} : { credential }),
          ...(destination.insecure === undefined ? {} : { insecure: destination.insecure }),
          retry: { retries: REMOTE_ATTEMPTS - 1, baseDelayMs: 200 },
          env: options.env,
          reporter: options.reporter,
        })
        npmRegistries.set(url, registry)
      }
      return registry
    },
    /** The format packages loaded so far (those of the destinations asked). */
    formats: () => loaded,
    /** Loads a format's package, once. */
    load: { oci, wheel, npm },
    close(): void {
      client?.close()
    },
  }
}

export type Remote = ReturnType<typeof remoteDestinations>

/**
 * Whether the registry holds an image or chart as recorded: its version tag resolves to the
 * recorded digest (a tag resolving proves the manifest is there: a registry deletes a
 * manifest's tags with it), and its referrers list every recorded attestation.
 */
export async function inRegistry(
  location: string,
  expected: { readonly digest: Digest; readonly tag: string },
  attestations: readonly AttestationRef[],
  remote: Remote,
): Promise<boolean> {
  const parsed = REGISTRY_LOCATION.exec(location)
  if (parsed === null || parsed[2] !== expected.digest) return false
  const repository = parsed[1]!
  // attestations live beside their subject: a record saying otherwise is asked by the whole release
  if (attestations.some((a) => a.location !== `${repository}@${a.digest}`)) return false
  const store = (await remote.registry()).repository(repository)
  const [tagged, referrers] = await Promise.all([
    store.resolve(expected.tag),
    attestations.length === 0 ? Promise.resolve([]) : store.listReferrers(expected.digest),
  ])
  if (tagged?.digest !== expected.digest) return false
  const listed = new Set(referrers.map((r) => r.digest))
  return attestations.every((a) => listed.has(a.digest))
}

/** Whether a remote index lists a wheel or sdist with the recorded sha256. */
export async function onIndex(artifact: RecordedArtifact, siblings: readonly string[], remote: Remote) {
  const { parseDistributionFilename } = await remote.load.wheel()
  const { distribution } = parseDistributionFilename(artifact.name)
  const held = await remote.held(distribution, siblings)
  return held.get(artifact.name)?.digest === artifact.digest
}

/**
 * Whether an npm registry holds a package as recorded, judged as the release reconciles it:
 * the tarball this commit packed (`packed`, still in the build directory, with the recorded
 * sha256) is `unchanged` there (same integrity, at the recorded tarball URL), and no
 * dist-tag would move. One GET of the packument.
 */
export async function inNpmRegistry(
  artifact: RecordedArtifact,
  packed: string,
  options: { readonly stableTag?: string },
  remote: Remote,
): Promise<boolean> {
  const { inspectTarball, planPublish } = await remote.load.npm()
  const tarball = await inspectTarball(packed, { name: artifact.project, version: artifact.version }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined
      throw error
    },
  )
  if (tarball === undefined || tarball.digest !== artifact.digest) return false
  const destination = await remote.npm(tarball.name)
  if (destination === undefined) return false
  const plan = planPublish(tarball, {
    lookup: await destination.lookup(tarball.name, tarball.version.text),
    destination,
    ...(options.stableTag === undefined ? {} : { stableTag: options.stableTag }),
  })
  return (
    plan.state.status === 'unchanged' &&
    plan.state.location === artifact.locations[0] &&
    plan.move === undefined
  )
}

/**
 * A destination that could not be asked: the network, its credentials, what it answered
 * (an error of a format package `remote` loaded to ask it).
 */
export function unanswered(error: unknown, remote: Remote): boolean {
  const { oci, wheel, npm } = remote.formats()
  return (
    isNetError(error) ||
    (oci !== undefined && error instanceof oci.OciError) ||
    (wheel !== undefined && error instanceof wheel.WheelError) ||
    (npm !== undefined && error instanceof npm.NpmError)
  )
}
