import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileComponent, npmPackage, ociImage, pythonRequirement, type SbomComponent } from '@polyship/attest'
import { projectSlug } from '@polyship/binary'
import {
  digestHex,
  type McpConfig,
  netLimits,
  type Project,
  registerSecret,
  type WheelDestination,
  type Workspace,
} from '@polyship/core'
import {
  McpRegistryClient,
  type ReleasedPackage,
  type RenderedServerJson,
  renderServerJson,
  type ServerArchive,
  serverDigest,
  validateServerJson,
} from '@polyship/mcp'
import { versionTag } from '@polyship/oci'
import { releaseTag } from '@polyship/versioning'
import { isPypi } from '@polyship/wheel'
import type { Destinations } from '../destinations.ts'
import { pullRepository } from '../destinations.ts'
import type { Reconciliation } from '../publish/outcome.ts'
import type { ReleaseContext } from './context.ts'
import { ReleaseError } from './errors.ts'
import { serverJsonFileName } from './mcp-names.ts'
import type { Finding } from './reconcile.ts'
import type { ProjectRelease, ReleaseFile } from './release-set.ts'

const DEFAULT_TOKEN_ENV = 'MCP_REGISTRY_TOKEN'

/** The projects whose server.json this run writes: marked `mcp`, and `--skip mcp` not given. */
function mcpConfigOf(project: Project, skip: ReadonlySet<string>): McpConfig | undefined {
  return skip.has('mcp') ? undefined : project.config.mcp
}

export type { serverJsonFileName }

/**
 * Before anything is built: the server.json each MCP project would write, with no packages
 * yet, must pass the schema (a `description` past 100 characters, a `name` without its `/`
 * are MCP_SERVER_JSON_INVALID naming the project), and publishing to an MCP registry needs
 * its token.
 */
export function checkMcpProjects(
  projects: readonly Project[],
  workspace: Workspace,
  options: {
    readonly env: Readonly<Record<string, string | undefined>>
    readonly skip: ReadonlySet<string>
    readonly publishing: boolean
  },
): void {
  const marked = projects.filter((p) => mcpConfigOf(p, options.skip) !== undefined)
  for (const project of marked) {
    const { value } = renderServerJson({
      config: project.config.mcp!,
      version: project.version,
      packages: [],
    })
    validateServerJson(value, project.name)
  }
  const destination = workspace.config.destinations?.mcpRegistry
  if (marked.length === 0 || destination === undefined || !options.publishing) return
  const tokenEnv = destination.tokenEnv ?? DEFAULT_TOKEN_ENV
  if (!options.env[tokenEnv]) {
    throw new ReleaseError(
      'RELEASE_CREDENTIALS_MISSING',
      `${marked.map((p) => p.name).join(', ')}: publishing server.json to the MCP registry ${destination.url} needs a registry token in $${tokenEnv}`,
      {
        hint: `set ${tokenEnv} to a token the registry issued for the servers' namespace (mcp-publisher login, or the registry's /v0/auth exchange), or remove destinations.mcpRegistry to write server.json only to the files destination`,
      },
    )
  }
}

/** The MCP registry of polyship.json, or undefined when server.json files go only to the files destination. */
export function openMcpRegistry(context: ReleaseContext): McpRegistryClient | undefined {
  const destination = context.workspace.config.destinations?.mcpRegistry
  if (destination === undefined) return undefined
  const token = context.env[destination.tokenEnv ?? DEFAULT_TOKEN_ENV] || undefined
  registerSecret(token)
  return new McpRegistryClient({
    url: destination.url,
    limits: netLimits(context.env),
    ...(token === undefined ? {} : { token }),
  })
}

function pypiBaseUrl(destination: WheelDestination): string | undefined {
  if (destination.type !== 'pypi' || destination.url === undefined || isPypi(destination.url))
    return undefined
  return new URL(destination.simpleUrl ?? destination.url).origin
}

/** The packages of one release as server.json lists them, and the components of its SBOM. */
function releasedPackages(release: ProjectRelease, destinations: Destinations) {
  const packages: ReleasedPackage[] = []
  const components: SbomComponent[] = []
  for (const file of release.files) {
    if (file.tarball !== undefined) {
      const { name } = file.tarball
      const version = file.tarball.version.text
      packages.push({
        registryType: 'npm',
        name,
        version,
        sha256: digestHex(file.digest),
        ...(destinations.npm.type === 'registry' ? { registryBaseUrl: destinations.npm.url } : {}),
      })
      components.push(npmPackage({ name, version }))
    }
  }
  const dist = release.files.find((f) => f.distribution !== undefined)?.distribution
  if (dist !== undefined) {
    const registryBaseUrl = pypiBaseUrl(destinations.wheels)
    packages.push({
      registryType: 'pypi',
      name: dist.name,
      version: dist.version,
      ...(registryBaseUrl === undefined ? {} : { registryBaseUrl }),
    })
    components.push(pythonRequirement({ name: dist.name, specifier: `==${dist.version}` }))
  }
  if (release.image !== undefined) {
    const repository = pullRepository(destinations.images, release.image.repository)
    const digest = release.image.built.index.descriptor.digest
    const tag = versionTag(release.version)
    packages.push({ registryType: 'oci', reference: `${repository}:${tag}@${digest}` })
    components.push(ociImage({ repository, digest, tag }))
  }
  const files = destinations.files
  const archives: ServerArchive[] = release.files
    .filter((f) => f.kind === 'archive')
    .map((f) => ({
      name: f.name,
      sha256: digestHex(f.digest),
      ...(f.platform ? { platform: f.platform } : {}),
      ...(files.type === 'github'
        ? {
            url: `https://github.com/${files.repository}/releases/download/${encodeURIComponent(releaseTag(release.project.name, release.version))}/${f.name}`,
          }
        : {}),
    }))
  for (const f of release.files.filter((f) => f.kind === 'archive'))
    components.push(fileComponent({ name: f.name, digest: f.digest, version: release.version }))
  return { packages, archives, components }
}

/** The server.json a release adds to its files, and its rendering (for the MCP registry). */
export interface McpRelease {
  readonly project: string
  readonly name: string
  readonly version: string
  readonly rendered: RenderedServerJson
}

/**
 * Adds the server.json of every MCP project to its release, after everything else is
 * assembled (it lists their digests): one file signed, attested (its SBOM lists the packages
 * it points at) and published with the project's other files, validated against the pinned
 * schema first. Returns the releases (with the file) and the manifests for the MCP registry.
 */
export async function addServerJson(
  releases: readonly ProjectRelease[],
  context: ReleaseContext,
): Promise<{ releases: ProjectRelease[]; manifests: McpRelease[] }> {
  const manifests: McpRelease[] = []
  const out: ProjectRelease[] = []
  for (const release of releases) {
    const config = mcpConfigOf(release.project, context.skip)
    if (config === undefined) {
      out.push(release)
      continue
    }
    const { packages, archives, components } = releasedPackages(release, context.destinations)
    const rendered = renderServerJson({
      config,
      version: release.version,
      ...(context.workspace.config.repository ? { repository: context.workspace.config.repository } : {}),
      packages,
      archives,
    })
    validateServerJson(rendered.value, release.project.name)
    const name = serverJsonFileName(release.project.name, release.version)
    const dir = join(context.outDir, 'staging', 'mcp', projectSlug(release.project.name))
    await mkdir(dir, { recursive: true })
    const path = join(dir, name)
    await writeFile(path, rendered.bytes)
    const file: ReleaseFile = {
      kind: 'mcp-server',
      name,
      path,
      digest: rendered.digest,
      size: rendered.bytes.length,
      sbom: {
        subject: { kind: 'mcp-server', name, version: release.version, digest: rendered.digest },
        components,
      },
    }
    out.push({ ...release, files: [...release.files, file] })
    manifests.push({ project: release.project.name, name: config.name, version: release.version, rendered })
  }
  return { releases: out, manifests }
}

/**
 * Asks the MCP registry what it holds for every manifest: the same server.json is unchanged,
 * none is new, another one under the same version a conflict (registry versions are immutable).
 */
export async function reconcileMcp(
  manifests: readonly McpRelease[],
  registry: McpRegistryClient | undefined,
): Promise<Finding[]> {
  if (registry === undefined) return []
  const findings: Finding[] = []
  for (const manifest of manifests) {
    const held = await registry.held(manifest.name, manifest.version)
    const wanted = serverDigest(manifest.rendered.value)
    // compared on the fields polyship writes: a registry may add its own (status, timestamps)
    const keys = Object.keys(manifest.rendered.value)
    const existing =
      held === undefined
        ? undefined
        : serverDigest(
            Object.fromEntries(Object.entries(held.server as object).filter(([k]) => keys.includes(k))),
          )
    const location = registry.versionUrl(manifest.name, manifest.version)
    const state: Reconciliation =
      existing === undefined
        ? { status: 'new', location }
        : existing === wanted
          ? { status: 'unchanged', location, digest: wanted }
          : { status: 'conflict', location, existing, wanted }
    findings.push({
      project: manifest.project,
      kind: 'mcp-registry',
      artifact: `${manifest.name}@${manifest.version}`,
      state,
    })
  }
  return findings
}

/** Publishes the manifests the registry does not hold yet: after every package they list is published. */
export async function publishMcp(
  manifests: readonly McpRelease[],
  findings: readonly Finding[],
  registry: McpRegistryClient | undefined,
  beforeWrite: (what: string) => void = () => {},
): Promise<void> {
  if (registry === undefined) return
  for (const manifest of manifests) {
    const finding = findings.find(
      (f) => f.kind === 'mcp-registry' && f.artifact === `${manifest.name}@${manifest.version}`,
    )
    if (finding?.state.status !== 'new') continue
    beforeWrite(`MCP registry ${registry.url}: ${manifest.name} ${manifest.version}`)
    await registry.publish(manifest.rendered.bytes, manifest.name)
  }
}
