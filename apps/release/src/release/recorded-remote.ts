import {
  type AttestationRef,
  type Digest,
  isNetError,
  type RecordedArtifact,
  type Workspace,
} from '@polyship/core'
import { insecureHostsOf, OciError, RegistryClient } from '@polyship/oci'
import {
  type HeldFile,
  indexFor,
  normalizeName,
  type PackageIndex,
  parseDistributionFilename,
  WheelError,
} from '@polyship/wheel'
import type { Destinations } from '../destinations.ts'
import type { Env, ReleaseContext } from './context.ts'

/**
 * The remote destinations a re-run answered from the record asks (recorded-state.ts): an OCI
 * registry for the tag and referrers of each image and chart, a package index for the files
 * of each Python project. Each question is cheap and bounded, and a destination that cannot
 * be asked answers "not verifiably there" (`unanswered`), never a failure of the run.
 */

/** What the remote questions need of the run. */
export interface RemoteOptions {
  readonly workspace: Workspace
  readonly env: Env
  readonly destinations: Destinations
  readonly reporter: ReleaseContext['reporter']
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
  let client: RegistryClient | undefined
  let index: PackageIndex | undefined
  const pages = new Map<string, Promise<ReadonlyMap<string, HeldFile>>>()
  return {
    registry(): RegistryClient {
      client ??= new RegistryClient({
        insecureHosts: insecureHostsOf([options.destinations.images, options.destinations.charts]),
        retry: { attempts: REMOTE_ATTEMPTS },
        // DOCKER_CONFIG, REGISTRY_AUTH_FILE, GITHUB_TOKEN and POLYSHIP_HTTP_* of the release's environment
        deps: { env: options.env, reporter: options.reporter },
      })
      return client
    },
    /** The files of `project`'s distributions (`filenames`) the index holds. */
    held(project: string, filenames: readonly string[]): Promise<ReadonlyMap<string, HeldFile>> {
      const key = `${project}\0${filenames.join('\0')}`
      let page = pages.get(key)
      if (page === undefined) {
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
  const store = remote.registry().repository(repository)
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
  const { distribution } = parseDistributionFilename(artifact.name)
  const held = await remote.held(distribution, siblings)
  return held.get(artifact.name)?.digest === artifact.digest
}

/** A destination that could not be asked: the network, its credentials, what it answered. */
export function unanswered(error: unknown): boolean {
  return error instanceof OciError || error instanceof WheelError || isNetError(error)
}
