import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { checkArchiveNames, resolveGoBinaries } from '@polyship/binary'
import { imageRepository } from '@polyship/container'
import {
  type FormatName,
  isPolyshipError,
  type PolyshipError,
  type Project,
  type Workspace,
} from '@polyship/core'
import type { ReleasedImage } from '@polyship/helm'
import { versionTag } from '@polyship/oci'
import { readPythonProject } from '@polyship/wheel'
import { pullRepository } from '../destinations.ts'
import { ReleaseError } from './errors.ts'
import type { Targets } from './targets.ts'

/** A project polyship cannot release, and why (the coded error of the format that refused it). */
export interface InvalidProject {
  readonly project: string
  readonly error: PolyshipError
}

/**
 * What each format needs before any toolchain runs, read without compiling: an archive name
 * template that renders, and Go main packages inside a module or a Cargo.toml, for binaries, a pyproject.toml polyship can build (name, backend, version)
 * for wheels, an image's Dockerfile, a readable chart whose image mappings name projects
 * that have an image.
 */
async function checkProject(
  project: Project,
  workspace: Workspace,
  skip: ReadonlySet<FormatName>,
): Promise<void> {
  const { binary, wheel, chart, image } = project.config
  const invalid = (message: string, hint: string): never => {
    throw new ReleaseError('RELEASE_PROJECT_INVALID', `${project.dir}/package.json: ${message}`, { hint })
  }
  if (binary !== undefined && !skip.has('binary')) {
    // The archive name template renders, to a distinct file name per platform.
    checkArchiveNames(project)
    // Go: every main package exists inside the project and lies in a module (what go build needs).
    if (binary.toolchain === 'go') await resolveGoBinaries(project, binary)
    if (binary.toolchain === 'rust' && !existsSync(join(project.root, 'Cargo.toml')))
      invalid(
        `polyship.binary.toolchain is "rust" but ${project.dir} has no Cargo.toml`,
        'point the project at the crate directory, or set the toolchain the project is written in',
      )
  }
  if (wheel !== undefined && !skip.has('wheel')) await readPythonProject(project)
  if (
    image?.dockerfile !== undefined &&
    !skip.has('image') &&
    !existsSync(resolve(project.root, image.dockerfile))
  )
    invalid(
      `polyship.image.dockerfile "${image.dockerfile}" does not exist`,
      'name the Dockerfile relative to the project directory',
    )
  if (chart !== undefined && !skip.has('chart')) {
    await (await import('@polyship/helm')).readChart(join(project.root, chart.path ?? '.'), {
      cwd: workspace.root,
    })
    for (const [path, name] of Object.entries(chart.images ?? {})) {
      const target = workspace.projects.find((p) => p.name === name)
      if (target?.config.image === undefined)
        invalid(
          `polyship.chart.images maps ${path} to ${name}, ${target === undefined ? 'which is no project of this workspace' : 'which has no polyship.image'}`,
          `map ${path} to a project that ships an image (${workspace.projects
            .filter((p) => p.config.image !== undefined)
            .map((p) => p.name)
            .join(', ')})`,
        )
    }
  }
}

/**
 * Checks every project a run will release before anything is compiled, so one that polyship
 * cannot build stops the run within seconds, not after minutes of compiling the others. One
 * refused project throws its own coded error; several throw RELEASE_PROJECT_INVALID listing each.
 */
export async function validateProjects(
  projects: readonly Project[],
  workspace: Workspace,
  skip: ReadonlySet<FormatName> = new Set(),
): Promise<void> {
  const invalid: InvalidProject[] = []
  for (const project of [...projects].sort((a, b) => a.name.localeCompare(b.name))) {
    try {
      await checkProject(project, workspace, skip)
    } catch (error) {
      if (!isPolyshipError(error)) throw error
      invalid.push({ project: project.name, error })
    }
  }
  if (invalid.length === 1) throw invalid[0]!.error
  if (invalid.length > 1) {
    throw new ReleaseError(
      'RELEASE_PROJECT_INVALID',
      `${invalid.length} projects cannot be released:\n${invalid
        .map(
          ({ project, error }) =>
            `  ${project}: ${error.code}: ${error.message}${error.hint ? ` (${error.hint})` : ''}`,
        )
        .join('\n')}`,
      {
        hint: `fix each, or leave them out with --exclude ${invalid.map((i) => i.project).join(',')}`,
        cause: invalid[0]!.error,
      },
    )
  }
}

/**
 * The images the charts of this run deploy but this run does not build (their project is
 * left out by --only/--exclude/--skip image, or already released): each read from the images
 * destination at its project's version, so the chart is wired to exactly what was released.
 * RELEASE_IMAGE_MISSING, before anything is compiled, when the destination does not hold one.
 */
export async function deployedImages(
  releasing: readonly Project[],
  workspace: Workspace,
  options: {
    readonly targets: Targets
    readonly versionOf: (project: Project) => string
    readonly skip: ReadonlySet<FormatName>
  },
): Promise<Record<string, ReleasedImage>> {
  const building = new Set(
    options.skip.has('image') ? [] : releasing.filter((p) => p.config.image !== undefined).map((p) => p.name),
  )
  const found: Record<string, ReleasedImage> = {}
  for (const chart of releasing) {
    if (chart.config.chart === undefined || options.skip.has('chart')) continue
    for (const name of Object.values(chart.config.chart.images ?? {})) {
      const project = workspace.projects.find((p) => p.name === name)
      if (project === undefined || building.has(name) || found[name] !== undefined) continue
      const repository = imageRepository(project)
      const tag = versionTag(options.versionOf(project))
      const store = options.targets.imageStore(repository)
      const held = await store.resolve(tag)
      if (held === undefined) {
        throw new ReleaseError(
          'RELEASE_IMAGE_MISSING',
          `chart ${chart.name} deploys the image of ${name} ${options.versionOf(project)}, which this run does not build, and ${store.location} has no tag ${tag}`,
          {
            hint: `release ${name} first or in the same run (e.g. --only ${chart.name},${name}); the chart is wired to the image digest the images destination holds`,
          },
        )
      }
      found[name] = {
        repository: pullRepository(options.targets.destinations.images, repository),
        tag,
        digest: held.digest as ReleasedImage['digest'],
      }
    }
  }
  return found
}
