import { createWriteStream } from 'node:fs'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import {
  type Digest,
  digestFile,
  isLoopbackHostname,
  isNetError,
  type NetLimits,
  netLimits,
  networkErrorReason,
  originOf,
  readAll,
  redact,
  redirectHop,
  sendWithRetry,
  sha256,
} from '@polyship/core'
import { type Descriptor, RegistryClient, versionTag } from '@polyship/oci'
import { parseDocument } from 'yaml'
import type { ChartDependency } from '../chart/chart-yaml.ts'
import { goDependency, goJson } from '../chart/go-json.ts'
import { MAX_CHART_BYTES } from '../chart/limits.ts'
import { type ChartSource, readChart } from '../chart/read-chart.ts'
import { lineOf } from '../chart/yaml-source.ts'
import { at, HelmError } from '../errors.ts'
import { resolveDependencies } from './dependencies.ts'
import { CHART_LAYER_MEDIA_TYPE } from './package-chart.ts'
import { readPackagedChart } from './read-package.ts'

/** Chart.lock (requirements.lock for an apiVersion v1 chart), as `helm dependency update` writes it. */
export const LOCK_FILE = 'Chart.lock'
export const V1_LOCK_FILE = 'requirements.lock'

/** A remote dependency fetched and checked, ready to vendor as `charts/<name>-<version>.tgz`. */
export interface RemoteDependency {
  readonly dependency: ChartDependency
  /** The exact version Chart.lock pins. */
  readonly version: string
  /** Absolute path of the verified .tgz (in the dependency cache). */
  readonly file: string
  readonly digest: Digest
  readonly size: number
}

export interface FetchDependenciesOptions {
  /** Where downloaded charts are kept, by digest (re-used when the repository still names that digest). */
  readonly dependencyDir: string
  /** For `oci://` repositories (credentials from the docker config); default a client of its own. */
  readonly registry?: RegistryClient
  /** Deadline of each HTTP request to a chart repository (default: core's, `POLYSHIP_HTTP_DEADLINE`). */
  readonly timeoutMs?: number
  /** Read for the `POLYSHIP_HTTP_*` limits (default: the process's environment). */
  readonly env?: Readonly<Record<string, string | undefined>>
}

/** Tries of one chart repository GET (core's retrying send, within `POLYSHIP_HTTP_RETRY_TIME`). */
const ATTEMPTS = 3

/** Largest index.yaml read (Bitnami's full index is ~15 MiB). */
const MAX_INDEX_BYTES = 64 * 1024 * 1024

interface LockEntry {
  readonly name: string
  readonly version: string
  readonly repository: string
}

/**
 * Fetches the dependencies of a chart that come from chart repositories (`https://` with an
 * index.yaml, or `oci://`) and are not already vendored in charts/, as `helm dependency
 * build` does: the versions Chart.lock pins (its digest must still match the dependencies
 * of Chart.yaml), the .tgz checked against the digest the repository publishes for it (the
 * index.yaml entry, or the OCI manifest's layer) and against its own Chart.yaml (name and
 * version). HELM_DEPENDENCY_LOCK when Chart.lock is missing or out of date,
 * HELM_DEPENDENCY_MISSING when a dependency cannot be had, naming it and its repository.
 */
export async function fetchRemoteDependencies(
  source: ChartSource,
  remote: readonly { readonly index: number; readonly dependency: ChartDependency }[],
  options: FetchDependenciesOptions,
): Promise<RemoteDependency[]> {
  if (remote.length === 0) return []
  const lock = await readLock(source)
  const fetched: RemoteDependency[] = []
  const own = options.registry === undefined ? new RegistryClient() : undefined
  const registry = options.registry ?? own!
  try {
    for (const { index, dependency } of remote) {
      const file = source.chart.dependencySource.file
      const line = lineOf(source.chart.dependencySource, ['dependencies', index, 'repository'])
      const missing = (problem: string, hint: string, cause?: unknown) =>
        new HelmError(
          'HELM_DEPENDENCY_MISSING',
          `${at(file, line)}: dependency ${dependency.name} from ${originOf(dependency.repository)}: ${problem}`,
          { file, ...(line === undefined ? {} : { line }), hint, ...(cause === undefined ? {} : { cause }) },
        )
      const pinned = lock.entries.find(
        (e) => e.name === dependency.name && e.repository === dependency.repository,
      )
      if (pinned === undefined) {
        throw new HelmError(
          'HELM_DEPENDENCY_LOCK',
          `${lock.file}: has no entry for dependency ${dependency.name} from ${originOf(dependency.repository)}`,
          {
            file: lock.file,
            hint: 'run `helm dependency update` in the chart directory and commit the lock file',
          },
        )
      }
      await mkdir(options.dependencyDir, { recursive: true })
      const located = dependency.repository.startsWith('oci://')
        ? await fromOci(dependency, pinned.version, registry, options, missing)
        : await fromHttp(dependency, pinned.version, options, missing)
      const chart = await readPackagedChart(located.file).catch((cause: unknown) => {
        throw missing(
          `the downloaded ${dependency.name}-${pinned.version}.tgz is not a chart Helm loads (${(cause as Error).message})`,
          'the repository serves a broken package; ask its maintainers, or vendor a good copy in charts/',
          cause,
        )
      })
      if (chart.name !== dependency.name || chart.version !== pinned.version) {
        throw missing(
          `the repository's ${dependency.name} ${pinned.version} holds chart ${chart.name} ${chart.version}`,
          'the repository index is wrong; ask its maintainers, or vendor the chart in charts/',
        )
      }
      fetched.push({
        dependency,
        version: pinned.version,
        file: located.file,
        digest: located.digest,
        size: chart.size,
      })
    }
  } finally {
    own?.close()
  }
  return fetched
}

/** Chart.lock, checked against Chart.yaml the way `helm dependency build` checks it. */
async function readLock(source: ChartSource): Promise<{ file: string; entries: LockEntry[] }> {
  const name = source.chart.metadata.apiVersion === 'v1' ? V1_LOCK_FILE : LOCK_FILE
  const path = join(source.dir, name)
  const file = source.chart.dependencySource.file.replace(/[^/\\]*$/, name)
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (text === undefined) {
    throw new HelmError(
      'HELM_DEPENDENCY_LOCK',
      `${file} is missing: the chart has dependencies from chart repositories and no pinned versions`,
      {
        file,
        hint: 'run `helm dependency update` in the chart directory and commit the lock file, so a release packages the versions you reviewed',
      },
    )
  }
  const document = parseDocument(text, { version: '1.1', prettyErrors: false })
  let value: unknown
  try {
    value = document.errors.length === 0 ? document.toJS({ maxAliasCount: 100 }) : undefined
  } catch {
    value = undefined
  }
  const raw = (value as { dependencies?: unknown; digest?: unknown } | null | undefined) ?? {}
  const entries: LockEntry[] = []
  if (Array.isArray(raw.dependencies)) {
    for (const entry of raw.dependencies as Record<string, unknown>[]) {
      if (typeof entry?.name !== 'string' || typeof entry.version !== 'string') continue
      entries.push({
        name: entry.name,
        version: entry.version,
        repository: typeof entry.repository === 'string' ? entry.repository : '',
      })
    }
  }
  if (document.errors.length > 0 || typeof raw.digest !== 'string' || !Array.isArray(raw.dependencies)) {
    throw new HelmError(
      'HELM_DEPENDENCY_LOCK',
      `${file}: not a lock file helm wrote (dependencies and digest)`,
      {
        file,
        hint: 'run `helm dependency update` in the chart directory and commit the lock file',
      },
    )
  }
  const wanted = lockDigest(source.chart.metadata.dependencies ?? [], entries)
  if (raw.digest !== wanted) {
    throw new HelmError(
      'HELM_DEPENDENCY_LOCK',
      `${file} is out of sync with the dependencies of ${source.chart.dependencySource.file} (lock digest ${raw.digest}, dependencies give ${wanted})`,
      { file, hint: 'run `helm dependency update` in the chart directory and commit the lock file' },
    )
  }
  return { file, entries }
}

/**
 * Chart.lock's `digest`: Helm's `resolver.HashReq`, the SHA-256 of the JSON pair
 * `[Chart.yaml dependencies, lock dependencies]` as Go marshals `chart.Dependency`.
 */
export function lockDigest(dependencies: readonly ChartDependency[], locked: readonly LockEntry[]): string {
  const json = goJson([dependencies.map(goDependency), locked.map((e) => goDependency(e))])
  return sha256(json)
}

async function fromOci(
  dependency: ChartDependency,
  version: string,
  registry: RegistryClient,
  options: FetchDependenciesOptions,
  missing: (problem: string, hint: string, cause?: unknown) => HelmError,
): Promise<{ file: string; digest: Digest }> {
  const base = dependency.repository.slice('oci://'.length).replace(/\/+$/, '')
  const reference = `${base}/${dependency.name}:${versionTag(version)}`
  let layer: Descriptor | undefined
  const store = registry.repository(`${base}/${dependency.name}`)
  try {
    const manifest = await store.getManifest(versionTag(version))
    const parsed = JSON.parse(new TextDecoder().decode(manifest.bytes)) as { layers?: Descriptor[] }
    layer = parsed.layers?.find((l) => l.mediaType === CHART_LAYER_MEDIA_TYPE)
  } catch (cause) {
    throw missing(
      `cannot get ${reference}: ${(cause as Error).message}`,
      'check the repository and that the version Chart.lock pins is pushed there (`helm pull oci://...`); log in with `helm registry login` or docker login when it needs credentials',
      cause,
    )
  }
  if (layer === undefined) {
    throw missing(
      `${reference} is not a Helm chart (no ${CHART_LAYER_MEDIA_TYPE} layer)`,
      'point the dependency at a chart repository',
    )
  }
  const file = join(options.dependencyDir, `${layer.digest.replace(':', '-')}.tgz`)
  if (await verified(file, layer.digest)) return { file, digest: layer.digest }
  const partial = `${file}.partial`
  try {
    await pipeline(await store.fetchBlob(layer), createWriteStream(partial))
    await rename(partial, file)
  } catch (cause) {
    await rm(partial, { force: true })
    throw missing(
      `downloading ${reference} failed: ${(cause as Error).message}`,
      'run the release again; the registry answered with a broken or partial chart',
      cause,
    )
  }
  return { file, digest: layer.digest }
}

async function fromHttp(
  dependency: ChartDependency,
  version: string,
  options: FetchDependenciesOptions,
  missing: (problem: string, hint: string, cause?: unknown) => HelmError,
): Promise<{ file: string; digest: Digest }> {
  const repository = dependency.repository
  if (!/^https?:\/\//.test(repository)) {
    throw missing(
      repository.startsWith('@') || !repository.includes('://')
        ? `${repository || 'an empty repository'} names a repository alias of a local helm configuration, which a release cannot see`
        : `${repository.split(':')[0]}:// repositories are not supported`,
      'write the repository URL (https://... or oci://...) in the dependency, or vendor the chart in charts/',
    )
  }
  const base = new URL(repository.endsWith('/') ? repository : `${repository}/`)
  if (base.username !== '' || base.password !== '') {
    throw missing(
      'the repository URL carries credentials, which would be recorded in Chart.lock, the package and its SBOM',
      'remove the user and password from the URL; vendor a chart that needs credentials in charts/ (helm dependency build)',
    )
  }
  checkPlainHttp(base, missing)
  const indexUrl = new URL('index.yaml', base)
  const indexText = (await get(indexUrl, MAX_INDEX_BYTES, options, missing)).toString('utf8')
  const document = parseDocument(indexText, { version: '1.1', prettyErrors: false })
  let index: unknown
  try {
    index = document.errors.length === 0 ? document.toJS({ maxAliasCount: 100 }) : undefined
  } catch {
    index = undefined
  }
  const entries = (index as { entries?: unknown } | null | undefined)?.entries
  if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) {
    throw missing(
      `${originOf(indexUrl.href)} is not a chart repository index (no entries)`,
      'check the repository URL: it must serve index.yaml',
    )
  }
  const versions = (entries as Record<string, unknown>)[dependency.name]
  const entry = Array.isArray(versions)
    ? ((versions as ({ version?: unknown; urls?: unknown; digest?: unknown } | null)[]).find(
        (v) => v?.version === version,
      ) ?? undefined)
    : undefined
  if (entry === undefined) {
    throw missing(
      `${originOf(indexUrl.href)} has no ${dependency.name} ${version} (the version Chart.lock pins)`,
      'run `helm dependency update` to pin a version the repository serves, and commit Chart.lock',
    )
  }
  const url =
    Array.isArray(entry.urls) && typeof entry.urls[0] === 'string' ? new URL(entry.urls[0], base) : undefined
  if (url === undefined)
    throw missing(
      `the index entry of ${dependency.name} ${version} has no URL`,
      'ask the repository maintainers to fix index.yaml',
    )
  checkPlainHttp(url, missing)
  const published =
    typeof entry.digest === 'string' && /^[0-9a-f]{64}$/.test(entry.digest)
      ? (`sha256:${entry.digest}` as Digest)
      : undefined
  if (published !== undefined) {
    const cached = join(options.dependencyDir, `${published.replace(':', '-')}.tgz`)
    if (await verified(cached, published)) return { file: cached, digest: published }
  }
  const bytes = await get(url, MAX_CHART_BYTES, options, missing)
  const digest = sha256(bytes)
  if (published !== undefined && digest !== published) {
    throw missing(
      `${originOf(url.href)} is ${digest}, but the repository index publishes ${published} for ${dependency.name} ${version}`,
      'the chart was replaced or corrupted on the way; nothing was packaged. Ask the repository maintainers, or vendor a checked copy in charts/',
    )
  }
  const file = join(options.dependencyDir, `${digest.replace(':', '-')}.tgz`)
  await writeFile(`${file}.partial`, bytes)
  await rename(`${file}.partial`, file)
  return { file, digest }
}

function checkPlainHttp(url: URL, missing: (problem: string, hint: string) => HelmError): void {
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
    throw missing(
      `refusing plain HTTP to ${url.host}: the chart could be swapped on the way`,
      'use the https:// URL of the chart repository',
    )
  }
}

async function verified(file: string, digest: Digest): Promise<boolean> {
  const exists = await stat(file).then(
    (s) => s.isFile(),
    () => false,
  )
  return exists && (await digestFile(file)).digest === digest
}

/**
 * GET through core's retrying send (connect, idle and overall deadlines, the size cap;
 * network failures, timeouts, 429 and 5xx retried with backoff or after Retry-After),
 * following redirects under core's rules (`redirectHop`: bounded, never from https to
 * plain http) that also stay off plain HTTP beyond loopback; other answers, refused
 * redirects and failures that outlive the retries become HELM_DEPENDENCY_MISSING.
 */
async function get(
  url: URL,
  limit: number,
  options: FetchDependenciesOptions,
  missing: (problem: string, hint: string, cause?: unknown) => HelmError,
): Promise<Buffer> {
  const shown = originOf(url.href)
  const limits = netLimits(
    options.env ?? process.env,
    options.timeoutMs === undefined ? {} : { deadlineMs: options.timeoutMs },
  )
  const secrets = [url.username, url.password].filter((s) => s !== '')
  try {
    return await follow(url, limit, { limits, secrets, shown, missing })
  } catch (cause) {
    // timeouts and the size cap name the host; the dependency's context is added here
    if (!isNetError(cause)) throw cause
    throw missing(
      `cannot get ${shown}: ${cause.message}`,
      'check the repository URL and that the server is up',
      cause,
    )
  }
}

async function follow(
  url: URL,
  limit: number,
  context: {
    readonly limits: NetLimits
    readonly secrets: readonly string[]
    readonly shown: string
    readonly missing: (problem: string, hint: string, cause?: unknown) => HelmError
  },
): Promise<Buffer> {
  const { limits, secrets, shown, missing } = context
  const chain = [url]
  for (;;) {
    const current = chain.at(-1)!
    const response = await sendWithRetry(() => ({ method: 'GET', url: current, maxBytes: limit }), {
      limits,
      what: `get ${originOf(current.href)}`,
      secrets,
      policy: { attempts: ATTEMPTS },
      unreachable: (cause, tries) =>
        missing(
          `cannot get ${shown} (${redact(networkErrorReason(cause), secrets)}) after ${tries} attempts`,
          'check the repository URL and that the server is up',
          cause,
        ),
    })
    if (response.status >= 300 && response.status < 400) response.body.destroy()
    const hop = redirectHop(
      { method: 'GET', chain, hasBody: false, replayable: true, what: `get ${originOf(current.href)}` },
      response,
    )
    if (hop !== undefined) {
      const next = hop.url
      if (next.protocol === 'http:' && !isLoopbackHostname(next.hostname)) {
        throw missing(
          `${shown} redirected to plain HTTP ${originOf(next.href)}: the chart could be swapped on the way`,
          'ask the repository maintainers to serve it over https, or vendor the chart in charts/',
        )
      }
      chain.push(next)
      continue
    }
    if (response.status !== 200) {
      response.body.destroy()
      throw missing(
        `${shown} answered ${response.status} ${response.statusText}${response.tries > 1 ? ` after ${response.tries} attempts` : ''}`,
        response.status === 401 || response.status === 403
          ? 'the repository needs credentials, which polyship does not send to chart repositories: vendor the chart in charts/ (helm dependency build)'
          : response.status >= 500 || response.status === 429
            ? 'check that the server is up, then run again'
            : 'check the repository URL and the version Chart.lock pins',
      )
    }
    return readAll(response.body, limit, () =>
      missing(`${shown} is more than the ${limit} bytes polyship reads`, 'check the repository URL'),
    )
  }
}

/**
 * Fetches (into `dependencyDir`) every chart-repository dependency of the chart in `dir`
 * and of the `file://` charts it packages, so a release refuses a dependency it cannot have
 * before it compiles anything; packaging later finds them in the same directory.
 */
export async function fetchChartDependencies(
  dir: string,
  options: FetchDependenciesOptions & { readonly cwd?: string },
  seen: Set<string> = new Set(),
): Promise<RemoteDependency[]> {
  const root = resolve(dir)
  if (seen.has(root)) return []
  seen.add(root)
  const source = await readChart(root, options.cwd === undefined ? {} : { cwd: options.cwd })
  const { siblings, remote } = await resolveDependencies(source, [])
  const fetched = await fetchRemoteDependencies(source, remote, options)
  for (const sibling of siblings) fetched.push(...(await fetchChartDependencies(sibling.dir, options, seen)))
  return fetched
}
