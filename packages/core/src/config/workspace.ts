import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { CoreError } from '../errors.ts'
import { type Platform, parsePlatform } from '../platform.ts'
import { jsonSyntaxErrorPosition } from './json-position.ts'
import { readWorkspacePackages, workspaceManifestPaths } from './pnpm-workspace.ts'
import { type ProjectConfig, projectManifestSchema } from './schema/project.ts'
import { type RootConfig, rootSchema } from './schema/root.ts'
import { checkUrlCredentials } from './url-credentials.ts'
import { validateConfig } from './validate.ts'

/** A releasable project: a package.json with a `polyship` field. */
export interface Project {
  readonly name: string
  readonly version: string
  /** Absolute project directory. */
  readonly root: string
  /** Workspace-relative directory, POSIX separators. */
  readonly dir: string
  readonly manifestPath: string
  readonly config: ProjectConfig
  readonly description?: string
  readonly license?: string
  /** Set when package.json says `"private": true` (npm refuses to publish it). */
  readonly private?: true
  /** Names of workspace projects this one depends on (package.json dependencies). */
  readonly dependsOn: readonly string[]
}

export interface Workspace {
  readonly root: string
  readonly config: RootConfig
  readonly projects: readonly Project[]
}

export const ROOT_CONFIG_FILE = 'polyship.json'

/** Walks up from `start` to the directory holding polyship.json or pnpm-workspace.yaml. */
export function findWorkspaceRoot(start: string): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, ROOT_CONFIG_FILE)) || existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir
    if (dirname(dir) === dir) {
      throw new CoreError(
        'CONFIG_UNREADABLE',
        `no ${ROOT_CONFIG_FILE} or pnpm-workspace.yaml in ${start} or above`,
        {
          hint: 'run polyship inside a pnpm workspace, or pass --cwd <workspace root>',
        },
      )
    }
  }
}

/** A JSON file's parsed value and its text (for the line of a validation error). */
async function readJson(file: string): Promise<{ value: unknown; text: string }> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new CoreError('CONFIG_UNREADABLE', `cannot read ${file}`, {
      cause,
      hint: 'check the path and permissions',
    })
  }
  try {
    return { value: JSON.parse(text), text }
  } catch (cause) {
    const position = jsonSyntaxErrorPosition(text, cause)
    throw new CoreError('CONFIG_INVALID', `${file}: not valid JSON (${(cause as Error).message})`, {
      cause,
      source: { file, ...position },
    })
  }
}

/** The source a manifest was parsed from, so a validation error can name its line. */
export interface ConfigSource {
  readonly text?: string
  /** Absolute path of the file (default: the `file` messages name). */
  readonly path?: string
}

/** Parses and validates a package.json's polyship fields; `file` is for messages. */
export function parseProjectManifest(
  manifest: unknown,
  file: string,
  source: ConfigSource = {},
): { name: string; version: string; config: ProjectConfig } {
  checkUrlCredentials(manifest, file, { ...source, fields: ['repository', 'polyship'] })
  const valid = validateConfig<{ name: string; version: string; polyship: ProjectConfig }>(
    projectManifestSchema,
    manifest,
    {
      file,
      hint: 'see docs/config.md for the polyship field; versions are SemVer (1.2.3), platforms os/arch',
      ...source,
    },
  )
  const platforms = [
    ...(valid.polyship.binary?.platforms ?? []).map(
      (p, i) => [`polyship.binary.platforms[${i}]`, p] as const,
    ),
    ...(valid.polyship.image?.platforms ?? []).map((p, i) => [`polyship.image.platforms[${i}]`, p] as const),
  ]
  for (const [field, text] of platforms) parsePlatform(text, `${file}: ${field}`)
  return { name: valid.name, version: valid.version, config: valid.polyship }
}

export function parseRootConfig(value: unknown, file: string, source: ConfigSource = {}): RootConfig {
  checkUrlCredentials(value, file, source)
  return validateConfig<RootConfig>(rootSchema, value, {
    file,
    hint: 'see docs/config.md for polyship.json; every field is optional',
    ...source,
  })
}

async function workspaceGlobs(root: string): Promise<string[]> {
  const file = join(root, 'pnpm-workspace.yaml')
  if (!existsSync(file)) return ['*', '*/*']
  return readWorkspacePackages(file)
}

/**
 * Loads polyship.json (optional) and every releasable project of the workspace:
 * package.json files matched by pnpm-workspace.yaml's globs that carry a `polyship` field.
 */
export async function loadWorkspace(start: string): Promise<Workspace> {
  const root = findWorkspaceRoot(start)
  const rootFile = join(root, ROOT_CONFIG_FILE)
  const rootJson = existsSync(rootFile) ? await readJson(rootFile) : undefined
  const config =
    rootJson === undefined ? {} : parseRootConfig(rootJson.value, rootFile, { text: rootJson.text })
  const manifestPaths = await workspaceManifestPaths(root, await workspaceGlobs(root))
  const manifests = await Promise.all(
    manifestPaths.map(async (manifestRel) => ({
      manifestRel,
      json: await readJson(join(root, manifestRel)),
    })),
  )
  checkNamed(manifests)
  const projects: Project[] = []
  for (const { manifestRel, json } of manifests) {
    const manifestPath = join(root, manifestRel)
    const manifest = json.value as Record<string, unknown>
    if (manifest.polyship === undefined) continue
    const {
      name,
      version,
      config: projectConfig,
    } = parseProjectManifest(manifest, relative(process.cwd(), manifestPath) || manifestPath, {
      text: json.text,
      path: manifestPath,
    })
    if (projectConfig.npm !== undefined && manifest.private === true) {
      throw new CoreError(
        'CONFIG_INVALID',
        `${manifestPath}: polyship.npm publishes the package to npm, but it is "private": true`,
        { hint: 'remove "private": true to publish it, or remove polyship.npm to keep it private' },
      )
    }
    const deps = { ...(manifest.dependencies as object), ...(manifest.devDependencies as object) } as Record<
      string,
      string
    >
    projects.push({
      name,
      version,
      root: dirname(manifestPath),
      dir: dirname(manifestRel).split('\\').join('/'),
      manifestPath,
      config: projectConfig,
      ...(manifest.private === true ? { private: true as const } : {}),
      ...(typeof manifest.description === 'string' ? { description: manifest.description } : {}),
      ...(typeof manifest.license === 'string' ? { license: manifest.license } : {}),
      dependsOn: Object.keys(deps).sort(),
    })
  }
  checkReferences(projects)
  return { root, config, projects }
}

/**
 * changesets refuses a workspace with a package.json that has no name, and polyship versions
 * through changesets: the same workspace is refused here, before anything is built.
 */
function checkNamed(manifests: readonly { manifestRel: string; json: { value: unknown } }[]): void {
  const nameless = manifests
    .filter(({ json }) => !(json.value as { name?: unknown } | null)?.name)
    .map(({ manifestRel }) => manifestRel)
  if (nameless.length === 0) return
  throw new CoreError(
    'CONFIG_INVALID',
    `${nameless.join(', ')}: a workspace package without a "name" (changesets refuses the workspace)`,
    {
      hint: 'give the package a "name", or exclude its directory in pnpm-workspace.yaml with a "!dir" entry',
      source: { file: nameless[0] as string },
    },
  )
}

function checkReferences(projects: readonly Project[]): void {
  const names = new Set(projects.map((p) => p.name))
  const seen = new Set<string>()
  for (const project of projects) {
    if (seen.has(project.name)) {
      throw new CoreError(
        'CONFIG_INVALID',
        `two projects are named "${project.name}" (${project.manifestPath})`,
        {
          hint: 'package.json names must be unique in the workspace',
        },
      )
    }
    seen.add(project.name)
    const chart = project.config.chart
    const refs = [
      ...(chart?.appVersionFrom === undefined
        ? []
        : [['polyship.chart.appVersionFrom', chart.appVersionFrom] as const]),
      ...Object.entries(chart?.images ?? {}).map(
        ([key, target]) => [`polyship.chart.images["${key}"]`, target] as const,
      ),
    ]
    for (const [field, target] of refs) {
      if (!names.has(target)) {
        throw new CoreError(
          'CONFIG_INVALID',
          `${project.manifestPath}: ${field} names "${target}", which is not a releasable project`,
          {
            hint: `known projects: ${[...names].sort().join(', ')}`,
            source: { file: project.manifestPath },
          },
        )
      }
    }
  }
}

/** Platforms of a format section, parsed (config was validated on load). */
export function platformsOf(
  section: { readonly platforms?: readonly string[] } | undefined,
  fallback: readonly string[],
): Platform[] {
  return (section?.platforms ?? fallback).map((text) => parsePlatform(text))
}
